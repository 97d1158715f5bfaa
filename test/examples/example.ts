// Runs one example (examples/<name>) under `wrangler dev` for the test file
// that calls useExample: started in beforeAll (wrangler builds the example's
// image), stopped in afterAll with every container it started removed.
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import { freePort, ROOT, startWranglerDev, type DevServer } from "../../scripts/lib/devserver.mjs";
import { appContainers } from "../../scripts/lib/docker.mjs";

export interface RunningExample {
  /** http://127.0.0.1:<port> of the example's Worker. */
  url(path?: string): string;
  /** Worker name of this run; every container of the run has it in its name. */
  runName: string;
}

export function useExample(name: string, args: string[] = []): RunningExample {
  const runName = `wc-example-${name}-${crypto.randomUUID().slice(0, 6)}`;
  let server: DevServer | undefined;
  // Fresh Durable Object storage per run: nothing left over from an earlier one.
  const state = join(tmpdir(), runName);
  const example: RunningExample = {
    url: (path = "/") => `${server!.baseUrl}${path}`,
    runName,
  };
  beforeAll(async () => {
    const log = (line: string) => console.log(`[example ${name}] ${line}`);
    server = await startWranglerDev({
      config: join(ROOT, "examples", name, "wrangler.jsonc"),
      runName,
      port: await freePort(),
      logFile: join(ROOT, "coverage", `example-${name}-wrangler.log`),
      log,
      args: ["--persist-to", state, ...args],
    });
    await server.ready;
  }, 240_000);
  afterAll(async () => {
    await server?.stop();
    rmSync(state, { recursive: true, force: true });
  }, 60_000);
  return example;
}

/** Names of the app containers (sidecars left out) Docker has for a run, with their state. */
export function containersOf(runName: string): Array<{ name: string; running: boolean }> {
  return appContainers(runName, { all: true }).map(({ name, state }) => ({ name, running: state === "running" }));
}

export { waitFor } from "../shared/wait-for";
