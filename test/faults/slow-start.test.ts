// Scenario 11: a slow start is not a crash. The process needs 15 s before it
// listens, within a 30 s port budget, while 20 requests wait for it: the
// object reports `running`, then `healthy`, never anything stopped, with one
// container started and every request answered by it.
import { describe, expect, it } from "vitest";
import {
  dockerFragment,
  eventsOf,
  hooks,
  proxy,
  rpc,
  useContainers,
  waitFor,
  watchDockerEvents,
} from "../integration/client";
import { recordFigure } from "./figures";

const use = useContainers();
const LISTEN_AFTER_MS = 15_000;

describe("scenario 11: a slow start is not a crash", () => {
  it(
    "15 s to listen under a 30 s port budget, 20 requests waiting: " + "running, then healthy, one start, all answered",
    async () => {
      const name = use("fault");
      const starts = watchDockerEvents(await dockerFragment("fault", name), "start");
      const starting = rpc("fault", name, "startAndWaitForPorts", {
        startOptions: { envVars: { START_DELAY_MS: String(LISTEN_AFTER_MS) } },
        cancellationOptions: { portReadyTimeoutMS: 30_000 },
      });
      // The requests join the start in progress once the library has launched it.
      await waitFor("the launch", async () => (await eventsOf("fault", name, "start")).length > 0, 30_000);
      const requests = Array.from({ length: 20 }, async (_, i) => {
        const res = await proxy("fault", name, `/echo?i=${i}`);
        return {
          status: res.status,
          boot: res.status === 200 ? ((await res.json()) as { boot: string }).boot : await res.text(),
        };
      });
      const seen = new Set<string>();
      let done = false;
      const watching = (async () => {
        while (!done) {
          seen.add(((await rpc("fault", name, "getState")).value as { status: string }).status);
          await new Promise((resolve) => setTimeout(resolve, 500));
        }
      })();
      const [result, replies] = await Promise.all([starting, Promise.all(requests)]);
      done = true;
      await watching;
      const finalState = (await rpc("fault", name, "getState")).value as { status: string };
      seen.add(finalState.status);
      const [ready] = await eventsOf("fault", name, "ready");
      const recorded = await hooks("fault", name);
      starts.stop();
      recordFigure({
        scenario: "11 slow start",
        detail: `listens after ${LISTEN_AFTER_MS / 1000} s, portReadyTimeoutMS 30000, 20 requests waiting`,
        sent: 21,
        lost: replies.filter((r) => r.status !== 200).length + (result.ok ? 0 : 1),
        started: starts.names().length,
        leaks: 0,
        measured: [
          `states seen: ${[...seen].join(" → ")}`,
          `ready after ${ready?.startupMs} ms (library's own timing)`,
          `hooks: ${recorded.join(", ")}`,
        ],
        runtime: "workerd + Docker",
      });
      expect(result).toMatchObject({ ok: true });
      expect(replies.map((r) => r.status)).toEqual(Array(20).fill(200));
      expect(new Set(replies.map((r) => r.boot)).size).toBe(1);
      expect(seen.has("running")).toBe(true);
      expect([...seen].filter((s) => s.startsWith("stopped") || s === "stopping")).toEqual([]);
      expect(finalState.status).toBe("healthy");
      expect(ready!.startupMs).toBeGreaterThanOrEqual(LISTEN_AFTER_MS);
      expect(recorded).toEqual(["start"]); // onStart once; no stop, no error
      expect(starts.names()).toHaveLength(1);
    },
  );
});
