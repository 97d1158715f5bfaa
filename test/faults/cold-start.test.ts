// Scenario 1: a burst of concurrent requests at one stopped instance starts
// exactly one container and answers every request.
import { describe, expect, it } from "vitest";
import { dockerEvents, dockerFragment, hooks, proxy, rpc, useContainers, waitFor } from "../integration/client";
import { recordFigure } from "./figures";

const use = useContainers();
const BURST = 200;

interface Echo {
  boot: string;
  url: string;
}

/** Sends BURST concurrent requests; returns the replies and how many failed. */
async function burst(name: string): Promise<{ replies: Echo[]; failures: string[]; ms: number }> {
  const started = performance.now();
  const results = await Promise.allSettled(
    Array.from({ length: BURST }, async (_, i) => {
      const res = await proxy("fault", name, `/echo?i=${i}`);
      if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${(await res.text()).slice(0, 200)}`);
      return (await res.json()) as Echo;
    }),
  );
  const replies = results.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
  const failures = results.flatMap((r) => (r.status === "rejected" ? [String(r.reason)] : []));
  return { replies, failures, ms: performance.now() - started };
}

describe("scenario 1: concurrent cold start", () => {
  it.each([
    ["never started", false],
    ["stopped after a run", true],
  ])(
    `${BURST} concurrent requests at an instance %s: one container, every request answered`,
    async (label, runFirst) => {
      const name = use("fault");
      const fragment = await dockerFragment("fault", name);
      if (runFirst) {
        expect((await proxy("fault", name, "/echo")).status).toBe(200);
        expect(await rpc("fault", name, "stop")).toMatchObject({ ok: true });
        await waitFor("the stop", async () => (await hooks("fault", name)).includes("stop:0:exit"));
      }
      const since = Date.now();
      const { replies, failures, ms } = await burst(name);
      // Docker's event log lags a little: wait for the first start, then a
      // moment more for any second one.
      await waitFor("Docker's start event", () => dockerEvents(fragment, "start", since).length > 0, 10_000);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const starts = dockerEvents(fragment, "start", since);
      const onStarts = (await hooks("fault", name)).filter((h) => h === "start").length - (runFirst ? 1 : 0);
      recordFigure({
        scenario: "1 concurrent cold start",
        detail: `${BURST} concurrent requests, instance ${label}`,
        sent: BURST,
        lost: failures.length,
        started: starts.length,
        leaks: 0,
        measured: [`all answered after ${ms.toFixed(0)} ms`, `onStart calls: ${onStarts}`],
        runtime: "workerd + Docker",
      });
      expect(failures).toEqual([]);
      expect(new Set(replies.map((r) => r.boot)).size).toBe(1);
      expect(new Set(replies.map((r) => r.url)).size).toBe(BURST);
      expect(starts).toHaveLength(1);
      expect(onStarts).toBe(1);
    },
  );
});
