// examples/cron-jobs: the cron trigger queues a schedule() callback that starts
// the container, runs the job, and then lets the container sleep.
import { describe, expect, it } from "vitest";
import { containersOf, useExample, waitFor } from "./example";

// --test-scheduled: GET /__scheduled?cron=… runs the Worker's scheduled handler.
const example = useExample("cron-jobs", ["--test-scheduled"]);
const json = async (path: string) => (await fetch(example.url(path))).json();

describe("examples/cron-jobs", () => {
  it("a cron run starts the container, records the job's result, and the container goes to sleep", async () => {
    expect(await json("/runs")).toEqual([]);
    const trigger = await fetch(example.url(`/__scheduled?cron=${encodeURIComponent("0 3 * * *")}`));
    expect(trigger.status).toBe(200);
    await trigger.body?.cancel();

    const runs = (await waitFor("a recorded run", async () => {
      const list = (await json("/runs")) as unknown[];
      return list.length > 0 ? list : undefined;
    })) as Array<Record<string, unknown>>;
    expect(runs[0]).toMatchObject({
      trigger: "cron 0 3 * * *",
      status: 200,
      output: { total: 500000500000, jobsDone: 1 },
    });
    expect(containersOf(example.runName).filter((c) => c.running)).toHaveLength(1);

    // sleepAfter is 10 s: with no more requests, the container stops.
    await waitFor(
      "the container to sleep",
      async () => ((await json("/state")) as { status: string }).status === "stopped",
      40_000,
    );
    expect(containersOf(example.runName).filter((c) => c.running)).toHaveLength(0);
  });

  it("a run queued from HTTP uses the same path", async () => {
    const schedule = await (await fetch(example.url("/run"), { method: "POST" })).json();
    expect(schedule).toMatchObject({ callback: "runJob", payload: { trigger: "manual" } });
    await waitFor("the manual run", async () => ((await json("/runs")) as unknown[]).length === 2);
  });
});
