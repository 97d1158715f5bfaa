// Scenario 5: the Durable Object is evicted (reset by ctx.abort(), storage
// kept) while its container runs. Local workerd destroys the container with
// the object; the fake-runtime half of this scenario, where the container
// outlives the object as it can when deployed, is test/faults/unit/eviction.test.ts.
import { describe, expect, it } from "vitest";
import {
  dockerContainers,
  dockerEvents,
  dockerFragment,
  hooks,
  proxy,
  rpc,
  useContainers,
  waitFor,
} from "../integration/client";
import { evict } from "./client";
import { recordFigure } from "./figures";

const use = useContainers();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const value = async <T>(name: string, method: string, ...args: unknown[]): Promise<T> => {
  const result = await rpc("fault", name, method, ...args);
  if (!result.ok) throw new Error(`${method}: ${result.error}`);
  return result.value as T;
};

describe("scenario 5: eviction while a container runs", () => {
  it(
    "state, schedules and the idle deadline survive; onStop once; a " + "schedule due during the restart runs once",
    async () => {
      const name = use("fault");
      const since = Date.now();
      expect((await proxy("fault", name, "/echo")).status).toBe(200);
      const instance = await value<string>(name, "instance");
      const deadline = await value<number>(name, "activityDeadline");
      await value(name, "schedule", 3, "tick", { n: 1 }); // due during the restart
      const later = await value<{ taskId: string }>(name, "schedule", 3600, "tick", { n: 2 });
      await sleep(2_000);
      await evict("fault", name);
      await waitFor("a new instance", async () => (await value<string>(name, "instance")) !== instance, 10_000);

      // Local workerd usually destroys the container with the evicted object,
      // and the new instance closes the run out (stopped, onStop once). But
      // the container can still be there when the new instance starts (more
      // often with busy cores),
      // which then adopts it (running or healthy, no onStop), or adopts it and
      // then sees workerd kill it (stopped_with_code, onStop once). Each is right;
      // what must hold is that state, onStop and Docker agree, read together
      // once things have settled.
      expect(await value(name, "activityDeadline")).toBe(deadline);
      expect(await value(name, "getSchedule", later.taskId)).toMatchObject({ payload: { n: 2 } });

      await waitFor("the due schedule", async () => (await value<string[]>(name, "ticks")).length > 0, 20_000);
      await sleep(3_000); // room for a second run, which must not come
      const ticks = await value<string[]>(name, "ticks");
      const state = await value<{ status: string }>(name, "getState");
      const stops = (await hooks("fault", name)).filter((h) => h.startsWith("stop:"));
      const running = (await dockerContainers("fault", name)).filter((c) => c.status === "running").length;
      const adopted = state.status === "running" || state.status === "healthy";
      const leaks = adopted ? running - 1 : running;
      const next = await proxy("fault", name, "/echo");
      recordFigure({
        scenario: "5 eviction",
        detail: "evicted 2 s into a run; a schedule due 1 s later; another due in 1 h",
        sent: 3,
        lost: next.status === 200 ? 0 : 1,
        started: dockerEvents(await dockerFragment("fault", name), "start", since).length,
        leaks,
        measured: [
          `after the eviction: ` +
            `${adopted ? "container adopted by the new instance" : "run ended for the new instance"} ` +
            `(${state.status})`,
          `due schedule runs: ${ticks.length}`,
          `onStop calls: ${stops.length}`,
          `deadline kept: ${(await value(name, "activityDeadline")) !== null}`,
        ],
        runtime: "workerd + Docker",
      });
      if (adopted) {
        expect(stops).toEqual([]);
        expect(running).toBe(1);
      } else {
        // Closed out at once (stopped), or adopted and then seen killed by
        // workerd's clean-up, an exit nobody asked for (stopped_with_code 137).
        expect(state.status).toMatch(/^stopped(_with_code)?$/);
        expect(stops).toHaveLength(1);
        expect(running).toBe(0);
      }
      expect(ticks).toEqual(["tick:1"]);
      expect(next.status).toBe(200);
    },
  );

  it.each([-400, -150, 0, 150, 400])("a schedule due %i ms from the eviction runs exactly once", async (offset) => {
    const name = use("fault");
    const since = Date.now();
    await value(name, "getState"); // construct the object (no container)
    const dueAt = Math.ceil((Date.now() + 2_500) / 1000) * 1000; // schedules are whole seconds
    await value(name, "schedule", (dueAt - Date.now()) / 1000, "tick", { n: 1 });
    await sleep(Math.max(0, dueAt + offset - Date.now()));
    await evict("fault", name);
    await waitFor("the schedule to run", async () => (await value<string[]>(name, "ticks")).length > 0, 10_000);
    await sleep(3_000);
    const ticks = await value<string[]>(name, "ticks");
    recordFigure({
      scenario: "5 eviction",
      detail: `schedule due ${offset >= 0 ? "+" : ""}${offset} ms from the eviction`,
      sent: 1,
      lost: ticks.length === 1 ? 0 : 1,
      started: dockerEvents(await dockerFragment("fault", name), "start", since).length,
      leaks: 0, // no container was asked for
      measured: [`runs: ${ticks.length}`],
      runtime: "workerd + Docker",
    });
    expect(ticks).toEqual(["tick:1"]);
  });
});
