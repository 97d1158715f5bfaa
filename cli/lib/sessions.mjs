// The containers one `wrangler dev` started, and nobody else's. miniflare
// gives each of its container sessions a random id: workerd labels every
// container and sidecar of it `dev.workerd.session=<id>` and names them
// workerd-<id>-<worker name>-<class>-<object id>[-proxy]. A session of ours
// is one whose id was not there before wrangler started and whose names
// carry one of our worker names.
import { execFileSync } from "node:child_process";
import { run } from "./run.mjs";

export const SESSION_LABEL = "dev.workerd.session";
const PS_ARGS = ["ps", "-a", "--filter", `label=${SESSION_LABEL}`, "--format"];
const FORMAT = `{{.ID}}\t{{.Label "${SESSION_LABEL}"}}\t{{.Names}}\t{{.State}}`;

/** Parses `docker ps` lines in FORMAT. */
export function parsePs(text) {
  return text
    .split("\n")
    .filter((line) => line.trim())
    .map((line) => {
      const [id = "", session = "", name = "", state = ""] = line.trim().split("\t");
      return { id, session, name, state, sidecar: name.endsWith("-proxy") };
    });
}

/**
 * Tracks the sessions of one wrangler run: `begin()` before it starts
 * (remembers the sessions already there), then `containers()` and `remove()`.
 * @param {{ dockerBin: string, dockerEnv: NodeJS.ProcessEnv, workerNames: string[] }} options
 */
export class SessionTracker {
  #before = new Set();
  #began = false;

  constructor({ dockerBin, dockerEnv, workerNames }) {
    this.dockerBin = dockerBin;
    this.dockerEnv = dockerEnv;
    this.workerNames = workerNames;
  }

  async #ps() {
    const result = await run(this.dockerBin, [...PS_ARGS, FORMAT], { timeoutMs: 15_000, env: this.dockerEnv });
    if (result.code !== 0) throw new Error(`docker ps failed: ${result.stderr.trim() || `exit ${result.code}`}`);
    return parsePs(result.stdout);
  }

  /** Remembers the sessions that exist before wrangler starts; false when Docker did not answer. */
  async begin() {
    try {
      for (const container of await this.#ps()) this.#before.add(container.session);
      this.#began = true;
    } catch {
      this.#began = false;
    }
    return this.#began;
  }

  /** Whether a container belongs to a session of this run. */
  ours(container) {
    if (!this.#began || !container.session || this.#before.has(container.session)) return false;
    const prefix = `workerd-${container.session}-`;
    if (!container.name.startsWith(prefix)) return false;
    const rest = container.name.slice(prefix.length);
    return this.workerNames.some((name) => rest.startsWith(`${name}-`));
  }

  /** The containers (sidecars included) of this run's sessions, in every state. */
  async containers() {
    if (!this.#began) return [];
    return (await this.#ps()).filter((container) => this.ours(container));
  }

  /**
   * Removes the containers of this run's sessions, one at a time (workerd may
   * be removing some itself). Returns the names removed.
   */
  async remove() {
    const removed = [];
    for (const container of await this.containers()) {
      const result = await run(this.dockerBin, ["rm", "-f", container.id], { timeoutMs: 30_000, env: this.dockerEnv });
      if (result.code === 0) removed.push(container.name);
    }
    return removed;
  }

  /** remove() for process.on("exit"): synchronous, best effort. */
  removeSync() {
    if (!this.#began) return;
    try {
      const out = execFileSync(this.dockerBin, [...PS_ARGS, FORMAT], {
        env: this.dockerEnv,
        encoding: "utf8",
        timeout: 15_000,
        stdio: ["ignore", "pipe", "ignore"],
      });
      for (const container of parsePs(out).filter((entry) => this.ours(entry))) {
        try {
          execFileSync(this.dockerBin, ["rm", "-f", container.id], {
            env: this.dockerEnv,
            stdio: "ignore",
            timeout: 30_000,
          });
        } catch {
          // already gone
        }
      }
    } catch {
      // Docker does not answer: nothing to do
    }
  }
}
