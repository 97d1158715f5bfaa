// The opt-in additions on real containers: HTTP readiness (readyOn), the
// restart policy and hardTimeout.
import { describe, expect, it } from "vitest";
import { eventsOf, hooks, measure, proxy, rpc, useContainers, waitFor } from "./client";

const use = useContainers();

describe("readyOn", () => {
  it("is ready once the health path answers 200", async () => {
    const name = use("supervised");
    const result = await rpc("supervised", name, "startAndWaitForPorts");
    expect(result).toMatchObject({ ok: true });
    expect((await rpc("supervised", name, "getState")).value).toMatchObject({ status: "healthy" });
  });

  it("a health path that never answers 200 fails within the port budget, saying why", async () => {
    const name = use("supervised");
    await rpc("supervised", name, "setReadyOnPath", "/no-such-path");
    const result = await rpc("supervised", name, "startAndWaitForPorts", {
      cancellationOptions: { portReadyTimeoutMS: 3_000 },
    });
    expect(result.ok).toBe(false);
    expect(result.error).toMatch(/answered 404, which readyOn does not accept/);
    // Far from the 20 s default port budget; headroom for a slow machine.
    expect(result.ms).toBeLessThan(8_000);
  });
});

describe("restart policy", () => {
  it("a container that crashes is restarted by the policy and serves again", async () => {
    const name = use("supervised");
    expect((await proxy("supervised", name, "/echo")).status).toBe(200);
    await proxy("supervised", name, "/exit?code=3")
      .then((r) => r.text())
      .catch(() => undefined);
    await waitFor("the exit and the policy's restart decision", async () => {
      const seen = await hooks("supervised", name);
      return seen.includes("stop:3:exit") && seen.includes("event:restart") ? seen : undefined;
    });
    const state = (await rpc("supervised", name, "getState")).value as {
      restart?: { attempts: number; lastExitCode: number };
    };
    expect(state.restart).toMatchObject({ attempts: 1, lastExitCode: 3 });
    expect((await proxy("supervised", name, "/echo")).status).toBe(200);
  });
});

describe("hardTimeout", () => {
  it("stops a busy container after the hard timeout", async () => {
    const name = use("supervised");
    await rpc("supervised", name, "setHardTimeout", 3);
    expect((await proxy("supervised", name, "/echo")).status).toBe(200);
    let busy = true;
    const traffic = (async () => {
      while (busy) {
        await proxy("supervised", name, "/echo")
          .then((r) => r.text())
          .catch(() => undefined);
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
    })();
    try {
      await waitFor(
        "the hard timeout to stop the container",
        async () => {
          const seen = await hooks("supervised", name);
          return seen.includes("event:hardTimeout") && seen.some((h) => h.startsWith("stop:")) ? seen : undefined;
        },
        30_000,
      );
    } finally {
      busy = false;
      await traffic;
    }
    // Timed by the library's own events: the hard timeout counts from the
    // launch, however long the cold start took.
    const [start] = await eventsOf("supervised", name, "start");
    const [fired] = await eventsOf("supervised", name, "hardTimeout");
    const [stop] = await eventsOf("supervised", name, "stop");
    expect(fired).toMatchObject({ hardTimeoutMs: 3_000 });
    expect(fired!.at - start!.at).toBeGreaterThanOrEqual(3_000);
    expect(stop).toMatchObject({ requested: true });
    expect(stop!.uptimeMs).toBeGreaterThanOrEqual(3_000);
    measure("hardTimeout 3 s: launch → hardTimeout event", fired!.at - start!.at);
  });
});
