import { env } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import type { ContainerEvent } from "../../src";
import {
  Supervisor,
  assertRestartPolicy,
  backoffDelayMs,
  restartDecision,
  type RestartPolicy,
  type SupervisorHost,
} from "../../src/lifecycle/supervisor";
import { errorOf, eventually, events, fakeOf, fresh, hooks, inObject } from "./harness";

describe("restartDecision", () => {
  const failure: RestartPolicy = { on: "failure", maxRetries: 2, backoff: { initialMs: 100, jitter: 0 } };
  const always: RestartPolicy = { on: "always", maxRetries: 1, backoff: { initialMs: 100, jitter: 0 } };
  it.each([
    ["no policy", undefined, { exitCode: 1, requested: false, attempts: 0 }, { action: "none" }],
    ["never", { on: "never" } as RestartPolicy, { exitCode: 1, requested: false, attempts: 0 }, { action: "none" }],
    ["failure, exit 0", failure, { exitCode: 0, requested: false, attempts: 0 }, { action: "none" }],
    [
      "failure, exit 1",
      failure,
      { exitCode: 1, requested: false, attempts: 0 },
      { action: "restart", attempt: 1, delayMs: 100 },
    ],
    [
      "failure, second",
      failure,
      { exitCode: 137, requested: false, attempts: 1 },
      { action: "restart", attempt: 2, delayMs: 200 },
    ],
    ["failure, out of retries", failure, { exitCode: 1, requested: false, attempts: 2 }, { action: "give-up" }],
    ["asked-for exits never restart", failure, { exitCode: 143, requested: true, attempts: 0 }, { action: "none" }],
    [
      "always, exit 0",
      always,
      { exitCode: 0, requested: false, attempts: 0 },
      { action: "restart", attempt: 1, delayMs: 100 },
    ],
    ["always, out of retries", always, { exitCode: 0, requested: false, attempts: 1 }, { action: "give-up" }],
    [
      "default maxRetries is 3",
      { on: "failure" } as RestartPolicy,
      { exitCode: 1, requested: false, attempts: 3 },
      { action: "give-up" },
    ],
  ] as const)("%s", (_name, policy, exit, expected) => {
    expect(restartDecision(policy, exit, 0.5)).toEqual(expected);
  });
});

describe("backoffDelayMs", () => {
  it("grows by the factor, is capped, and jitters within ± jitter", () => {
    const backoff = { initialMs: 100, maxMs: 1_000, factor: 3, jitter: 0.5 };
    expect([1, 2, 3, 4, 5].map((n) => backoffDelayMs(backoff, n, 0.5))).toEqual([100, 300, 900, 1_000, 1_000]);
    expect(backoffDelayMs(backoff, 1, 0)).toBe(50);
    expect(backoffDelayMs(backoff, 1, 0.999_999)).toBe(150);
    expect(backoffDelayMs(undefined, 1, 0.5)).toBe(1_000); // defaults: 1 s initial
  });
});

describe("assertRestartPolicy", () => {
  it.each([
    [null, /null/],
    [{ on: "sometimes" }, /on = "sometimes"/],
    [{ on: "failure", maxRetries: -1 }, /maxRetries = number -1/],
    [{ on: "failure", maxRetries: 1.5 }, /maxRetries = number 1.5/],
    [{ on: "failure", backoff: { factor: 0.5 } }, /backoff.factor = number 0.5/],
    [{ on: "failure", backoff: { jitter: 2 } }, /backoff.jitter = number 2/],
    [{ on: "failure", backoff: { initialMs: -5 } }, /backoff.initialMs = number -5/],
  ])("%j is refused", (policy, message) => {
    expect(() => assertRestartPolicy(policy)).toThrow(message);
    expect(() => assertRestartPolicy(policy)).toThrow(/Expected \{ on: "failure" \| "always" \| "never"/);
  });
  it("accepts a full policy", () => {
    expect(() =>
      assertRestartPolicy({ on: "always", maxRetries: 0, backoff: { initialMs: 0, maxMs: 10, factor: 1, jitter: 1 } }),
    ).not.toThrow();
  });
});

describe("hard timeout escalation (Supervisor with a recording host)", () => {
  it("SIGTERM at the deadline, SIGKILL after the grace period", async () => {
    const calls: string[] = [];
    const stored = new Map<string, unknown>();
    let running = true;
    const host: SupervisorHost = {
      storage: {
        get: async (key: string) => stored.get(key),
        put: async (key: string, value: unknown) => void stored.set(key, value),
        delete: async (key: string) => stored.delete(key),
      } as unknown as DurableObjectStorage,
      isRunning: () => running,
      policy: () => undefined,
      hardTimeoutMs: () => 1_000,
      emit: (event: ContainerEvent) => void calls.push(`event:${event.type}`),
      armBy: async (time) => void calls.push(`arm:${time > 0}`),
    };
    const supervisor = new Supervisor(host);
    const t0 = Date.now();
    await supervisor.noteLaunch({ restart: false, at: t0 });
    const deadline = supervisor.dueAt()!;
    // Counted from the launch's own time, exactly.
    expect(deadline).toBe(t0 + 1_000);
    expect(await supervisor.due(deadline - 1)).toBe("none"); // not yet
    expect(calls).toEqual(["arm:true"]);
    expect(await supervisor.due(deadline)).toBe("stop");
    expect(calls).toEqual(["arm:true", "event:hardTimeout"]);
    expect(supervisor.dueAt()).toBe(deadline + 10_000);
    expect(await supervisor.due(deadline + 10_000)).toBe("kill");
    running = false;
    expect(await supervisor.due(deadline + 20_000)).toBe("none");
  });
});

describe("restart policy on the fake runtime", () => {
  it("restarts a crashing container with backoff, then gives up with a clear state", async () => {
    const stub = fresh(env.TEST);
    const fake = await fakeOf(stub);
    await inObject(stub, (instance) => {
      instance.restartPolicy = { on: "failure", maxRetries: 2, backoff: { initialMs: 30, jitter: 0 } };
    });
    await stub.fetch("http://x/").then((r) => r.text());
    for (let attempt = 1; attempt <= 2; attempt++) {
      await inObject(stub, (_i, inner) => inner.exit(3));
      await eventually(() => expect(fake.starts).toHaveLength(attempt + 1));
      expect((await stub.getState()).restart).toMatchObject({ attempts: attempt, lastExitCode: 3 });
    }
    await inObject(stub, (_i, inner) => inner.exit(3));
    await eventually(async () =>
      expect((await stub.getState()).restart).toEqual({ attempts: 2, gaveUp: true, lastExitCode: 3 }),
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(fake.starts).toHaveLength(3);
    expect((await stub.getState()).status).toBe("stopped_with_code");
    const restarts = events(stub).filter((e) => e.type === "restart");
    expect(restarts.map((e) => e.type === "restart" && [e.attempt, e.delayMs])).toEqual([
      [1, 30],
      [2, 60],
    ]);
    expect(
      events(stub)
        .filter((e) => e.type === "start")
        .map((e) => e.type === "start" && e.restart),
    ).toEqual([false, true, true]);
    expect(events(stub).at(-1)).toMatchObject({ type: "restartGaveUp", attempts: 2, exitCode: 3 });
    // A start that is not a restart resets the policy.
    await stub.fetch("http://x/").then((r) => r.text());
    expect((await stub.getState()).restart).toBeUndefined();
  });

  it("does not restart exits that were asked for, nor clean exits under on: failure", async () => {
    const stub = fresh(env.TEST);
    const fake = await fakeOf(stub);
    await inObject(stub, (instance) => void (instance.restartPolicy = { on: "failure", backoff: { initialMs: 10 } }));
    await stub.fetch("http://x/").then((r) => r.text());
    await stub.stop();
    await eventually(() => expect(hooks(stub)).toContain("stop:0:exit"));
    await stub.fetch("http://x/").then((r) => r.text());
    await inObject(stub, (_i, inner) => inner.exit(0));
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(fake.starts).toHaveLength(2);
    expect((await stub.getState()).restart).toBeUndefined();
  });

  it("on: always restarts a clean exit too (set under the earlier name `restart`, which still works)", async () => {
    const stub = fresh(env.TEST);
    const fake = await fakeOf(stub);
    await inObject(stub, (instance) => void (instance.restart = { on: "always", backoff: { initialMs: 10 } }));
    await stub.fetch("http://x/").then((r) => r.text());
    await inObject(stub, (_i, inner) => inner.exit(0));
    await eventually(() => expect(fake.starts).toHaveLength(2));
  });

  it(
    "a restart the runtime refuses (rate limited, no process ran) counts as a failed attempt: the policy tries " +
      "again",
    async () => {
      const stub = fresh(env.TEST);
      const fake = await fakeOf(stub);
      await inObject(stub, (instance) => {
        instance.swallowErrors = true;
        instance.restartPolicy = { on: "failure", maxRetries: 3, backoff: { initialMs: 30, jitter: 0 } };
      });
      await stub.fetch("http://x/").then((r) => r.text());
      fake.launchFailures.push(new Error("You are requesting too many containers per second"));
      await inObject(stub, (_i, inner) => inner.exit(3));
      // Restart 1 is refused; restart 2 runs.
      await eventually(() => expect(fake.starts).toHaveLength(3));
      await eventually(() => expect(fake.running).toBe(true));
      expect((await stub.getState()).restart).toMatchObject({ attempts: 2, lastExitCode: 3 });
      expect(
        events(stub)
          .filter((e) => e.type === "restart")
          .map((e) => e.type === "restart" && e.attempt),
      ).toEqual([1, 2]);
    },
  );

  it("a subclass's own restart() is neither hidden by the base nor taken as a policy", async () => {
    const stub = fresh(env.TEST);
    const fake = await fakeOf(stub);
    const seen = await inObject(stub, async (instance) => {
      // The opt-in fields are declared, not defined: nothing of that name sits on the instance.
      const own = ["restartPolicy", "readyOn", "hardTimeout", "containerImage", "instanceType"].filter((name) =>
        Object.hasOwn(instance, name),
      );
      instance.restart = async () => "the subclass's restart";
      await instance.startAndWaitForPorts();
      return { own, restarted: await instance.restart() };
    });
    expect(seen).toEqual({ own: [], restarted: "the subclass's restart" });
    await inObject(stub, (_i, inner) => inner.exit(1));
    await eventually(async () => expect((await stub.getState()).status).toBe("stopped_with_code"));
    // No policy: the crash is not restarted.
    expect(fake.starts).toHaveLength(1);
  });

  it("an invalid policy is a clear error at start", async () => {
    const stub = fresh(env.TEST);
    const message = await errorOf(stub, (instance) => {
      instance.swallowErrors = true;
      instance.restartPolicy = { on: "sometimes" };
      return instance.startAndWaitForPorts();
    });
    expect(message).toMatch(/Invalid restart policy: on = "sometimes"/);
  });
});

describe("hardTimeout on the fake runtime", () => {
  it("stops a busy container after hardTimeout regardless of activity", async () => {
    const stub = fresh(env.TEST);
    const fake = await fakeOf(stub);
    await inObject(stub, (instance) => void (instance.hardTimeout = "200ms"));
    await stub.fetch("http://x/").then((r) => r.text());
    // Keep it busy: requests keep renewing the idle timer.
    const busy = setInterval(
      () =>
        void stub
          .fetch("http://x/")
          .then((r) => r.text())
          .catch(() => {}),
      30,
    );
    try {
      await eventually(() => expect(fake.signals).toContain(15));
    } finally {
      clearInterval(busy);
    }
    expect(events(stub).some((e) => e.type === "hardTimeout")).toBe(true);
    expect(events(stub).find((e) => e.type === "stop")).toMatchObject({ requested: true });
  });

  it("reaches SIGTERM first even when another field turned invalid while it ran", async () => {
    const stub = fresh(env.TEST);
    const fake = await fakeOf(stub);
    await inObject(stub, (instance) => void (instance.hardTimeout = "200ms"));
    await stub.fetch("http://x/").then((r) => r.text());
    await inObject(stub, (instance) => void (instance.readyOn = { path: "no-slash" }));
    await eventually(() => expect(fake.signals).toContain(15));
    expect(fake.signals[0]).toBe(15);
    expect(events(stub).some((e) => e.type === "hardTimeout")).toBe(true);
  });

  it("an invalid hardTimeout is a clear error at start", async () => {
    const stub = fresh(env.TEST);
    const message = await errorOf(stub, (instance) => {
      instance.swallowErrors = true;
      instance.hardTimeout = "forever";
      return instance.startAndWaitForPorts();
    });
    expect(message).toMatch(/Invalid hardTimeout: "forever"/);
  });
});

describe("lifecycle events", () => {
  it("start → ready → stop, with timings", async () => {
    const stub = fresh(env.TEST);
    await stub.fetch("http://x/").then((r) => r.text());
    await stub.destroy();
    const seen = events(stub);
    expect(seen.map((e) => e.type)).toEqual(["start", "ready", "stop"]);
    const [start, ready, stop] = seen as [
      Extract<ContainerEvent, { type: "start" }>,
      Extract<ContainerEvent, { type: "ready" }>,
      Extract<ContainerEvent, { type: "stop" }>,
    ];
    expect(start.restart).toBe(false);
    expect(ready.ports).toEqual([8080]);
    expect(ready.startupMs).toBeGreaterThanOrEqual(0);
    expect(ready.at).toBeGreaterThanOrEqual(start.at);
    expect(stop).toMatchObject({ exitCode: 137, reason: "exit", requested: true });
    expect(stop.uptimeMs).toBeGreaterThanOrEqual(0);
  });

  it("error and activityExpired events", async () => {
    const stub = fresh(env.TEST);
    const fake = await fakeOf(stub);
    fake.startErrors.push(new Error("boom at start"));
    await inObject(stub, async (instance) => {
      instance.swallowErrors = true;
      await (await instance.containerFetch("http://x/")).text();
    });
    expect(events(stub).find((e) => e.type === "error")).toMatchObject({
      error: expect.objectContaining({ message: "boom at start" }),
    });
    await inObject(stub, (instance) => void (instance.sleepAfter = 0.1));
    await stub.fetch("http://x/").then((r) => r.text());
    await eventually(() => expect(events(stub).some((e) => e.type === "activityExpired")).toBe(true));
    expect(events(stub).find((e) => e.type === "activityExpired")).toMatchObject({ sleepAfterMs: 100 });
  });

  it("an onEvent that throws does not disturb the lifecycle", async () => {
    const stub = fresh(env.TEST);
    const spy = vi.spyOn(console, "error").mockImplementation(() => {});
    await inObject(stub, (instance) => {
      instance.onEvent = () => {
        throw new Error("listener broke");
      };
    });
    expect((await stub.fetch("http://x/")).status).toBe(200);
    expect(spy.mock.calls.some((call) => String(call[0]).includes("onEvent threw"))).toBe(true);
    spy.mockRestore();
  });
});

describe("the options a restart uses", () => {
  it("are those of the start that launched the process, not of a later call that found it running", async () => {
    const stub = fresh(env.TEST);
    const fake = await fakeOf(stub);
    await inObject(stub, async (instance) => {
      instance.restartPolicy = { on: "failure", backoff: { initialMs: 10, jitter: 0 } };
      await instance.start({ envVars: { LAUNCHED_WITH: "first" } });
      await instance.start({ envVars: { LAUNCHED_WITH: "second, unused" } });
    });
    await inObject(stub, (_i, inner) => inner.exit(1));
    await eventually(() => expect(fake.starts).toHaveLength(2));
    expect(fake.starts[1]!.env).toEqual({ LAUNCHED_WITH: "first" });
  });
});
