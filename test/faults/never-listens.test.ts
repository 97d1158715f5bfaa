// Scenario 3: the container starts but never listens. Requests fail after
// the configured budget with the reason; nothing is left running; the state
// reads `stopped`.
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
import { recordFigure } from "./figures";

const use = useContainers();

async function runningContainers(name: string): Promise<number> {
  return (await dockerContainers("silent", name)).filter((c) => c.status === "running").length;
}

describe("scenario 3: a container that never listens", () => {
  it(
    "startAndWaitForPorts with a 3 s port budget: a clear error in time, " + "no container left, state stopped",
    async () => {
      const name = use("silent");
      const fragment = await dockerFragment("silent", name);
      const since = Date.now();
      const result = await rpc("silent", name, "startAndWaitForPorts", {
        ports: [8080],
        cancellationOptions: { portReadyTimeoutMS: 3_000 },
      });
      // The failed start kills the container before it reports.
      const left = await runningContainers(name);
      const state = (await rpc("silent", name, "getState")).value;
      recordFigure({
        scenario: "3 never listens",
        detail: "startAndWaitForPorts, portReadyTimeoutMS 3000",
        sent: 1,
        lost: 0,
        failedOnPurpose: 1,
        started: dockerEvents(fragment, "start", since).length,
        leaks: left,
        measured: [
          `failed after ${result.ms} ms`,
          `error: ${JSON.stringify(result.error)}`,
          `state: ${JSON.stringify(state)}`,
        ],
        runtime: "workerd + Docker",
      });
      expect(result.ok).toBe(false);
      expect(result.error).toMatch(/Port 8080 was not ready in time \(last error: .*not listening to port 8080\)/);
      expect(result.ms).toBeGreaterThanOrEqual(3_000);
      // Well short of the 8 s instance budget, which a port budget that was
      // ignored would spend; headroom for a slow machine beyond that.
      expect(result.ms).toBeLessThan(8_000);
      expect(left).toBe(0);
      expect(state).toMatchObject({ status: "stopped" });
      expect((await hooks("silent", name)).filter((h) => h.startsWith("error:"))).toHaveLength(1);
    },
  );

  it(
    "10 concurrent requests with the default budgets: each a 500 with the reason, one container started, none " +
      "left",
    async () => {
      const name = use("silent");
      const fragment = await dockerFragment("silent", name);
      const since = Date.now();
      const started = performance.now();
      const replies = await Promise.all(
        Array.from({ length: 10 }, async () => {
          const res = await proxy("silent", name, "/echo");
          return { status: res.status, text: await res.text() };
        }),
      );
      const ms = performance.now() - started;
      await waitFor("the container to be gone", async () => (await runningContainers(name)) === 0, 10_000).catch(
        () => false,
      );
      const left = await runningContainers(name);
      const state = (await rpc("silent", name, "getState")).value;
      const starts = dockerEvents(fragment, "start", since).length;
      recordFigure({
        scenario: "3 never listens",
        detail: "10 concurrent requests, default budgets (8 s instance + 20 s port)",
        sent: 10,
        lost: replies.filter((r) => r.status !== 500).length,
        failedOnPurpose: replies.filter((r) => r.status === 500).length,
        started: starts,
        leaks: left,
        measured: [
          `all answered after ${ms.toFixed(0)} ms`,
          `reply: ${JSON.stringify(replies[0]?.text.slice(0, 120))}`,
        ],
        runtime: "workerd + Docker",
      });
      for (const reply of replies) {
        expect(reply.status).toBe(500);
        expect(reply.text).toMatch(/^Failed to start container: .*not listening to port 8080/);
      }
      // Bounded by the default budgets (8 s instance + 20 s port), with
      // headroom for a slow machine: never unbounded.
      expect(ms).toBeLessThan(8_000 + 20_000 + 10_000);
      expect(starts).toBe(1);
      expect(left).toBe(0);
      expect(state).toMatchObject({ status: "stopped" });
    },
  );
});
