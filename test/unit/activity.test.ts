import { env, evictDurableObject, runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ActivityTracker } from "../../src/activity";
import { alarmOf, eventually, fakeOf, fresh, hooks, inObject } from "./harness";
import { alarmRuns } from "./objects/containers";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("ActivityTracker", () => {
  it("renews from the clock, counts work in flight, and expires only when idle past the deadline", () => {
    let now = 1_000;
    const tracker = new ActivityTracker(
      () => 500,
      () => now,
    );
    expect(tracker.isExpired()).toBe(false); // no deadline yet
    expect(tracker.renew()).toBe(1_500);
    now = 1_499;
    expect(tracker.isExpired()).toBe(false);
    now = 1_500;
    expect(tracker.isExpired()).toBe(true);
    const end = tracker.begin();
    expect(tracker.inflight).toBe(1);
    now = 10_000;
    expect(tracker.isExpired()).toBe(false); // busy
    end();
    end(); // ending twice is harmless
    expect(tracker.inflight).toBe(0);
    expect(tracker.deadline).toBe(10_500); // idleness counts from the end of the work
    tracker.clear();
    expect(tracker.deadline).toBeUndefined();
    tracker.restore(42);
    expect(tracker.deadline).toBe(42);
    tracker.restore(43); // a known deadline is not replaced
    expect(tracker.deadline).toBe(42);
  });

  it("counts the caller's work too: clamped at 0, busy while above, a fresh window when it drops to 0", () => {
    let now = 1_000;
    const tracker = new ActivityTracker(
      () => 500,
      () => now,
    );
    tracker.renew();
    tracker.external = 2;
    expect(tracker.inflight).toBe(2);
    now = 5_000;
    expect(tracker.isExpired()).toBe(false); // busy, long past the deadline
    tracker.external = 1;
    expect(tracker.deadline).toBe(1_500); // still busy: no renewal yet
    tracker.external = 0;
    expect(tracker.deadline).toBe(5_500); // idleness counts from the drop to 0
    tracker.external = -3;
    expect(tracker.external).toBe(0);
    tracker.external = Number.NaN;
    expect(tracker.external).toBe(0);
    const end = tracker.begin();
    tracker.external = 1;
    expect([tracker.inflight, tracker.ownInflight, tracker.external]).toEqual([2, 1, 1]);
    end();
  });
});

describe("inflightRequests (the counter dependents of the original write)", () => {
  it(
    "raised by a subclass, it keeps the container awake past sleepAfter; " + "back at 0 the container idles out",
    async () => {
      const stub = fresh(env.TEST);
      const fake = await fakeOf(stub);
      await inObject(stub, (instance) => void (instance.sleepAfter = 0.1));
      await stub.fetch("http://x/").then((r) => r.text());
      await inObject(stub, (instance) => void instance.inflightRequests++);
      expect(await inObject(stub, (instance) => instance.inflightRequests)).toBe(1);
      await sleep(800); // many idle windows, and the alarms they bring
      expect(hooks(stub)).not.toContain("expired");
      expect(fake.running).toBe(true);
      await inObject(stub, (instance) => void instance.inflightRequests--);
      await eventually(() => expect(hooks(stub)).toEqual(["start", "expired", "stop:0:exit"]));
    },
  );

  it("reads the library's own work in flight; writes change only the subclass's part, clamped at 0", async () => {
    const stub = fresh(env.TEST);
    const seen = await inObject(stub, async (instance, fake) => {
      await instance.startAndWaitForPorts();
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      fake.ports.set(8080, async () => {
        await held;
        return new Response("late");
      });
      const request = instance.fetch(new Request("http://x/slow"));
      // The library counts the request while it waits for the answer.
      for (let i = 0; i < 100 && instance.inflightRequests === 0; i++) await new Promise((r) => setTimeout(r, 10));
      const during = instance.inflightRequests;
      instance.inflightRequests = -10; // cannot cancel the library's own count
      const clamped = instance.inflightRequests;
      release();
      await (await request).text();
      return { during, clamped, after: instance.inflightRequests };
    });
    expect(seen).toEqual({ during: 1, clamped: 1, after: 0 });
  });

  it(
    "declared as a class field (an own property shadowing the accessor), " + "it still reaches the idle timer",
    async () => {
      const stub = fresh(env.COUNTING); // declares inflightRequests = 2
      const fake = await fakeOf(stub);
      expect(await inObject(stub, (instance) => Object.hasOwn(instance, "inflightRequests"))).toBe(false);
      expect(await inObject(stub, (instance) => instance.inflightRequests)).toBe(2);
      await inObject(stub, (instance) => void (instance.sleepAfter = 0.1));
      await stub.fetch("http://x/").then((r) => r.text());
      await sleep(800);
      expect(hooks(stub)).not.toContain("expired");
      expect(fake.running).toBe(true);
      await inObject(stub, (instance) => void (instance.inflightRequests = 0));
      await eventually(() => expect(hooks(stub)).toContain("expired"));
    },
  );
});

describe("the sleepAfter alarm", () => {
  it('class-field sleepAfter ("2h") holds from the very first alarm', async () => {
    const stub = fresh(env.FIELDS);
    const before = Date.now();
    await stub.startAndWaitForPorts();
    const alarm = await alarmOf(stub);
    expect(alarm).not.toBeNull();
    expect(alarm! - before).toBeGreaterThanOrEqual(2 * 3_600_000 - 1_000);
    expect(alarm! - before).toBeLessThanOrEqual(2 * 3_600_000 + 5_000);
  });

  it("constructor-option sleepAfter (30 s) is used when no field overrides it", async () => {
    const stub = fresh(env.OPTIONS);
    const before = Date.now();
    await stub.startAndWaitForPorts();
    const alarm = await alarmOf(stub);
    expect(alarm! - before).toBeGreaterThanOrEqual(29_000);
    expect(alarm! - before).toBeLessThanOrEqual(35_000);
  });

  it("requests do not re-arm the alarm; it is moved only when it fires", async () => {
    const stub = fresh(env.TEST); // sleepAfter 10 s
    await stub.fetch("http://x/").then((r) => r.text());
    const armed = await alarmOf(stub);
    await sleep(20);
    for (let i = 0; i < 30; i++) await stub.fetch(`http://x/${i}`).then((r) => r.text());
    expect(await alarmOf(stub)).toBe(armed);
    // When it fires, the container was active: no expiry, and it re-arms to the new deadline.
    expect(await runDurableObjectAlarm(stub as never)).toBe(true);
    expect(hooks(stub)).not.toContain("expired");
    expect(await alarmOf(stub)).toBeGreaterThan(armed!);
  });

  it("under steady traffic there is at most one alarm per sleepAfter window", async () => {
    const stub = fresh(env.TEST);
    const fake = await fakeOf(stub);
    // Windows of 1 s: the gap between two requests stays well inside one
    // even when busy cores make each request slow.
    await inObject(stub, (instance) => void (instance.sleepAfter = 1));
    await stub.fetch("http://x/").then((r) => r.text());
    const t0 = Date.now();
    let requests = 0;
    while (Date.now() - t0 < 4_000) {
      await stub.fetch("http://x/").then((r) => r.text());
      requests++;
      await sleep(20);
    }
    const windows = Math.ceil((Date.now() - t0) / 1_000);
    const runs = alarmRuns.get(stub.id.toString()) ?? 0;
    expect(requests).toBeGreaterThan(windows);
    expect(runs).toBeLessThanOrEqual(windows + 1);
    expect(fake.running).toBe(true);
    expect(hooks(stub)).not.toContain("expired");
  });

  it("idle past sleepAfter: onActivityExpired runs and the default stops the container (SIGTERM)", async () => {
    const stub = fresh(env.TEST);
    const fake = await fakeOf(stub);
    await inObject(stub, (instance) => void (instance.sleepAfter = 0.1));
    await stub.fetch("http://x/").then((r) => r.text());
    await eventually(() => expect(hooks(stub)).toEqual(["start", "expired", "stop:0:exit"]));
    expect(fake.signals).toEqual([15]);
    // Stopped and no schedules: nothing left to wake up for.
    await eventually(async () => expect(await alarmOf(stub)).toBeNull());
  });

  it("an override that does not stop the container fires again at the next expiry", async () => {
    const stub = fresh(env.TEST);
    const fake = await fakeOf(stub);
    await inObject(stub, (instance) => {
      instance.sleepAfter = 0.1;
      instance.expiryMode = "keep";
    });
    await stub.fetch("http://x/").then((r) => r.text());
    await eventually(() => expect(hooks(stub).filter((h) => h === "expired").length).toBeGreaterThanOrEqual(2));
    expect(fake.running).toBe(true);
    expect(fake.signals).toEqual([]);
  });

  it("returning true keeps the container alive as well", async () => {
    const stub = fresh(env.TEST);
    const fake = await fakeOf(stub);
    await inObject(stub, (instance) => {
      instance.sleepAfter = 0.1;
      instance.expiryMode = "return-true";
    });
    await stub.fetch("http://x/").then((r) => r.text());
    await eventually(() => expect(hooks(stub).filter((h) => h === "expired").length).toBeGreaterThanOrEqual(2));
    expect(fake.running).toBe(true);
  });

  it("renewActivityTimeout() postpones the expiry", async () => {
    const stub = fresh(env.TEST);
    // Renewed every 250 ms for 2 s, past the 1.5 s idle time; the gaps stay
    // well inside it even when busy cores slow each call down.
    await inObject(stub, (instance) => void (instance.sleepAfter = 1.5));
    await stub.fetch("http://x/").then((r) => r.text());
    for (let i = 0; i < 8; i++) {
      await sleep(250);
      await inObject(stub, (instance) => instance.renewActivityTimeout());
    }
    expect(hooks(stub)).not.toContain("expired");
    await eventually(() => expect(hooks(stub)).toContain("expired"));
  });

  it("the idle deadline survives an eviction", async () => {
    const stub = fresh(env.TEST); // sleepAfter 10 s
    const fake = await fakeOf(stub);
    await stub.fetch("http://x/").then((r) => r.text());
    const armed = await alarmOf(stub);
    const stored = await inObject(stub, (_i, _f, state) =>
      state.storage.get<number>("__CF_CONTAINER_ACTIVITY_DEADLINE"),
    );
    expect(stored).toBe(armed);
    await evictDurableObject(stub as never);
    // Firing early (before the deadline) must not stop a container whose deadline is still ahead.
    expect(await runDurableObjectAlarm(stub as never)).toBe(true);
    expect(hooks(stub)).not.toContain("expired");
    expect(fake.running).toBe(true);
    expect(await alarmOf(stub)).toBe(armed);
  });

  it("scheduleNextAlarm(ms) makes the alarm fire within ms", async () => {
    const stub = fresh(env.TEST);
    const before = Date.now();
    await inObject(stub, (instance) => instance.scheduleNextAlarm(50_000));
    const alarm = await alarmOf(stub);
    expect(alarm! - before).toBeLessThanOrEqual(51_000);
    await inObject(stub, (instance) => instance.scheduleNextAlarm());
    expect((await alarmOf(stub))! - before).toBeLessThanOrEqual(2_000);
  });
});
