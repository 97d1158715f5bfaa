// Scenarios 9 and 10 on real containers: the app container disappears behind
// workerd's back (`docker rm -f`, not through the library) while the object
// believes it is healthy, alone, under streaming responses, around an
// eviction and twice in a row; and getState() repairing what storage says.
// The half real Docker cannot produce on demand (a runtime that never reports
// the exit, storage that says stopped while a process runs) is
// test/faults/unit/runtime-drift.test.ts.
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import {
  dockerContainers,
  dockerFragment,
  hooks,
  proxy,
  rpc,
  useContainers,
  waitFor,
  watchDockerEvents,
} from "../integration/client";
import { ending, evict } from "./client";
import { recordFigure } from "./figures";

const use = useContainers();

const stops = async (name: string) => (await hooks("fault", name)).filter((h) => h.startsWith("stop:"));
const running = async (name: string) => (await dockerContainers("fault", name)).filter((c) => c.status === "running");
const bootOf = async (res: Response) => ((await res.json()) as { boot: string }).boot;

/** Removes the object's running app container the way an operator would, behind workerd's back. */
async function removeBehindTheBack(name: string): Promise<void> {
  const [container] = await running(name);
  if (!container) throw new Error("no running container to remove");
  execFileSync("docker", ["rm", "-f", container.name], { stdio: "ignore" });
}

/** A healthy container for `name`; returns its boot id and a watch on Docker's start events. */
async function healthy(name: string) {
  const starts = watchDockerEvents(await dockerFragment("fault", name), "start");
  const res = await proxy("fault", name, "/echo");
  expect(res.status).toBe(200);
  const boot = await bootOf(res);
  expect((await rpc("fault", name, "getState")).value).toMatchObject({ status: "healthy" });
  return { boot, starts };
}

/**
 * After a case: waits for `expectedStops` onStop calls and a moment more for
 * one too many (which must not come), then reads the stops and the running
 * containers, and ends the watch on Docker's start events.
 */
async function aftermath(name: string, starts: { names: () => string[]; stop: () => void }, expectedStops: number) {
  await waitFor("onStop", async () => (await stops(name)).length >= expectedStops).catch(() => undefined);
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  const stopHooks = await stops(name);
  const left = (await running(name)).length;
  starts.stop();
  return { stopHooks, left, started: starts.names().length };
}

const SCENARIO_9 = "9 container removed behind workerd's back";

describe("scenario 9: the container disappears behind workerd's back", () => {
  it(
    "docker rm -f of a healthy container: the next request notices, " + "onStop once, a fresh container serves it",
    async () => {
      const name = use("fault");
      const { boot, starts } = await healthy(name);
      await removeBehindTheBack(name);
      const next = await proxy("fault", name, "/echo");
      const nextBoot = next.status === 200 ? await bootOf(next) : "";
      const { stopHooks, left, started } = await aftermath(name, starts, 1);
      const state = (await rpc("fault", name, "getState")).value;
      recordFigure({
        scenario: SCENARIO_9,
        detail: "docker rm -f of a healthy container, then a request",
        sent: 2,
        lost: next.status === 200 ? 0 : 1,
        started,
        leaks: left - 1, // the fresh one is expected
        measured: [
          `next request: ${next.status}`,
          `onStop: ${stopHooks.join(", ")}`,
          `state: ${JSON.stringify({ ...(state as object), lastChange: undefined })}`,
        ],
        runtime: "workerd + Docker",
      });
      expect(next.status).toBe(200);
      expect(nextBoot).not.toBe(boot);
      expect(stopHooks).toHaveLength(1);
      expect(state).toMatchObject({ status: "healthy" });
      expect(left).toBe(1);
    },
  );

  it(
    "removed while 10 responses stream: each is cut off (none hangs, none looks whole), onStop once, the next " +
      "request is served",
    async () => {
      const name = use("fault");
      const { boot, starts } = await healthy(name);
      const responses = Array.from({ length: 10 }, () => proxy("fault", name, "/drip?ms=100&n=100"));
      // Flowing once each has its headers.
      await Promise.allSettled(responses);
      await removeBehindTheBack(name);
      const endings = await Promise.all(
        responses.map((response) => ending(response, (text) => text.endsWith("done\n"), 30_000)),
      );
      const next = await proxy("fault", name, "/echo");
      const nextBoot = next.status === 200 ? await bootOf(next) : "";
      const { stopHooks, left, started } = await aftermath(name, starts, 1);
      recordFigure({
        scenario: SCENARIO_9,
        detail: "docker rm -f while 10 responses stream",
        sent: 12,
        lost: endings.filter((e) => e === "hung").length + (next.status === 200 ? 0 : 1),
        failedOnPurpose: endings.filter((e) => e !== "complete").length,
        started,
        leaks: left - 1,
        measured: [
          `stream endings: ${endings.filter((e) => e === "cut off").length} cut off of ${endings.length}`,
          `onStop: ${stopHooks.join(", ")}`,
        ],
        runtime: "workerd + Docker",
      });
      expect(endings).not.toContain("hung");
      expect(endings).not.toContain("complete");
      expect(next.status).toBe(200);
      expect(nextBoot).not.toBe(boot);
      expect(stopHooks).toHaveLength(1);
      expect(left).toBe(1);
    },
  );

  it(
    "removed, then the object is evicted before it noticed: the new " + "instance closes the run out once and serves",
    async () => {
      const name = use("fault");
      const { boot, starts } = await healthy(name);
      const instance = (await rpc("fault", name, "instance")).value;
      await removeBehindTheBack(name);
      await evict("fault", name);
      await waitFor("a new instance", async () => (await rpc("fault", name, "instance")).value !== instance, 20_000);
      const next = await proxy("fault", name, "/echo");
      const nextBoot = next.status === 200 ? await bootOf(next) : "";
      const { stopHooks, left, started } = await aftermath(name, starts, 1);
      recordFigure({
        scenario: SCENARIO_9,
        detail: "docker rm -f, then the object is evicted, then a request",
        sent: 2,
        lost: next.status === 200 ? 0 : 1,
        started,
        leaks: left - 1,
        measured: [`next request: ${next.status}`, `onStop: ${stopHooks.join(", ")}`],
        runtime: "workerd + Docker",
      });
      expect(next.status).toBe(200);
      expect(nextBoot).not.toBe(boot);
      expect(stopHooks).toHaveLength(1);
      expect(left).toBe(1);
    },
  );

  it("removed twice in a row: each loss closed out once, each next request on a fresh container", async () => {
    const name = use("fault");
    const { boot, starts } = await healthy(name);
    const boots = [boot];
    const statuses: number[] = [];
    for (let i = 1; i <= 2; i++) {
      await removeBehindTheBack(name);
      const next = await proxy("fault", name, "/echo");
      statuses.push(next.status);
      if (next.status === 200) boots.push(await bootOf(next));
      await waitFor(`onStop number ${i}`, async () => (await stops(name)).length >= i);
    }
    const { stopHooks, left, started } = await aftermath(name, starts, 2);
    recordFigure({
      scenario: SCENARIO_9,
      detail: "docker rm -f twice in a row, a request after each",
      sent: 3,
      lost: statuses.filter((s) => s !== 200).length,
      started,
      leaks: left - 1,
      measured: [`requests after each removal: ${statuses.join(", ")}`, `onStop: ${stopHooks.join(", ")}`],
      runtime: "workerd + Docker",
    });
    expect(statuses).toEqual([200, 200]);
    expect(new Set(boots).size).toBe(3);
    expect(stopHooks).toHaveLength(2);
    expect(left).toBe(1);
  });
});

describe("scenario 10: getState() repairs itself", () => {
  it(
    "storage says healthy, the container is gone: getState() reports stopped and onStop runs once, with no " +
      "request",
    async () => {
      const name = use("fault");
      const { starts } = await healthy(name);
      await removeBehindTheBack(name);
      const state = await waitFor(
        "getState() to report the loss",
        async () => {
          const value = (await rpc("fault", name, "getState")).value as { status: string };
          return value.status.startsWith("stopped") ? value : undefined;
        },
        20_000,
      );
      const again = (await rpc("fault", name, "getState")).value;
      const { stopHooks, left, started } = await aftermath(name, starts, 1);
      recordFigure({
        scenario: "10 getState() repairs itself",
        detail: "docker rm -f of a healthy container, then getState() twice, no request",
        sent: 2,
        lost: 0,
        started,
        leaks: left,
        measured: [
          `getState: ${JSON.stringify({ ...state, lastChange: undefined })}`,
          `onStop: ${stopHooks.join(", ")}`,
        ],
        runtime: "workerd + Docker",
      });
      expect(state.status).toMatch(/^stopped/);
      expect(again).toMatchObject({ status: state.status });
      expect(stopHooks).toHaveLength(1);
      expect(left).toBe(0);
    },
  );
});
