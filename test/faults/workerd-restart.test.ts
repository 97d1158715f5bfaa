// Scenario 13: workerd restarts under running containers. The faults Worker
// runs under its own `wrangler dev` on a persisted storage directory; with a
// container running, an outbound rule set at run time and schedules pending,
// wrangler is stopped (its containers are not touched by the test) and started
// again on the same directory. State, schedules and the outbound rule must
// survive; the container left behind is adopted or closed out once; nothing leaks.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  freePort,
  removeContainers,
  ROOT,
  startWranglerDev,
  stopWrangler,
  waitUntilUp,
} from "../../scripts/lib/devserver.mjs";
import { appContainers } from "../../scripts/lib/docker.mjs";
import type { CallResult } from "../shared/call-method";
import { waitFor, watchDockerEvents } from "../integration/client";
import { recordFigure } from "./figures";

const log = (line: string) => console.log(`[workerd-restart] ${line}`);
const persist = mkdtempSync(join(tmpdir(), "workerd-containers-restart-"));
const runName = `workerd-containers-restart-${crypto.randomUUID().slice(0, 8)}`;
afterAll(() => {
  removeContainers(runName, log);
  rmSync(persist, { recursive: true, force: true });
});

/** App containers of this scenario's runs that Docker has running (sidecars left out). */
const runningContainers = () => appContainers(runName).map((container) => container.name);

type Server = Awaited<ReturnType<typeof startWranglerDev>>;

async function serve(round: number): Promise<Server> {
  const port = await freePort();
  const logFile = join(ROOT, `coverage/faults-workerd-restart-${round}.log`);
  log(`starting wrangler dev (round ${round}; persisted storage: ${persist})`);
  const server = await startWranglerDev({
    config: join(ROOT, "test/faults/wrangler.jsonc"),
    runName,
    port,
    logFile,
    log,
    cwd: ROOT,
    args: ["--persist-to", persist],
  });
  await waitUntilUp(server.baseUrl, server.child, logFile, 180_000, "/");
  return server;
}

let sent = 0;

async function call<T = unknown>(server: Server, name: string, method: string, ...args: unknown[]): Promise<T> {
  sent++;
  const res = await fetch(`${server.baseUrl}/egress/${name}/rpc/${method}`, {
    method: "POST",
    body: JSON.stringify(args),
  });
  const result = (await res.json()) as CallResult;
  if (!result.ok) throw new Error(`${method}: ${result.error}`);
  return result.value as T;
}

/** What a process in the container gets when it fetches `url` (through the Worker's outbound rules). */
async function fetchFromContainer(
  server: Server,
  name: string,
  url: string,
): Promise<{ status?: number; body?: string }> {
  sent++;
  const res = await fetch(`${server.baseUrl}/egress/${name}/proxy/fetch?url=${encodeURIComponent(url)}`);
  return (await res.json()) as { status?: number; body?: string };
}

interface Schedule {
  taskId: string;
  time: number;
  payload: unknown;
}

/** Ends wrangler dev as asked: a clean stop (SIGTERM, as Ctrl-C), or a crash of the whole process group. */
async function end(server: Server, how: "SIGTERM" | "SIGKILL"): Promise<void> {
  if (how === "SIGTERM") return stopWrangler(server.child, log);
  const child = server.child;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  log(`killing wrangler's process group (PID ${child.pid}): SIGKILL`);
  process.kill(-child.pid!, "SIGKILL");
  await exited;
}

describe("scenario 13: workerd restarts under running containers", () => {
  it.each([
    ["stopped (SIGTERM)", "SIGTERM"],
    ["killed (SIGKILL to its process group)", "SIGKILL"],
  ] as const)(
    "wrangler dev %s and started again: state, schedules and outbound rules survive; the container is adopted " +
      "or closed out once; none leaks",
    async (_label, how) => {
      const name = `restarted-${how}`;
      sent = 0;
      const starts = watchDockerEvents(runName, "start");
      let server = await serve(1);
      let before: { state: { status: string }; due: Schedule; later: Schedule };
      let leftBehind: string[];
      try {
        await call(server, name, "startAndWaitForPorts");
        await call(server, name, "denyHost", "blocked.example.test");
        expect(await fetchFromContainer(server, name, "http://blocked.example.test/")).toMatchObject({ status: 520 });
        expect(await fetchFromContainer(server, name, "http://api.example.test/x")).toMatchObject({ status: 200 });
        before = {
          state: await call(server, name, "getState"),
          due: await call<Schedule>(server, name, "schedule", 20, "tick", { n: 1 }), // due after the restart
          later: await call<Schedule>(server, name, "schedule", 3600, "tick", { n: 2 }), // still pending at the end
        };
        expect(before.state).toMatchObject({ status: "healthy" });
      } finally {
        // End wrangler only: what workerd leaves of the containers is part of the scenario.
        await end(server, how);
      }
      leftBehind = runningContainers();
      log(`containers running after wrangler ended: ${leftBehind.length}`);

      server = await serve(2);
      try {
        const state = await call<{ status: string }>(server, name, "getState");
        const stopsAfterRestart = (await call<string[]>(server, name, "hooks")).filter((h) => h.includes(" stop:"));
        const schedules = {
          due: await call<Schedule | null>(server, name, "getSchedule", before.due.taskId),
          later: await call<Schedule | null>(server, name, "getSchedule", before.later.taskId),
        };
        // The due schedule runs once after the restart.
        await waitFor(
          "the due schedule to run",
          async () => (await call<string[]>(server, name, "ticks")).length > 0,
          60_000,
        );
        // The outbound rule set at run time still holds once a container runs again.
        await call(server, name, "startAndWaitForPorts");
        const denied = await fetchFromContainer(server, name, "http://blocked.example.test/");
        const allowed = await fetchFromContainer(server, name, "http://api.example.test/x");
        // room for a second run of the schedule, which must not come
        await new Promise((resolve) => setTimeout(resolve, 1_500));
        const ticks = await call<string[]>(server, name, "ticks");
        const stops = (await call<string[]>(server, name, "hooks")).filter((h) => h.includes(" stop:"));
        // Local workerd prefixes container names with its session id, so a new
        // session neither sees nor removes what an earlier one left: those are
        // counted apart from the containers of this session (the library's).
        const orphans = runningContainers().filter((n) => leftBehind.includes(n));
        const runningNow = runningContainers().filter((n) => !leftBehind.includes(n));
        starts.stop();
        recordFigure({
          scenario: "13 workerd restarts",
          detail:
            `wrangler dev ${how === "SIGTERM" ? "stopped" : "killed"} and started again on the same ` +
            `--persist-to, container running, rule and schedules set`,
          sent,
          lost: (ticks.length === 1 ? 0 : 1) + (denied.status === 520 ? 0 : 1) + (allowed.status === 200 ? 0 : 1),
          started: starts.names().length,
          leaks: runningNow.length - 1, // the one started after the restart is expected
          measured: [
            `app containers running when wrangler had ended: ${leftBehind.length}, still running at the end: ` +
              `${orphans.length}${
                orphans.length
                  ? " (orphans of the ended workerd session, which local workerd never adopts or removes)"
                  : ""
              }`,
            `after the restart: ${state.status}, onStop ${stopsAfterRestart.length}×`,
            `schedules kept: ${[schedules.due, schedules.later].filter(Boolean).length}/2`,
            `due schedule runs: ${ticks.length}`,
            `denied host after: ${denied.status}, handler host after: ${allowed.status}`,
          ],
          runtime: "workerd + Docker",
        });
        // Adopted (still running, no onStop) or closed out (stopped, onStop once): never both, never twice.
        if (state.status === "running" || state.status === "healthy") expect(stopsAfterRestart).toEqual([]);
        else {
          expect(state.status).toMatch(/^stopped/);
          expect(stopsAfterRestart).toHaveLength(1);
        }
        expect(schedules.due).toEqual(before.due);
        expect(schedules.later).toEqual(before.later);
        expect(ticks).toEqual(["tick:1"]);
        expect(denied).toMatchObject({ status: 520, body: "Origin is disallowed" });
        expect(allowed.status).toBe(200);
        expect(stops.length).toBeLessThanOrEqual(1);
        expect(runningNow).toHaveLength(1);
      } finally {
        starts.stop();
        await server.stop();
      }
    },
  );
});
