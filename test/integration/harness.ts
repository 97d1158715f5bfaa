// Global setup of the integration suite: makes Docker answer
// (scripts/setup-docker.sh), builds the fixture base images, starts ONE
// `wrangler dev` for test/integration/wrangler.jsonc on loopback, waits until
// it answers, and hands its URL to the tests. Teardown stops wrangler by PID
// (SIGTERM, then SIGKILL of its process group) and removes every container of
// this run, whatever happened in the tests.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, mkdirSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { TestProject } from "vitest/node";
// @ts-expect-error plain JavaScript module shared with the command line
import { buildFixtureImages, SIDECAR_IMAGE } from "../../fixtures/build-images.mjs";

declare module "vitest" {
  export interface ProvidedContext {
    baseUrl: string;
    runName: string;
  }
}

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../..");
const READY_TIMEOUT_MS = 180_000;
const log = (line: string) => console.log(`[integration] ${line}`);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Containers of this run: workerd names them workerd-<session>-<worker name>-<class>-<id>[-proxy]. */
function removeContainers(runName: string): void {
  try {
    const ids = execFileSync("docker", ["ps", "-aq", "--filter", `name=${runName}`], { encoding: "utf8" })
      .split("\n")
      .filter(Boolean);
    if (ids.length === 0) return;
    log(`removing ${ids.length} leftover container(s) of ${runName}`);
    // One at a time: workerd may be removing some of them concurrently.
    for (const id of ids) {
      try {
        execFileSync("docker", ["rm", "-f", id], { stdio: "ignore" });
      } catch {
        // already gone
      }
    }
  } catch (error) {
    log(`could not remove containers: ${(error as Error).message}`);
  }
}

async function stopWrangler(child: ChildProcess): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  log(`stopping wrangler (PID ${child.pid}): SIGTERM`);
  child.kill("SIGTERM");
  const timedOut = await Promise.race([exited.then(() => false), sleep(10_000).then(() => true)]);
  // Its own group (detached): workerd and helpers go too, even if wrangler hangs.
  try {
    process.kill(-child.pid, "SIGKILL");
    if (timedOut) log("wrangler ignored SIGTERM for 10 s: sent SIGKILL to its process group");
  } catch {
    // the group is already gone
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitUntilUp(baseUrl: string, child: ChildProcess, logFile: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`wrangler dev exited (${child.exitCode ?? child.signalCode}) before it answered; see ${logFile}`);
    }
    try {
      // Any answer from the Worker (its 404 for "/") means it is serving.
      const res = await fetch(`${baseUrl}/`, { signal: AbortSignal.timeout(2_000) });
      await res.body?.cancel();
      return;
    } catch {
      await sleep(500);
    }
  }
  throw new Error(`wrangler dev did not answer on ${baseUrl} within ${READY_TIMEOUT_MS / 1000} s; see ${logFile}`);
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = Date.now();
  // scripts/run-integration.mjs has just done this; vitest run directly has not.
  if (process.env.WORKERD_CONTAINERS_DOCKER_READY !== "1") {
    log("making Docker available (scripts/setup-docker.sh)");
    try {
      execFileSync("bash", [join(ROOT, "scripts/setup-docker.sh")], { stdio: "inherit" });
    } catch {
      throw new Error("Docker is not available: scripts/setup-docker.sh says what to do (see above).");
    }
  }
  log("building fixture images");
  buildFixtureImages((line: string) => log(line));

  const runName = `workerd-containers-it-${crypto.randomUUID().slice(0, 8)}`;
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const logDir = join(ROOT, "coverage");
  mkdirSync(logDir, { recursive: true });
  const logFile = join(logDir, "integration-wrangler.log");
  const output = createWriteStream(logFile);

  log(`starting wrangler dev on ${baseUrl} as ${runName} (log: ${logFile}); it builds the app image first`);
  const child = spawn(
    process.execPath,
    [
      join(ROOT, "node_modules/wrangler/bin/wrangler.js"),
      "dev",
      "--config", join(ROOT, "test/integration/wrangler.jsonc"),
      "--name", runName,
      "--ip", "127.0.0.1",
      "--port", String(port),
      "--inspector-port", String(await freePort()),
      "--show-interactive-dev-session=false",
    ],
    {
      cwd: ROOT,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        ...process.env,
        WRANGLER_DOCKER_BIN: join(ROOT, "test/integration/docker-wrapper.sh"),
        MINIFLARE_CONTAINER_EGRESS_IMAGE: SIDECAR_IMAGE,
        WRANGLER_SEND_METRICS: "false",
        // The Worker's runtime is Node 22 (this process), even where the system node is older.
        PATH: `${join(ROOT, "node_modules/.bin")}:${process.env.PATH ?? ""}`,
      },
    },
  );
  child.stdout!.pipe(output);
  child.stderr!.pipe(output);
  child.stdout!.on("data", (chunk: Buffer) => {
    for (const line of chunk.toString().split("\n")) {
      if (/Ready on|image\(s\) ready|Building|ERROR|✘/.test(line)) log(`wrangler: ${line.trim()}`);
    }
  });

  const teardown = async () => {
    await stopWrangler(child);
    removeContainers(runName);
    output.end();
  };
  // Ctrl-C or a crash of the runner: never leave wrangler or containers behind.
  const onExit = () => {
    try {
      if (child.pid) process.kill(-child.pid, "SIGKILL");
    } catch {
      // already gone
    }
    removeContainers(runName);
  };
  process.once("exit", onExit);

  try {
    log(`waiting for wrangler dev to answer on port ${port}`);
    await waitUntilUp(baseUrl, child, logFile);
  } catch (error) {
    await teardown();
    throw error;
  }
  log(`wrangler dev is up after ${((Date.now() - started) / 1000).toFixed(1)} s`);
  project.provide("baseUrl", baseUrl);
  project.provide("runName", runName);
  return async () => {
    process.off("exit", onExit);
    await teardown();
  };
}
