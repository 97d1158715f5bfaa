// What Docker has, read one way for every harness, test and script: the
// containers of one run, from `docker ps`. workerd names a run's containers
// workerd-<session>-<worker name>-<class>-<id>, and each one's networking
// sidecar the same with "-proxy" at the end; the worker name identifies the run.
import { execFileSync } from "node:child_process";

/**
 * The containers whose name contains `fragment` (a run's worker name, or a
 * "<class>-<id>" part for one Durable Object): running ones only, or every
 * state with `all`. Throws if Docker does not answer.
 * @param {string} fragment
 * @param {{ all?: boolean }} [options]
 * @returns {Array<{ id: string, name: string, state: string, sidecar: boolean }>}
 */
export function dockerPs(fragment, { all = false } = {}) {
  const out = execFileSync(
    "docker",
    ["ps", ...(all ? ["-a"] : []), "--filter", `name=${fragment}`, "--format", "{{.ID}} {{.Names}} {{.State}}"],
    { encoding: "utf8" },
  );
  return out
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const [id = "", name = "", state = ""] = line.split(" ");
      return { id, name, state, sidecar: name.endsWith("-proxy") };
    });
}

/**
 * The app containers among `dockerPs(fragment, options)`: networking sidecars left out.
 * @param {string} fragment
 * @param {{ all?: boolean }} [options]
 */
export function appContainers(fragment, options) {
  return dockerPs(fragment, options).filter((container) => !container.sidecar);
}
