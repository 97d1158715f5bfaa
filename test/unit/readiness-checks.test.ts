// readyOn as a list of checks (src/readiness-checks.ts): the factories, user
// checks, the shared pass, timeouts and failures, addReadinessCheck and
// setReadinessChecks.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { isHealthy, pathHealthy, portResponding } from "../../src";
import type { ReadinessCheck, ReadinessCheckOptions } from "../../src";
import { errorOf, eventually, fakeOf, fresh, hooks, inObject } from "./harness";

/** A /health endpoint that answers 503 for its first `failures` requests, then 200. */
function health(failures: number) {
  let seen = 0;
  return (request: Request) => {
    if (new URL(request.url).pathname !== "/health") return new Response("app");
    seen++;
    return new Response(seen > failures ? "ok" : "warming", { status: seen > failures ? 200 : 503 });
  };
}

describe("readyOn = [checks]", () => {
  it("isHealthy waits for the path's 2xx; the container is healthy only then", async () => {
    const stub = fresh(env.TEST);
    const fake = await fakeOf(stub);
    await inObject(stub, async (instance, inner) => {
      inner.ports.set(8080, health(3));
      instance.readyOn = [isHealthy("/health")];
      await instance.startAndWaitForPorts({ cancellationOptions: { waitInterval: 5 } });
    });
    const probes = fake.requests.filter((r) => r.url === "http://container/health");
    expect(probes.length).toBe(4);
    expect((await stub.getState()).status).toBe("healthy");
  });

  it("portResponding names the port that must answer, and replaces the ports the fields imply", async () => {
    const stub = fresh(env.TEST);
    const fake = await fakeOf(stub);
    await inObject(stub, async (instance, inner) => {
      inner.ports.delete(8080);
      inner.ports.set(9090, () => new Response("nine"));
      instance.readyOn = [portResponding(9090)];
      // defaultPort 8080 does not listen: only the listed check counts.
      await instance.startAndWaitForPorts();
    });
    expect((await stub.getState()).status).toBe("healthy");
    expect(fake.requests.some((r) => r.port === 9090)).toBe(true);
  });

  it("a check of the user's own gets the container and { signal, deadline, fetch }; fetch reaches it", async () => {
    const stub = fresh(env.TEST);
    const seen = await inObject(stub, async (instance) => {
      const seen: { self?: boolean; deadline?: number; aborted?: boolean; body?: string } = {};
      instance.readyOn = [
        async (container: unknown, options: ReadinessCheckOptions) => {
          seen.self = container === instance;
          seen.deadline = options.deadline;
          seen.aborted = options.signal.aborted;
          seen.body = await (await options.fetch("/echo/warm")).text();
        },
      ];
      await instance.startAndWaitForPorts();
      return seen;
    });
    expect(seen.self).toBe(true);
    expect(seen.aborted).toBe(false);
    expect(seen.deadline).toBeGreaterThan(0);
    expect(seen.body).toContain("/echo/warm");
    expect((await stub.getState()).status).toBe("healthy");
  });

  it("a failing check fails the start with its name and reason, calls onError and leaves nothing running", async () => {
    const stub = fresh(env.TEST);
    const fake = await fakeOf(stub);
    const message = await errorOf(stub, (instance) => {
      instance.swallowErrors = true;
      instance.readyOn = [
        async function migrations() {
          throw new Error("schema is behind");
        },
      ];
      return instance.startAndWaitForPorts();
    });
    expect(message).toBe("Readiness check migrations failed: schema is behind");
    expect(hooks(stub)).toContain("error:Readiness check migrations failed: schema is behind");
    expect(fake.running).toBe(false);
    expect((await stub.getState()).status).toBe("stopped");
  });

  it("a check that never settles times out within portReadyTimeoutMS, and its signal aborts", async () => {
    const stub = fresh(env.TEST);
    const result = await inObject(stub, async (instance) => {
      instance.swallowErrors = true;
      let signal: AbortSignal | undefined;
      instance.readyOn = [
        (_container: unknown, options: ReadinessCheckOptions) => {
          signal = options.signal;
          return new Promise(() => undefined);
        },
      ];
      const error = await instance.startAndWaitForPorts({ cancellationOptions: { portReadyTimeoutMS: 200 } }).then(
        () => undefined,
        (e: Error) => e.message,
      );
      return { error, aborted: signal?.aborted };
    });
    expect(result.error).toMatch(/^The readiness checks did not all pass within \d+ ms$/);
    expect(result.aborted).toBe(true);
  });

  it("runs the checks once per container, however many requests wait on them", async () => {
    const stub = fresh(env.TEST);
    const calls = await inObject(stub, async (instance) => {
      let calls = 0;
      instance.readyOn = [
        async () => {
          calls++;
          await new Promise((resolve) => setTimeout(resolve, 30));
        },
      ];
      const answers = await Promise.all(
        [1, 2, 3].map(() => instance.containerFetch("/echo/x").then((r: Response) => r.status)),
      );
      expect(answers).toEqual([200, 200, 200]);
      await instance.startAndWaitForPorts();
      return calls;
    });
    expect(calls).toBe(1);
  });

  it("setReadinessChecks([]) is ready as soon as the container runs, without waiting on a port", async () => {
    const stub = fresh(env.TEST);
    await inObject(stub, async (instance, inner) => {
      inner.ports.delete(8080);
      instance.setReadinessChecks([]);
      await instance.startAndWaitForPorts();
    });
    expect((await stub.getState()).status).toBe("healthy");
  });

  it("addReadinessCheck keeps the checks the fields imply and adds one", async () => {
    const stub = fresh(env.TEST);
    const result = await inObject(stub, async (instance, inner) => {
      inner.ports.set(8080, health(0));
      instance.readyOn = { path: "/health" };
      let ran = false;
      instance.addReadinessCheck(async () => {
        ran = true;
      });
      const names = (instance.readyOn as ReadinessCheck[]).map((check) => check.name);
      await instance.startAndWaitForPorts();
      return { names, ran };
    });
    expect(result.names[0]).toBe('isHealthy("/health")');
    expect(result.names).toHaveLength(2);
    expect(result.ran).toBe(true);
  });

  it("refuses what is not a check, naming the entry", async () => {
    const stub = fresh(env.TEST);
    const fake = await fakeOf(stub);
    const message = await errorOf(stub, (instance) => {
      instance.readyOn = [portResponding(8080), "ready"];
      return instance.startAndWaitForPorts();
    });
    expect(message).toMatch(/^Invalid readyOn: entry 1 is "ready"\. Expected a function/);
    expect(fake.starts).toHaveLength(0);
    const direct = await errorOf(stub, async (instance) => instance.setReadinessChecks([42]));
    expect(direct).toMatch(/^Invalid setReadinessChecks: entry 0 is number 42/);
  });
});

describe("the check factories", () => {
  it("refuse bad arguments with what is accepted", () => {
    expect(() => isHealthy("health")).toThrow(/Invalid isHealthy path: "health"\. Expected a path/);
    expect(() => isHealthy("/h", { status: 42 })).toThrow(/Invalid isHealthy status/);
    expect(() => portResponding(0)).toThrow(/Invalid portResponding port: 0/);
    expect(() => pathHealthy("/h", 70_000)).toThrow(/Invalid isHealthy port: 70000/);
  });

  it("called as plain functions, poll through options.fetch until the path answers", async () => {
    const server = health(2);
    const options: ReadinessCheckOptions = {
      signal: new AbortController().signal,
      deadline: Date.now() + 10_000,
      fetch: async (input) => server(typeof input === "string" ? new Request(input) : input),
    };
    await pathHealthy("/health", 8080)({ defaultPort: 8080 }, options);
    const late: ReadinessCheckOptions = { ...options, deadline: Date.now() - 1 };
    await expect(
      isHealthy("/health")({ defaultPort: 8080 }, { ...late, fetch: async () => new Response("", { status: 503 }) }),
    ).rejects.toThrow('isHealthy("/health") was not ready in time.');
  });
});

describe("the shared pass of checks", () => {
  it("fails the container even when the caller that began the pass gave up; a later caller runs it anew", async () => {
    const stub = fresh(env.TEST);
    const fake = await fakeOf(stub);
    const result = await inObject(stub, async (instance) => {
      instance.swallowErrors = true;
      let calls = 0;
      let failNow!: () => void;
      instance.readyOn = [
        () => {
          calls++;
          if (calls > 1) return undefined;
          return new Promise<void>((_resolve, reject) => {
            failNow = () => reject(new Error("warm-up failed"));
          });
        },
      ];
      const controller = new AbortController();
      const first = instance.startAndWaitForPorts({ cancellationOptions: { abort: controller.signal } });
      const firstOutcome = first.then(
        () => "resolved",
        (error: Error) => error.name,
      );
      await new Promise((resolve) => setTimeout(resolve, 20));
      controller.abort();
      const gaveUp = await firstOutcome;
      failNow();
      return { gaveUp, calls: () => calls };
    });
    expect(result.gaveUp).toBe("ContainerAbortedError");
    await eventually(() => expect(fake.running).toBe(false));
    expect(hooks(stub)).toContain("error:Readiness check (anonymous) failed: warm-up failed");
    await inObject(stub, (instance) => instance.startAndWaitForPorts());
    expect((await stub.getState()).status).toBe("healthy");
  });
});
