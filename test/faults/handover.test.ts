// Scenario 6: storage written by @cloudflare/containers 0.3.7 is read by this
// package after the switch. One Durable Object class, one persisted local
// storage directory, two `wrangler dev` runs: first the class on the
// original library, then the same class on this package.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { freePort, ROOT, startWranglerDev, waitUntilUp } from "../../scripts/lib/devserver.mjs";
import { appContainers } from "../../scripts/lib/docker.mjs";
import { waitFor, watchDockerEvents } from "../integration/client";
import { recordFigure } from "./figures";

/** App containers of this scenario's runs that Docker has running (sidecars left out). */
const runningContainers = () => appContainers(runName).length;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const log = (line: string) => console.log(`[handover] ${line}`);

const persist = mkdtempSync(join(tmpdir(), "workerd-containers-handover-"));
const runName = `workerd-containers-handover-${crypto.randomUUID().slice(0, 8)}`;
afterAll(() => rmSync(persist, { recursive: true, force: true }));

type Server = { baseUrl: string; child: unknown; stop: () => Promise<void> };

async function serve(script: "original.ts" | "ours.ts"): Promise<Server> {
  const port = await freePort();
  const logFile = join(ROOT, `coverage/faults-handover-${script.replace(".ts", "")}.log`);
  log(`starting wrangler dev with ${script} (persisted storage: ${persist})`);
  const server = await startWranglerDev({
    config: join(ROOT, "test/faults/handover/wrangler.jsonc"),
    runName,
    port,
    logFile,
    log,
    cwd: ROOT,
    args: [join(ROOT, "test/faults/handover", script), "--persist-to", persist],
  });
  await waitUntilUp(server.baseUrl, server.child, logFile, 180_000, "/");
  return server;
}

let calls = 0;

async function call<T = unknown>(server: Server, name: string, method: string, ...args: unknown[]): Promise<T> {
  calls++;
  const res = await fetch(`${server.baseUrl}/${name}/${method}`, { method: "POST", body: JSON.stringify(args) });
  const result = (await res.json()) as { ok: boolean; value?: unknown; error?: string };
  if (!result.ok) throw new Error(`${method}: ${result.error}`);
  return result.value as T;
}

interface Schedule {
  taskId: string;
  time: number;
}

describe("scenario 6: switching from @cloudflare/containers 0.3.7 to this package", () => {
  it(
    "state and pending schedules written by the original are intact; " + "schedules due across the switch run once",
    async () => {
      const starts = watchDockerEvents(runName, "start");
      // --- Before: the original library ------------------------------------------
      const before = await serve("original.ts");
      let written: { stopped: unknown; running: unknown; schedules: Schedule[] };
      try {
        expect(await call(before, "x", "library")).toBe("original");
        await call(before, "stopped", "startAndWaitForPorts");
        const schedules = [
          await call<Schedule>(before, "stopped", "schedule", 8, "tick", { n: 1 }), // due while nothing runs
          await call<Schedule>(before, "stopped", "schedule", 50, "tick", { n: 2 }), // due after the switch
          await call<Schedule>(before, "stopped", "schedule", 3600, "tick", { n: 3 }), // still pending at the end
        ];
        await call(before, "stopped", "stop");
        // The original records the stop when it notices the exit.
        await waitFor(
          "the original to record the stop",
          async () =>
            String((await call<{ status: string }>(before, "stopped", "getState")).status).startsWith("stopped"),
          20_000,
        ).catch(() => log("the original did not record the stop within 20 s; its state is taken as it is"));
        await call(before, "running", "startAndWaitForPorts");
        written = {
          stopped: await call(before, "stopped", "getState"),
          running: await call(before, "running", "getState"),
          schedules: await Promise.all(
            schedules.map((s) => call<Schedule>(before, "stopped", "getSchedule", s.taskId)),
          ),
        };
        log(`the original wrote: ${JSON.stringify(written)}`);
      } finally {
        await before.stop(); // its containers go with it
      }
      const switchedAt = Date.now();

      // --- After: this package, same storage ---------------------------------------
      const after = await serve("ours.ts");
      try {
        expect(await call(after, "x", "library")).toBe("ours");
        const read = {
          stopped: await call(after, "stopped", "getState"),
          schedules: await Promise.all(
            written.schedules.map((s) => call<Schedule>(after, "stopped", "getSchedule", s.taskId)),
          ),
        };
        // The running one's container went with the old runtime: closed out once.
        const runningState = await call<{ status: string }>(after, "running", "getState");
        const due = written.schedules[1]!.time * 1000;
        // Both due schedules run: wait for them (a slow machine takes longer),
        // then a moment more for a second run of either, which must not come.
        await sleep(Math.max(0, due - Date.now()));
        await waitFor(
          "both due schedules to run",
          async () => (await call<number[]>(after, "stopped", "ticks")).length >= 2,
          30_000,
        ).catch(() => undefined);
        await sleep(1_500);
        const ticks = await call<number[]>(after, "stopped", "ticks");
        const stillPending = await call(after, "stopped", "getSchedule", written.schedules[2]!.taskId);
        const hooks = await call<string[]>(after, "running", "hooks");
        await call(after, "running", "startAndWaitForPorts"); // and it starts again
        const leaks = runningContainers() - 1; // the one just started is expected

        recordFigure({
          scenario: "6 storage from the original",
          detail: "0.3.7 writes state + 3 schedules; this package reads them after a restart",
          sent: calls,
          lost: (ticks.join() === "1,2" ? 0 : 1) + (stillPending ? 0 : 1),
          started: starts.names().length,
          leaks,
          measured: [
            `state kept: ${JSON.stringify(read.stopped) === JSON.stringify(written.stopped)}`,
            `schedules kept: ${read.schedules.filter(Boolean).length}/3`,
            `ticks: [${ticks.join(", ")}]`,
            `running → ${runningState.status} after the switch (${Math.round((Date.now() - switchedAt) / 1000)} s)`,
          ],
          runtime: "workerd + Docker",
        });
        expect(read.stopped).toEqual(written.stopped);
        expect(read.schedules).toEqual(written.schedules);
        expect(written.running).toMatchObject({ status: "healthy" });
        expect(runningState.status).toBe("stopped");
        expect(hooks.filter((h) => h.includes("stop:"))).toEqual(["ours stop:0:exit"]);
        expect(ticks).toEqual([1, 2]);
        expect(stillPending).toEqual(written.schedules[2]);
        expect(leaks).toBe(0);
      } finally {
        starts.stop();
        await after.stop();
      }
    },
  );
});
