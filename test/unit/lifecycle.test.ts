import { env, evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { PROBE_SPACING_MS } from "../../src/constants";
import { UnconfiguredContainer } from "./objects/containers";
import { errorOf, eventually, fakeOf, fresh, hooks, inObject } from "./harness";

/** `containerFetch` run inside the object (its start errors swallowed): status, Retry-After and body. */
function containerFetchFrom(stub: Parameters<typeof inObject>[0]) {
  return inObject(stub, async (instance) => {
    instance.swallowErrors = true;
    const response: Response = await instance.containerFetch("http://x/");
    return { status: response.status, retryAfter: response.headers.get("retry-after"), body: await response.text() };
  });
}

describe("starting", () => {
  it("a request cold-starts the container, waits for the port, then onStart runs once", async () => {
    const stub = fresh(env.TEST);
    const res = await stub.fetch("http://example.com/hello");
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ server: "echo", method: "GET", url: "http://example.com/hello" });
    const state = await stub.getState();
    expect(state.status).toBe("healthy");
    expect(hooks(stub)).toEqual(["start"]);
    const fake = await fakeOf(stub);
    expect(fake.starts).toHaveLength(1);
    await stub.fetch("http://example.com/again");
    expect(fake.starts).toHaveLength(1);
    expect(hooks(stub)).toEqual(["start"]);
  });

  it("concurrent cold requests share one start", async () => {
    const stub = fresh(env.TEST);
    const fake = await fakeOf(stub);
    fake.listenDelayMs = 50;
    const responses = await Promise.all(Array.from({ length: 40 }, (_, i) => stub.fetch(`http://c/${i}`)));
    expect(responses.map((r) => r.status)).toEqual(Array(40).fill(200));
    expect(fake.starts).toHaveLength(1);
    expect(hooks(stub)).toEqual(["start"]);
  });
});

describe("configuration reaches the runtime", () => {
  it("class fields: envVars, entrypoint, enableInternet, labels, requiredPorts", async () => {
    const stub = fresh(env.FIELDS);
    const fake = await fakeOf(stub);
    await stub.startAndWaitForPorts();
    expect(fake.starts).toEqual([
      {
        env: { FROM_FIELD: "yes" },
        entrypoint: ["node", "server.js"],
        enableInternet: false,
        labels: { team: "core" },
      },
    ]);
    // requiredPorts [8080, 9090] were both probed before healthy.
    const probed = new Set(fake.requests.map((r) => r.port));
    expect(probed).toEqual(new Set([8080, 9090]));
    expect((await stub.getState()).status).toBe("healthy");
  });

  it("constructor options apply when no field overrides them", async () => {
    const stub = fresh(env.OPTIONS);
    const fake = await fakeOf(stub);
    const res = await stub.fetch("http://x/");
    expect(await res.text()).toBe("port-9090");
    expect(fake.starts[0]).toEqual({ env: { FROM_OPTIONS: "1" }, enableInternet: false });
  });

  it("per-start options replace the fields for that start", async () => {
    const stub = fresh(env.FIELDS);
    const fake = await fakeOf(stub);
    await stub.startAndWaitForPorts({
      ports: 8080,
      startOptions: { envVars: { PER_START: "1" }, entrypoint: ["sh"], enableInternet: true, labels: { a: "b" } },
    });
    expect(fake.starts[0]).toEqual({
      env: { PER_START: "1" },
      entrypoint: ["sh"],
      enableInternet: true,
      labels: { a: "b" },
    });
  });

  it("positional startAndWaitForPorts(ports, cancellation, startOptions)", async () => {
    const stub = fresh(env.TEST);
    const fake = await fakeOf(stub);
    await stub.startAndWaitForPorts([8080, 9090], { portReadyTimeoutMS: 1_000 }, { envVars: { P: "1" } });
    expect(fake.starts[0]?.env).toEqual({ P: "1" });
    expect(new Set(fake.requests.map((r) => r.port))).toEqual(new Set([8080, 9090]));
  });

  it("a missing ctx.container is a clear error naming the Wrangler containers configuration", async () => {
    // Constructed directly: through a stub the failed construction is only a log line.
    const ctx = { id: env.UNCONFIGURED.newUniqueId() } as unknown as DurableObjectState;
    expect(() => new UnconfiguredContainer(ctx, env)).toThrow(
      /ctx\.container is undefined.*"containers" entry.*Wrangler configuration/,
    );
  });

  it("an invalid sleepAfter fails the start with a clear error and starts nothing", async () => {
    const stub = fresh(env.TEST);
    const fake = await fakeOf(stub);
    const message = await errorOf(stub, (instance) => {
      instance.sleepAfter = "ten minutes";
      instance.swallowErrors = true;
      return instance.startAndWaitForPorts();
    });
    expect(message).toMatch(/Invalid sleepAfter: "ten minutes".*"30s", "5m", "1h"/);
    expect(fake.starts).toHaveLength(0);
    expect((await stub.getState()).status).toBe("stopped");
  });

  it("invalid ports are rejected before anything starts", async () => {
    const stub = fresh(env.TEST);
    const fake = await fakeOf(stub);
    expect(await errorOf(stub, (i) => i.startAndWaitForPorts(70000))).toMatch(
      /Invalid port: 70000\. Expected an integer from 1 to 65535/,
    );
    expect(await errorOf(stub, (i) => i.startAndWaitForPorts([8080, 1.5]))).toMatch(/Invalid port: 1\.5/);
    expect(await errorOf(stub, (i) => i.start(undefined, { portToCheck: 0 }))).toMatch(/Invalid portToCheck: 0/);
    expect(await errorOf(stub, (i) => i.containerFetch("http://x/", {}, 0))).toMatch(/Invalid port: 0/);
    expect(fake.starts).toHaveLength(0);
  });
});

describe("start()", () => {
  it("returns once an instance answers without waiting for the port, then onStart; state stays running", async () => {
    const stub = fresh(env.TEST);
    const fake = await fakeOf(stub);
    fake.listenDelayMs = 10_000; // the port opens much later
    const t0 = Date.now();
    await stub.start({ envVars: { A: "1" } });
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(fake.starts[0]?.env).toEqual({ A: "1" });
    expect((await stub.getState()).status).toBe("running");
    expect(hooks(stub)).toEqual(["start"]);
  });

  it("retries while the runtime has no instance, then fails with the no-instance error after its budget", async () => {
    const stub = fresh(env.TEST);
    const fake = await fakeOf(stub);
    fake.instanceDelayMs = 60_000;
    const message = await errorOf(stub, (instance) => {
      instance.swallowErrors = true;
      return instance.start(undefined, { portToCheck: 8080, retries: 3, waitInterval: 20 });
    });
    expect(message).toMatch(/not ready in time.*no container instance/i);
    expect(hooks(stub).some((h) => h.startsWith("error:"))).toBe(true);
  });
});

describe("failures during start", () => {
  it("no instance → 503 with Retry-After, after the instance budget", async () => {
    const stub = fresh(env.TEST);
    const fake = await fakeOf(stub);
    fake.instanceDelayMs = 60_000;
    // containerFetch uses the default 8 s budget; a 503 must come with Retry-After.
    const res = await containerFetchFrom(stub);
    expect(res.status).toBe(503);
    expect(res.retryAfter).toMatch(/^\d+$/);
    expect(res.body).toMatch(/no container instance available/i);
    expect((await stub.getState()).status).toBe("stopped");
  }, 15_000);

  it("rate limited start → 429 with Retry-After; the next request succeeds", async () => {
    const stub = fresh(env.TEST);
    const fake = await fakeOf(stub);
    await runInDurableObject(stub, (instance) => void (instance.swallowErrors = true));
    fake.startErrors.push(new Error("You are requesting too many containers per second"));
    const res = await stub.fetch("http://x/");
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toMatch(/^\d+$/);
    expect((await stub.getState()).status).toBe("stopped");
    const ok = await stub.fetch("http://x/");
    expect(ok.status).toBe(200);
  });

  it("other start failure → 500 'Failed to start container: …', onError called", async () => {
    const stub = fresh(env.TEST);
    const fake = await fakeOf(stub);
    await runInDurableObject(stub, (instance) => void (instance.swallowErrors = true));
    fake.startErrors.push(new Error("image not found"));
    const res = await stub.fetch("http://x/");
    expect(res.status).toBe(500);
    expect(await res.text()).toBe("Failed to start container: image not found");
    expect(res.headers.get("retry-after")).toBeNull();
    expect(hooks(stub)).toContain("error:image not found");
  });

  it("a port that never opens fails within its budget, kills the container and leaves state stopped", async () => {
    const stub = fresh(env.TEST);
    const fake = await fakeOf(stub);
    fake.ports.delete(9090);
    const t0 = Date.now();
    const message = await errorOf(stub, (instance) => {
      instance.swallowErrors = true;
      return instance.startAndWaitForPorts({
        ports: [8080, 9090],
        cancellationOptions: { portReadyTimeoutMS: 300, waitInterval: 50 },
      });
    });
    const elapsed = Date.now() - t0;
    expect(message).toMatch(/Port 9090 was not ready in time.*not listening/);
    // The 300 ms budget, far from the 20 s default; headroom for busy cores.
    expect(elapsed).toBeLessThan(5_000);
    expect(fake.running).toBe(false);
    expect(fake.destroys).toBe(1);
    await eventually(async () => expect((await stub.getState()).status).toBe("stopped"));
    expect(hooks(stub)).not.toContain("start");
    await eventually(() => expect(hooks(stub).filter((h) => h.startsWith("stop:"))).toHaveLength(1));
  });

  it("a port that opens late is waited for", async () => {
    const stub = fresh(env.TEST);
    const fake = await fakeOf(stub);
    fake.listenDelayMs = { 8080: 150 };
    const res = await stub.fetch("http://x/late");
    expect(res.status).toBe(200);
    expect(fake.requests.filter((r) => r.url === "http://ping/").length).toBeGreaterThanOrEqual(1);
  });

  it(`a start probes a port at most once per ${PROBE_SPACING_MS} ms (instance wait, then port wait)`, async () => {
    const stub = fresh(env.TEST);
    const fake = await fakeOf(stub);
    fake.listenDelayMs = { 8080: 150 };
    expect((await stub.fetch("http://x/late")).status).toBe(200);
    const probes = fake.connectAttempts.filter((a) => a.port === 8080).map((a) => a.at);
    // The instance wait's probe, the port wait's probes, then the request itself.
    expect(probes.length).toBeGreaterThan(2);
    const gaps = probes.slice(1, -1).map((at, i) => at - probes[i]!);
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(PROBE_SPACING_MS);
  });

  it(`concurrent cold requests share the probes: still at most one per ${PROBE_SPACING_MS} ms`, async () => {
    const stub = fresh(env.TEST);
    const fake = await fakeOf(stub);
    fake.listenDelayMs = { 8080: 150 };
    const responses = await Promise.all(Array.from({ length: 20 }, (_, i) => stub.fetch(`http://x/${i}`)));
    expect(responses.map((r) => r.status)).toEqual(Array(20).fill(200));
    const refused = fake.connectAttempts.filter((a) => a.port === 8080 && !a.listening).map((a) => a.at);
    expect(refused.length).toBeGreaterThan(2);
    for (let i = 1; i < refused.length; i++)
      expect(refused[i]! - refused[i - 1]!).toBeGreaterThanOrEqual(PROBE_SPACING_MS);
  });

  it("the process exiting during start fails fast with a clear error (not after the whole budget)", async () => {
    const stub = fresh(env.TEST);
    const fake = await fakeOf(stub);
    fake.listenDelayMs = 60_000;
    const t0 = Date.now();
    const message = await errorOf(stub, (instance, inside) => {
      instance.swallowErrors = true;
      setTimeout(() => inside.exit(3), 50);
      return instance.startAndWaitForPorts();
    });
    expect(Date.now() - t0).toBeLessThan(3_000);
    expect(message).toMatch(/exited before/);
    await eventually(() => expect(hooks(stub)).toContain("stop:3:exit"));
    expect(await stub.getState()).toMatchObject({ status: "stopped_with_code", exitCode: 3 });
  });

  it("an abort signal cancels the wait promptly; the container keeps starting for the next caller", async () => {
    const stub = fresh(env.TEST);
    const fake = await fakeOf(stub);
    fake.listenDelayMs = 300;
    const result = await runInDurableObject(stub, async (instance) => {
      const controller = new AbortController();
      setTimeout(() => controller.abort(new Error("client went away")), 30);
      const t0 = Date.now();
      const message = await instance.startAndWaitForPorts({ cancellationOptions: { abort: controller.signal } }).then(
        () => "started",
        (e: Error) => e.message,
      );
      return { message, elapsed: Date.now() - t0 };
    });
    // Aborted, not started: the port would have opened after 300 ms.
    expect(result.message).toMatch(/aborted: client went away/);
    expect(result.elapsed).toBeLessThan(1_000);
    expect(fake.running).toBe(true);
    expect((await stub.getState()).status).toBe("running");
    const res = await stub.fetch("http://x/");
    expect(res.status).toBe(200);
    expect(fake.starts).toHaveLength(1);
  });

  it("an already-aborted signal starts nothing", async () => {
    const stub = fresh(env.TEST);
    const fake = await fakeOf(stub);
    const message = await runInDurableObject(stub, (instance) =>
      instance.startAndWaitForPorts({ cancellationOptions: { abort: AbortSignal.abort(new Error("nope")) } }).then(
        () => "started",
        (e: Error) => e.message,
      ),
    );
    expect(message).toMatch(/aborted/);
    expect(fake.starts).toHaveLength(0);
  });
});

describe("stopping", () => {
  it("stop() sends SIGTERM; the exit sets the state and onStop runs exactly once", async () => {
    const stub = fresh(env.TEST);
    const fake = await fakeOf(stub);
    await stub.startAndWaitForPorts();
    await stub.stop();
    expect(fake.signals).toEqual([15]);
    await eventually(() => expect(hooks(stub)).toEqual(["start", "stop:0:exit"]));
    expect((await stub.getState()).status).toBe("stopped");
  });

  it("stop() with a named or numeric signal", async () => {
    const stub = fresh(env.TEST);
    const fake = await fakeOf(stub);
    fake.exitCodeOnTerm = null; // ignores SIGTERM/SIGINT
    await stub.startAndWaitForPorts();
    await stub.stop("SIGINT");
    await stub.stop(10);
    expect(fake.running).toBe(true);
    expect((await stub.getState()).status).toBe("stopping");
    await stub.stop("SIGKILL");
    expect(fake.signals).toEqual([2, 10, 9]);
    await eventually(() => expect(hooks(stub)).toEqual(["start", "stop:137:exit"]));
    // An exit the caller asked for reads stopped; onStop has the real code.
    expect(await stub.getState()).toEqual({ status: "stopped", lastChange: expect.any(Number) });
    expect(await errorOf(stub, (i) => i.stop("SIGHUP"))).toMatch(/Invalid signal: "SIGHUP"/);
  });

  it("destroy() kills the container and resolves after onStop ran once", async () => {
    const stub = fresh(env.TEST);
    const fake = await fakeOf(stub);
    await stub.startAndWaitForPorts();
    await stub.destroy();
    expect(fake.destroys).toBe(1);
    expect(fake.running).toBe(false);
    expect(hooks(stub)).toEqual(["start", "stop:137:exit"]);
    // As in the original: stopped, not stopped_with_code 137 (onStop has the 137).
    expect(await stub.getState()).toEqual({ status: "stopped", lastChange: expect.any(Number) });
    await stub.destroy(); // nothing running: a no-op
    expect(hooks(stub)).toEqual(["start", "stop:137:exit"]);
  });

  it("a runtime signal reports reason runtime_signal, once", async () => {
    const stub = fresh(env.TEST);
    await stub.startAndWaitForPorts();
    await inObject(stub, (_i, inside) => inside.runtimeSignal(143));
    await eventually(() => expect(hooks(stub)).toEqual(["start", "stop:143:runtime_signal"]));
    await stub.stop(); // must not produce a second onStop
    await new Promise((r) => setTimeout(r, 20));
    expect(hooks(stub)).toEqual(["start", "stop:143:runtime_signal"]);
    expect(await stub.getState()).toMatchObject({ status: "stopped_with_code", exitCode: 143 });
  });

  it("a crash with an unclassified error still reports one stop and calls onError", async () => {
    const stub = fresh(env.TEST);
    await inObject(stub, (instance) => void (instance.swallowErrors = true));
    await stub.startAndWaitForPorts();
    await inObject(stub, (_i, inside) => inside.crash(new Error("kernel panic")));
    await eventually(() => expect(hooks(stub)).toEqual(["start", "error:kernel panic", "stop:1:exit"]));
    expect((await stub.getState()).status).toBe("stopped");
  });

  it("the next request after an exit starts a fresh container", async () => {
    const stub = fresh(env.TEST);
    const fake = await fakeOf(stub);
    await stub.fetch("http://x/");
    await inObject(stub, (_i, inside) => inside.exit(1));
    await eventually(() => expect(hooks(stub)).toContain("stop:1:exit"));
    const res = await stub.fetch("http://x/");
    expect(res.status).toBe(200);
    expect(fake.starts).toHaveLength(2);
    expect(hooks(stub)).toEqual(["start", "stop:1:exit", "start"]);
  });
});

describe("restarts of the Durable Object", () => {
  it("a container still running after eviction is adopted and its exit still reaches onStop once", async () => {
    const stub = fresh(env.TEST);
    const fake = await fakeOf(stub);
    await (await stub.fetch("http://x/")).text(); // a body still streaming would hold eviction
    await evictDurableObject(stub);
    expect(fake.running).toBe(true);
    const res = await stub.fetch("http://x/after");
    expect(res.status).toBe(200);
    expect(fake.starts).toHaveLength(1);
    expect((await stub.getState()).status).toBe("healthy");
    await inObject(stub, (_i, inside) => inside.exit(0));
    await eventually(() => expect(hooks(stub)).toEqual(["start", "stop:0:exit"]));
  });

  it("a container that ended while evicted is closed out once on restart", async () => {
    const stub = fresh(env.TEST);
    const fake = await fakeOf(stub);
    await (await stub.fetch("http://x/")).text(); // a body still streaming would hold eviction
    await evictDurableObject(stub);
    // The evicted instance's monitor() is gone, as in the runtime; nobody watches this exit.
    fake.adopt();
    fake.exit(0);
    expect((await stub.getState()).status).toBe("stopped");
    expect(hooks(stub)).toEqual(["start", "stop:0:exit"]);
  });

  it("state written by the original library is read", async () => {
    const stub = fresh(env.TEST);
    await runInDurableObject(stub, async (_instance, state) => {
      await state.storage.put("__CF_CONTAINER_STATE", {
        status: "stopped_with_code",
        exitCode: 7,
        lastChange: 1_700_000_000_000,
      });
    });
    await evictDurableObject(stub);
    expect(await stub.getState()).toEqual({ status: "stopped_with_code", exitCode: 7, lastChange: 1_700_000_000_000 });
  });

  it("state is stored under __CF_CONTAINER_STATE in the original's shape", async () => {
    const stub = fresh(env.TEST);
    await stub.startAndWaitForPorts();
    const stored = await runInDurableObject(stub, (_i, state) => state.storage.get("__CF_CONTAINER_STATE"));
    expect(stored).toEqual({ status: "healthy", lastChange: expect.any(Number) });
  });
});

describe("waitForPort()", () => {
  it("returns the attempts it took once the port answers", async () => {
    const stub = fresh(env.TEST);
    const fake = await fakeOf(stub);
    fake.listenDelayMs = { 9090: 100 };
    await stub.start();
    const attempts = await stub.waitForPort({ portToCheck: 9090, retries: 50, waitInterval: 20 });
    expect(attempts).toBeGreaterThan(1);
  });

  it("throws after its retries and calls onError first", async () => {
    const stub = fresh(env.TEST);
    const fake = await fakeOf(stub);
    fake.ports.delete(9090);
    await stub.start();
    const message = await errorOf(stub, (instance) => {
      instance.swallowErrors = true;
      return instance.waitForPort({ portToCheck: 9090, retries: 3, waitInterval: 10 });
    });
    expect(message).toMatch(/Port 9090 was not ready in time/);
    expect(hooks(stub).some((h) => h.startsWith("error:Failed to verify port 9090 is available: Port 9090"))).toBe(
      true,
    );
  });

  it("fails fast when the container is not running", async () => {
    const stub = fresh(env.TEST);
    const message = await errorOf(stub, (instance) => {
      instance.swallowErrors = true;
      return instance.waitForPort({ portToCheck: 8080, retries: 100, waitInterval: 100 });
    });
    expect(message).toMatch(/not running while waiting for port 8080/);
  });
});

describe("messages dependents of the original match by substring", () => {
  // Ours say more, but each contains the original's phrase.
  it(
    "a port that never becomes ready: 'Failed to verify port'; an instance that never comes: 'Container did not " +
      "start'",
    async () => {
      const stub = fresh(env.TEST);
      const fake = await fakeOf(stub);
      fake.ports.delete(8080);
      const port = await errorOf(stub, (instance) => {
        instance.swallowErrors = true;
        return instance.startAndWaitForPorts({ cancellationOptions: { portReadyTimeoutMS: 100, waitInterval: 20 } });
      });
      expect(port).toMatch(
        /^Failed to verify port 8080 is available: Port 8080 was not ready in time \(last error: .*not listening/,
      );

      const other = fresh(env.TEST);
      const otherFake = await fakeOf(other);
      otherFake.instanceDelayMs = 60_000;
      const instance = await errorOf(other, (o) => {
        o.swallowErrors = true;
        return o.start(undefined, { retries: 3, waitInterval: 20 });
      });
      expect(instance).toMatch(
        new RegExp(
          "^Container did not start: The container instance was not ready in time \\(last error: " +
            "there is no container instance that can be provided to this durable object\\)",
          "i",
        ),
      );
    },
  );
});

describe("fake timers installed after the object exists", () => {
  it("are seen by state and activity: the clock is read on each use, not captured", async () => {
    const stub = fresh(env.TEST);
    await fakeOf(stub); // the object exists before the test fakes Date
    const fixed = Date.UTC(2031, 0, 2, 3, 4, 5);
    vi.useFakeTimers({ now: fixed, toFake: ["Date"] });
    try {
      await stub.startAndWaitForPorts();
      expect((await stub.getState()).lastChange).toBe(fixed);
      // The idle deadline (sleepAfter 10 s) is counted on the faked clock too.
      const alarm = await inObject(stub, async (instance, _fake, state) => {
        instance.renewActivityTimeout();
        await new Promise((resolve) => setTimeout(resolve, 10));
        return state.storage.getAlarm();
      });
      expect(alarm).toBe(fixed + 10_000);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe("overrides of public methods take effect", () => {
  // What the original calls on `this` in normal operation, and so must this package.
  it.each([
    ["fetch() → containerFetch()", "call:containerFetch", 1],
    ["containerFetch() on a cold container → startAndWaitForPorts()", "call:startAndWaitForPorts", 1],
    ["a start → scheduleNextAlarm()", "call:scheduleNextAlarm", 1],
    ["each proxied request → renewActivityTimeout()", "call:renewActivityTimeout", 2],
    ["the default onActivityExpired() → stop()", "call:stop", 1],
  ])("%s", async (_label, call, atLeast) => {
    const stub = fresh(env.OVERRIDING); // sleepAfter 0.1 s
    expect((await stub.fetch("http://x/one")).status).toBe(200);
    expect((await stub.fetch("http://x/two")).status).toBe(200);
    await eventually(() => expect(hooks(stub)).toContain("stop:0:exit"));
    expect(hooks(stub)).toContain("expired"); // onActivityExpired ran (overridden by the fixture)
    expect(hooks(stub).filter((h) => h === call).length).toBeGreaterThanOrEqual(atLeast);
  });
});

describe("start failures the runtime reports through monitor()", () => {
  // The runtime's words (compared case-insensitively by the library).
  const RATE_LIMITED = "You are requesting too many containers per second";
  const NO_INSTANCE = "There is no container instance that can be provided to this Durable Object";
  type Starter = (instance: any) => Promise<unknown>;
  const starters: Array<[string, Starter]> = [
    ["start()", (instance) => instance.start(undefined, { retries: 10, waitInterval: 20 })],
    [
      "startAndWaitForPorts()",
      (instance) =>
        instance.startAndWaitForPorts({ cancellationOptions: { instanceGetTimeoutMS: 200, waitInterval: 20 } }),
    ],
  ];

  /** Errors recorded by onError, and onStop calls, of the fixture behind `stub`. */
  const errorsAndStops = (stub: { readonly id: DurableObjectId }) =>
    hooks(stub).filter((h) => /^(error|stop):/.test(h));

  it.each(starters)(
    "rate limited: %s rejects with the runtime's own error; onError once, no onStop, stopped",
    async (_name, begin) => {
      const stub = fresh(env.TEST);
      const result = await inObject(stub, async (instance, fake) => {
        instance.swallowErrors = true;
        const limited = new Error(RATE_LIMITED);
        fake.launchFailures.push(limited);
        const error: unknown = await begin(instance).then(
          () => undefined,
          (e: unknown) => e,
        );
        return { same: error === limited, message: error instanceof Error ? error.message : String(error) };
      });
      expect(result).toEqual({ same: true, message: RATE_LIMITED });
      // A stop, had one been reported, would come from the exit watcher: give it time to show.
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(errorsAndStops(stub)).toEqual([`error:${RATE_LIMITED}`]);
      expect(await stub.getState()).toEqual({ status: "stopped", lastChange: expect.any(Number) });
      // Not retried: another start would only be rate limited again.
      expect((await fakeOf(stub)).starts).toHaveLength(1);
    },
  );

  it.each(starters)(
    "no instance for the whole budget: %s starts afresh each time, then rejects with the runtime's no-instance error",
    async (_name, begin) => {
      const stub = fresh(env.TEST);
      const result = await inObject(stub, async (instance, fake) => {
        instance.swallowErrors = true;
        const failures = Array.from({ length: 100 }, () => new Error(NO_INSTANCE));
        fake.launchFailures.push(...failures);
        const error: unknown = await begin(instance).then(
          () => undefined,
          (e: unknown) => e,
        );
        return {
          // The last start's error, the one the runtime reported last.
          isLast: error === failures[fake.starts.length - 1],
          message: error instanceof Error ? error.message : String(error),
          starts: fake.starts.length,
        };
      });
      expect(result).toMatchObject({ isLast: true, message: NO_INSTANCE });
      expect(result.starts).toBeGreaterThan(1);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(errorsAndStops(stub)).toEqual([`error:${NO_INSTANCE}`]);
      expect(await stub.getState()).toEqual({ status: "stopped", lastChange: expect.any(Number) });
    },
  );

  it(
    "destroy() while a start waits to retry for an instance wins: the " + "start fails, nothing is left running",
    async () => {
      const stub = fresh(env.TEST);
      const outcome = await inObject(stub, async (instance, fake) => {
        instance.swallowErrors = true;
        fake.launchFailures.push(new Error(NO_INSTANCE), new Error(NO_INSTANCE));
        const start = instance.startAndWaitForPorts({ cancellationOptions: { waitInterval: 1_000 } }).then(
          () => "started",
          (error: Error) => error.message,
        );
        await eventually(() => expect(fake.starts.length).toBeGreaterThanOrEqual(1));
        await instance.destroy();
        return { result: await start, starts: fake.starts.length, running: fake.running };
      });
      expect(outcome.result).toMatch(/^Container start was cancelled: stop\(\) or destroy\(\) was called/);
      expect(outcome.running).toBe(false);
      expect((await stub.getState()).status).toBe("stopped");
    },
  );

  it("no instance twice, then one: the third start is served; onStart once, no onError, no onStop", async () => {
    const stub = fresh(env.TEST);
    const fake = await fakeOf(stub);
    fake.launchFailures.push(new Error(NO_INSTANCE), new Error(NO_INSTANCE));
    await stub.startAndWaitForPorts({ cancellationOptions: { waitInterval: 20 } });
    expect(fake.starts).toHaveLength(3);
    expect(hooks(stub)).toEqual(["start"]);
    expect((await stub.getState()).status).toBe("healthy");
    expect((await stub.fetch("http://x/")).status).toBe(200);
  });

  it("fetch() while rate limited → 429 with Retry-After and the runtime's message as the body", async () => {
    const stub = fresh(env.TEST);
    const fake = await fakeOf(stub);
    await inObject(stub, (instance) => void (instance.swallowErrors = true));
    fake.launchFailures.push(new Error(RATE_LIMITED));
    const res = await stub.fetch("http://x/");
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toMatch(/^\d+$/);
    expect(await res.text()).toBe(RATE_LIMITED);
    expect(errorsAndStops(stub)).toEqual([`error:${RATE_LIMITED}`]);
    expect((await stub.getState()).status).toBe("stopped");
    expect((await stub.fetch("http://x/")).status).toBe(200);
  });

  it("containerFetch() with no instance for the whole budget → 503 with Retry-After", async () => {
    const stub = fresh(env.TEST);
    const fake = await fakeOf(stub);
    fake.launchFailures.push(...Array.from({ length: 200 }, () => new Error(NO_INSTANCE)));
    const res = await containerFetchFrom(stub);
    expect(res.status).toBe(503);
    expect(res.retryAfter).toMatch(/^\d+$/);
    expect(res.body.startsWith("There is no Container instance available at this time.")).toBe(true);
    expect(fake.starts.length).toBeGreaterThan(1);
    expect(errorsAndStops(stub)).toEqual([`error:${NO_INSTANCE}`]);
    expect((await stub.getState()).status).toBe("stopped");
  }, 20_000);
});

describe("a lost connection to the container service resets the object (ctx.abort), as in the original", () => {
  const aborts = (stub: { readonly id: DurableObjectId }) => hooks(stub).filter((h) => h.startsWith("abort:"));

  it(
    "an instance wait whose last probe lost its connection calls ctx.abort() once; the error's cause is that " +
      "probe's error",
    async () => {
      const stub = fresh(env.ABORTING);
      const result = await inObject(stub, async (instance, fake) => {
        instance.swallowErrors = true;
        const lost = new Error("Network connection lost.");
        fake.ports.set(8080, () => {
          throw lost;
        });
        const error = await instance.start(undefined, { retries: 3, waitInterval: 20 }).then(
          () => undefined,
          (e: Error) => e,
        );
        return { causeIsLost: error?.cause === lost, message: error?.message };
      });
      expect(result.causeIsLost).toBe(true);
      expect(result.message).toMatch(/^Container did not start: .*Network connection lost/);
      expect(aborts(stub)).toHaveLength(1);
    },
  );

  it("an instance wait that ends for another reason does not abort", async () => {
    const stub = fresh(env.ABORTING);
    const fake = await fakeOf(stub);
    fake.instanceDelayMs = 60_000;
    const message = await errorOf(stub, (instance) => {
      instance.swallowErrors = true;
      return instance.start(undefined, { retries: 3, waitInterval: 20 });
    });
    expect(message).toMatch(/no container instance/i);
    expect(aborts(stub)).toEqual([]);
  });

  it("a lost connection while waiting for a port, once the instance answered, does not abort", async () => {
    const stub = fresh(env.ABORTING);
    const fake = await fakeOf(stub);
    fake.ports.set(9090, () => {
      throw new Error("Network connection lost.");
    });
    const message = await errorOf(stub, (instance) => {
      instance.swallowErrors = true;
      return instance.startAndWaitForPorts({
        ports: [8080, 9090],
        cancellationOptions: { portReadyTimeoutMS: 200, waitInterval: 20 },
      });
    });
    expect(message).toMatch(/^Failed to verify port 9090 is available/);
    expect(aborts(stub)).toEqual([]);
  });
});

describe("images, instance types and labels", () => {
  it("starts a named image through the runtime's images map, and inspect() reports it", async () => {
    const stub = fresh(env.TEST);
    const fake = await fakeOf(stub);
    fake.images = { tools: "registry.example/tools:1" };
    expect(await stub.inspect()).toBeNull();
    await inObject(stub, async (instance) => {
      instance.containerImage = "tools";
      instance.instanceType = "standard-2";
      instance.labels = { team: "infra" };
      await instance.startAndWaitForPorts();
    });
    expect(fake.starts[0]).toMatchObject({ image: "registry.example/tools:1", instance: "standard-2" });
    expect(await stub.inspect()).toEqual({ image: "registry.example/tools:1", labels: { team: "infra" } });
    expect(await stub.image()).toBe("registry.example/tools:1");
    await stub.destroy();
    expect(await stub.image()).toBeNull();
  });

  it("a start option replaces the field; an image the runtime lacks fails naming the configured ones", async () => {
    const stub = fresh(env.TEST);
    const fake = await fakeOf(stub);
    fake.images = { api: "registry.example/api:2" };
    const message = await errorOf(stub, (instance) => {
      instance.swallowErrors = true;
      instance.containerImage = "api";
      return instance.start({ image: "worker" });
    });
    expect(message).toMatch(/^No image "worker" is available to this container: configured named images are "api"/);
    expect(hooks(stub).some((h) => h.startsWith('error:No image "worker"'))).toBe(true);
    expect(fake.running).toBe(false);
    expect((await stub.getState()).status).toBe("stopped");
  });

  it("refuses a bad instance type or labels beyond the deployed limits before anything starts", async () => {
    const stub = fresh(env.TEST);
    const fake = await fakeOf(stub);
    const instanceError = await errorOf(stub, (instance) => {
      instance.instanceType = "huge";
      return instance.start();
    });
    expect(instanceError).toMatch(/instance/i);
    expect(instanceError).toMatch(/"huge"/);
    const labelError = await errorOf(stub, (instance) => {
      instance.instanceType = undefined;
      instance.labels = { "a-label-name-too-long": "x" };
      return instance.start();
    });
    expect(labelError).toMatch(/"a-label-name-too-long" is 21 bytes\. Label names cannot exceed 16 bytes/);
    expect(fake.starts).toHaveLength(0);
  });
});
