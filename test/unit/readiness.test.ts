import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { switchPort } from "../../src";
import { errorOf, fakeOf, fresh, hooks, inObject } from "./harness";

/** A health endpoint that fails until `readyAfterMs` after the first request. */
function healthServer(readyAfterMs: number, okStatus = 200) {
  let first: number | undefined;
  return (request: Request) => {
    const url = new URL(request.url);
    if (url.pathname !== "/healthz") return new Response("app");
    first ??= Date.now();
    const status = Date.now() - first >= readyAfterMs ? okStatus : 503;
    return new Response(status === 204 ? null : "health", { status });
  };
}

describe("readyOn: HTTP readiness", () => {
  it("waits until the health endpoint answers an accepted status, not just until the port accepts", async () => {
    const stub = fresh(env.TEST);
    const fake = await fakeOf(stub);
    const result = await inObject(stub, async (instance, inner) => {
      inner.ports.set(8080, healthServer(150));
      instance.readyOn = { path: "/healthz" };
      const t0 = Date.now();
      await instance.startAndWaitForPorts({ cancellationOptions: { waitInterval: 20 } });
      return Date.now() - t0;
    });
    expect(result).toBeGreaterThanOrEqual(140);
    const health = fake.requests.filter((r) => r.url === "http://container/healthz");
    expect(health.length).toBeGreaterThan(1);
    expect((await stub.getState()).status).toBe("healthy");
  });

  it("accepts the listed statuses only", async () => {
    const stub = fresh(env.TEST);
    await inObject(stub, async (instance, inner) => {
      inner.ports.set(8080, healthServer(0, 204));
      instance.readyOn = { path: "/healthz", status: [204] };
      await instance.startAndWaitForPorts();
    });
    expect((await stub.getState()).status).toBe("healthy");
    const other = fresh(env.TEST);
    const message = await errorOf(other, (instance, inner) => {
      inner.ports.set(8080, healthServer(0, 204));
      instance.readyOn = { path: "/healthz", status: 200 };
      instance.swallowErrors = true;
      return instance.startAndWaitForPorts({ cancellationOptions: { portReadyTimeoutMS: 200, waitInterval: 20 } });
    });
    expect(message).toMatch(/answered 204, which readyOn does not accept/);
  });

  it("a health endpoint that never passes fails within the budget, says why, and calls onError", async () => {
    const stub = fresh(env.TEST);
    const t0 = Date.now();
    const message = await errorOf(stub, (instance, inner) => {
      inner.ports.set(8080, healthServer(60_000));
      instance.readyOn = { path: "/healthz" };
      instance.swallowErrors = true;
      return instance.startAndWaitForPorts({ cancellationOptions: { portReadyTimeoutMS: 300, waitInterval: 50 } });
    });
    // The 300 ms budget, far from the 60 s the health check would take; headroom for busy cores.
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(message).toMatch(
      new RegExp(
        "Port 8080 was not ready in time \\(last error: http://container/healthz on port 8080 answered 503, " +
          "which readyOn does not accept\\)",
      ),
    );
    expect(hooks(stub).some((h) => h.startsWith("error:Failed to verify port 8080 is available: Port 8080"))).toBe(
      true,
    );
  });

  it("applies to its port only; other ports keep connection readiness", async () => {
    const stub = fresh(env.TEST);
    const fake = await fakeOf(stub);
    await inObject(stub, async (instance, inner) => {
      inner.ports.set(8080, healthServer(0));
      instance.readyOn = { path: "/healthz" };
      await instance.startAndWaitForPorts([8080, 9090]);
    });
    expect(fake.requests.filter((r) => r.port === 9090).map((r) => r.url)).toEqual(["http://ping/"]);
  });

  it.each([
    [{ path: "healthz" }, /path "healthz" does not start with "\/"/],
    [{ status: 42 }, /status 42 is not an HTTP status/],
    [{ port: 0 }, /Invalid readyOn.port: 0/],
  ])("invalid readyOn %j is a clear error", async (readyOn, expected) => {
    const stub = fresh(env.TEST);
    const message = await errorOf(stub, (instance) => {
      instance.swallowErrors = true;
      instance.readyOn = readyOn;
      return instance.startAndWaitForPorts();
    });
    expect(message).toMatch(expected);
  });
});

describe("wake: false and fetchIfRunning", () => {
  it("answer 503 with Retry-After and start nothing when the container is not running", async () => {
    const stub = fresh(env.TEST);
    const fake = await fakeOf(stub);
    const results = await inObject(stub, async (instance) => {
      const a: Response = await instance.containerFetch("http://x/", { wake: false });
      const b: Response = await instance.fetchIfRunning(new Request("http://x/"));
      return [a, b].map((r) => ({ status: r.status, retryAfter: r.headers.get("retry-after") }));
    });
    for (const result of results) {
      expect(result.status).toBe(503);
      expect(result.retryAfter).toMatch(/^\d+$/);
    }
    expect(fake.starts).toHaveLength(0);
  });

  it("proxy as usual once it runs (the wake option is not sent to the container)", async () => {
    const stub = fresh(env.TEST);
    await stub.startAndWaitForPorts();
    const results = await inObject(stub, async (instance) => {
      const a: Response = await instance.containerFetch("http://x/a", { wake: false, method: "POST", body: "hi" });
      const b: Response = await instance.fetchIfRunning(switchPort(new Request("http://x/b"), 9090));
      return [await a.json(), await b.text()];
    });
    expect(results[0]).toMatchObject({ method: "POST", body: "hi", url: "http://x/a" });
    expect(results[1]).toBe("port-9090");
  });
});
