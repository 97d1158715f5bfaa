// Starting and stopping `wrangler dev` with real containers on this machine,
// shared by the integration harness (test/integration/harness.ts), the
// examples' tests (test/examples/) and the demo (scripts/demo.mjs).
// LOCAL-CONTAINERS.md explains the environment: the docker CLI wrapper
// (WRANGLER_DOCKER_BIN) and the locally built sidecar stand-in image.
import { execFileSync, spawn } from "node:child_process";
import { createWriteStream, mkdirSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
// The shipped tooling's own port finder and wrangler arguments (what startDev() runs).
import { freePort, localDevArgs } from "../../cli/lib/local-dev.mjs";
import { SIDECAR_IMAGE } from "../../fixtures/build-images.mjs";
import { dockerPs } from "./docker.mjs";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../..");
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export { freePort };

/** Whether `port` is free on loopback. */
export function portIsFree(port) {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/** Environment for wrangler so it can build and run containers here. */
export function wranglerEnv(extra = {}) {
  return {
    ...process.env,
    // The package's own wrapper (what `workerd-containers dev` uses): no buildx here, no registry.
    WRANGLER_DOCKER_BIN: join(ROOT, "cli/docker-wrapper.sh"),
    WORKERD_CONTAINERS_NO_BUILDX: "1",
    WORKERD_CONTAINERS_SKIP_PULL: "1",
    MINIFLARE_CONTAINER_EGRESS_IMAGE: SIDECAR_IMAGE,
    WRANGLER_SEND_METRICS: "false",
    // The Worker's runtime is Node 22 (this process), even where the system node is older.
    PATH: `${join(ROOT, "node_modules/.bin")}:${process.env.PATH ?? ""}`,
    ...extra,
  };
}

/**
 * Removes every container of a run: workerd names them
 * workerd-<session>-<worker name>-<class>-<id>[-proxy], and the worker name is `runName`.
 */
export function removeContainers(runName, log = () => {}) {
  try {
    const ids = dockerPs(runName, { all: true }).map((container) => container.id);
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
    log(`could not remove containers: ${error.message}`);
  }
}

/** SIGTERM to wrangler, then SIGKILL to its process group (workerd and helpers too). */
export async function stopWrangler(child, log = () => {}) {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", () => resolve()));
  log(`stopping wrangler (PID ${child.pid}): SIGTERM`);
  child.kill("SIGTERM");
  const timedOut = await Promise.race([exited.then(() => false), sleep(10_000).then(() => true)]);
  try {
    process.kill(-child.pid, "SIGKILL");
    if (timedOut) log("wrangler ignored SIGTERM for 10 s: sent SIGKILL to its process group");
  } catch {
    // the group is already gone
  }
}

/** Polls `${baseUrl}${path}` until the Worker answers anything (a 404 counts). */
export async function waitUntilUp(baseUrl, child, logFile, timeoutMs = 180_000, path = "/__up") {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`wrangler dev exited (${child.exitCode ?? child.signalCode}) before it answered; see ${logFile}`);
    }
    try {
      const res = await fetch(`${baseUrl}${path}`, { signal: AbortSignal.timeout(2_000) });
      await res.body?.cancel();
      return;
    } catch {
      await sleep(500);
    }
  }
  throw new Error(`wrangler dev did not answer on ${baseUrl} within ${timeoutMs / 1000} s; see ${logFile}`);
}

/**
 * Starts `wrangler dev --config <config>` on 127.0.0.1:<port> as worker `runName`,
 * in its own process group, output to `logFile`. Lines about image builds and
 * readiness go to `log`. Returns { child, baseUrl, ready, stop() }: `ready`
 * resolves once wrangler prints "Ready on"; stop() stops wrangler and removes
 * the run's containers. `cwd` (default: the config's directory) is where
 * wrangler keeps its local state (.wrangler/) unless args say otherwise.
 */
export async function startWranglerDev({
  config,
  runName,
  port,
  logFile,
  log = () => {},
  args = [],
  env = {},
  cwd = dirname(config),
}) {
  mkdirSync(dirname(logFile), { recursive: true });
  const output = createWriteStream(logFile);
  const child = spawn(
    process.execPath,
    [
      join(ROOT, "node_modules/wrangler/bin/wrangler.js"),
      "dev",
      ...(await localDevArgs({ config, port, name: runName, extra: args })),
    ],
    { cwd, detached: true, stdio: ["ignore", "pipe", "pipe"], env: wranglerEnv(env) },
  );
  // Two sources into one file: end it only when both are done (after the process).
  child.stdout.pipe(output, { end: false });
  child.stderr.pipe(output, { end: false });
  child.once("close", () => output.end());
  // `ready` settles when wrangler says "Ready on" (the Worker serves; nothing
  // has touched a container yet), or fails when wrangler exits first.
  let markReady;
  const ready = new Promise((resolve, reject) => {
    markReady = resolve;
    child.once("exit", (code, signal) =>
      reject(new Error(`wrangler dev exited (${code ?? signal}) before it was ready; see ${logFile}`)),
    );
  });
  ready.catch(() => {}); // callers that never await it must not crash on the rejection
  child.stdout.on("data", (chunk) => {
    for (const line of chunk.toString().split("\n")) {
      if (/Ready on|image\(s\) ready|Building|ERROR|✘/.test(line)) log(`wrangler: ${line.trim()}`);
      if (/Ready on/.test(line)) markReady();
    }
  });
  // A crash or Ctrl-C of this process: never leave wrangler or containers behind.
  const onExit = () => {
    try {
      if (child.pid) process.kill(-child.pid, "SIGKILL");
    } catch {
      // already gone
    }
    removeContainers(runName);
  };
  process.once("exit", onExit);
  const stop = async () => {
    process.off("exit", onExit);
    await stopWrangler(child, log);
    removeContainers(runName, log);
  };
  return { child, baseUrl: `http://127.0.0.1:${port}`, ready, stop };
}
