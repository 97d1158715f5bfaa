// Scenario 5, the half local workerd cannot show: the container outlives
// its Durable Object's eviction (local workerd destroys it with the object;
// see test/faults/eviction.test.ts for that half, on real containers). On the
// fake runtime the process keeps running across the eviction.
import { env, evictDurableObject, runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ACTIVITY_DEADLINE_KEY } from "../../../src/constants";
import { eventually, fakeOf, fresh, hooks, inObject } from "../../unit/harness";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("scenario 5 (fake runtime): eviction while the container keeps running", () => {
  it(
    "the new instance adopts the container; state, schedules and the idle deadline carry on; the due schedule " +
      "runs once",
    async () => {
      const stub = fresh(env.TEST);
      const fake = await fakeOf(stub);
      // This instance idles out after 1 s; a new instance of the class would use 10 s.
      const before = await inObject(stub, async (o, _f, state) => {
        o.sleepAfter = 1;
        await (await o.fetch(new Request("http://x/"))).text();
        await o.schedule(1, "ping", { n: 1 });
        const later = await o.schedule(3600, "ping", { n: 2 });
        return {
          state: await o.getState(),
          deadline: await state.storage.get<number>(ACTIVITY_DEADLINE_KEY),
          later: later.taskId,
        };
      });
      await evictDurableObject(stub as never);
      expect(fake.running).toBe(true);

      // Right after: the same state, both schedules, the same deadline.
      const after = await inObject(stub, async (o, _f, state) => ({
        state: await o.getState(),
        deadline: await state.storage.get<number>(ACTIVITY_DEADLINE_KEY),
        pending: (await o.listSchedules("ping")).length,
      }));
      expect(after).toEqual({ state: before.state, deadline: before.deadline, pending: 2 });

      // Past the schedule's time and the 1 s deadline: one alarm runs both.
      await sleep(Math.max(0, before.deadline! - Date.now()) + 1_100);
      await runDurableObjectAlarm(stub as never);
      await runDurableObjectAlarm(stub as never); // a second delivery must not run it again
      await eventually(() => expect(hooks(stub)).toContain("stop:0:exit"));
      const pings = hooks(stub).filter((h) => h.startsWith("ping:"));
      expect(pings).toEqual(['ping:{"n":1}']);
      // The adopted container idled out at the deadline set before the eviction.
      expect(hooks(stub).filter((h) => h === "expired")).toHaveLength(1);
      expect(hooks(stub).filter((h) => h.startsWith("stop:"))).toEqual(["stop:0:exit"]);
      expect(fake.starts).toHaveLength(1);
      expect(await inObject(stub, (o) => o.getSchedule(before.later))).toMatchObject({ payload: { n: 2 } });
    },
  );
});
