// Global setup shared by the suites that run a fixture Worker on real
// containers (test/integration, test/faults): makes Docker answer
// (scripts/setup-docker.sh), builds the fixture base images, starts ONE
// `wrangler dev` for the suite's wrangler.jsonc on loopback, waits until it
// answers, and hands its URL to the tests. Teardown stops wrangler by PID
// (SIGTERM, then SIGKILL of its process group) and removes every container of
// this run, whatever happened in the tests.
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
// @ts-expect-error plain JavaScript module shared with the command line
import { buildFixtureImages } from "../../fixtures/build-images.mjs";
// Starting/stopping wrangler dev is shared with the examples' tests and the demo.
import { freePort, ROOT, startWranglerDev, waitUntilUp } from "../../scripts/lib/devserver.mjs";

declare module "vitest" {
  export interface ProvidedContext {
    baseUrl: string;
    runName: string;
    /** PID of `wrangler dev` (its workerd is a descendant). */
    wranglerPid: number;
  }
}

/** Which suite: `label` prefixes progress lines and names the run, `config` is its wrangler.jsonc. */
export interface SuiteOptions {
  label: string;
  config: string;
}

/** A vitest globalSetup function for the suite. */
export function fixtureWorkerSetup({ label, config }: SuiteOptions) {
  const log = (line: string) => console.log(`[${label}] ${line}`);
  return async function setup(project: TestProject): Promise<() => Promise<void>> {
    const started = Date.now();
    // scripts/lib/run-suite.mjs has just done this; vitest run directly has not.
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

    const runName = `workerd-containers-${label.slice(0, 6)}-${crypto.randomUUID().slice(0, 8)}`;
    const port = await freePort();
    const logFile = join(ROOT, `coverage/${label}-wrangler.log`);
    log(`starting wrangler dev on port ${port} as ${runName} (log: ${logFile}); it builds the app image first`);
    const server = await startWranglerDev({ config: join(ROOT, config), runName, port, logFile, log, cwd: ROOT });

    try {
      log(`waiting for wrangler dev to answer on port ${port}`);
      // Any answer from the Worker (its 404 for "/") means it is serving.
      await waitUntilUp(server.baseUrl, server.child, logFile, 180_000, "/");
    } catch (error) {
      await server.stop();
      throw error;
    }
    log(`wrangler dev is up after ${((Date.now() - started) / 1000).toFixed(1)} s`);
    project.provide("baseUrl", server.baseUrl);
    project.provide("runName", runName);
    project.provide("wranglerPid", server.child.pid ?? 0);
    return () => server.stop();
  };
}
