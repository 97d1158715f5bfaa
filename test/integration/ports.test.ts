// Ports on real containers: defaultPort, requiredPorts, switchPort, ports that
// open late or never.
import { describe, expect, it } from "vitest";
import { dockerContainers, eventsOf, hooks, measure, portUrl, proxy, rpc, useContainers, waitFor } from "./client";

const use = useContainers();

const portOf = async (res: Response): Promise<number> => ((await res.json()) as { port: number }).port;

describe("ports", () => {
  it("fetch goes to defaultPort; switchPort reaches a second port of the same container", async () => {
    const name = use("app");
    expect(await portOf(await proxy("app", name, "/echo"))).toBe(8080);
    const switched = await fetch(portUrl("app", name, 8081, "/echo"));
    expect(switched.status).toBe(200);
    const body = (await switched.json()) as { port: number; headers: Record<string, string> };
    expect(body.port).toBe(8081);
    // The routing header is consumed by the library, not forwarded.
    expect(body.headers["cf-container-target-port"]).toBeUndefined();
    expect(await hooks("app", name)).toEqual(["start"]);
  });

  it("requiredPorts: every listed port is ready before the start counts", async () => {
    const name = use("ports");
    const started = await rpc("ports", name, "startAndWaitForPorts");
    expect(started).toMatchObject({ ok: true });
    expect((await rpc("ports", name, "getState")).value).toMatchObject({ status: "healthy" });
    // Both answer at once, without another start.
    expect(await portOf(await proxy("ports", name, "/echo"))).toBe(8080);
    expect(await portOf(await fetch(portUrl("ports", name, 8081, "/echo")))).toBe(8081);
    expect(await hooks("ports", name)).toEqual(["start"]);
  });

  it("a port that opens late: the first request waits for it", async () => {
    const name = use("late");
    const res = await proxy("late", name, "/echo");
    expect(res.status).toBe(200);
    // The library's own timing: ready no sooner than the 2.5 s the process waits.
    const [ready] = await eventsOf("late", name, "ready");
    measure("port opening after 2.5 s: launch → ready", ready!.startupMs as number);
    expect(ready!.startupMs).toBeGreaterThanOrEqual(2_500);
    const [container] = await dockerContainers("late", name);
    expect(container!.logs()).toContain("opening ports after 2500 ms");
  });

  it("a port that never opens: a clear error within the budget, and the container is killed", async () => {
    const name = use("silent");
    const result = await rpc("silent", name, "startAndWaitForPorts", {
      ports: [8080],
      cancellationOptions: { portReadyTimeoutMS: 3_000 },
    });
    measure("startAndWaitForPorts with a 3 s port budget, port never opens", result.ms);
    expect(result.ok).toBe(false);
    expect(result.error).toMatch(/not listening to port 8080/);
    // The port budget counts from the call (the object's clock), so never sooner.
    expect(result.ms).toBeGreaterThanOrEqual(3_000);
    expect((await rpc("silent", name, "getState")).value).toMatchObject({ status: "stopped" });
    await waitFor("the container to be gone", async () =>
      (await dockerContainers("silent", name)).every((c) => c.status !== "running"),
    );
  });

  // Regression: local workerd says "Container is not listening to port 8080"
  // (not "the container is not listening"); when the library missed it, a
  // closed port looked like "no instance yet", the wait spent the 8 s instance
  // budget and portReadyTimeoutMS was ignored.
  it("portReadyTimeoutMS bounds the wait for a port that never opens", async () => {
    const name = use("silent");
    const result = await rpc("silent", name, "startAndWaitForPorts", {
      ports: [8080],
      cancellationOptions: { portReadyTimeoutMS: 3_000 },
    });
    expect(result.ok).toBe(false);
    // Well short of the 8 s instance budget that the bug spent; headroom for a slow machine.
    expect(result.ms).toBeLessThan(8_000);
  });

  it("a port that opens after 10 s is within the default 20 s port budget", async () => {
    const name = use("app");
    const result = await rpc("app", name, "startAndWaitForPorts", {
      ports: [8080],
      startOptions: { envVars: { START_DELAY_MS: "10000" } },
    });
    expect(result).toMatchObject({ ok: true });
  });

  it("a port that never opens, through fetch: 500 with the reason after the default budget", async () => {
    const name = use("silent");
    const t = performance.now();
    const res = await proxy("silent", name, "/echo");
    const took = performance.now() - t;
    measure("fetch to a port that never opens (default budgets)", took);
    expect(res.status).toBe(500);
    expect(await res.text()).toMatch(/Failed to start container: .*not listening to port 8080/);
    // Within the default budgets (8 s instance + 20 s port) plus headroom for
    // a slow machine: never unbounded.
    expect(took).toBeLessThan(8_000 + 20_000 + 10_000);
  });
});
