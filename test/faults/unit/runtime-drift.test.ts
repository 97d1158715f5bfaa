// Scenarios 9, 10, 12 and 14, the halves real Docker cannot produce on
// demand: a container that vanishes without the runtime ever reporting its
// exit (the deployed "stuck believing healthy" report), storage and runtime
// disagreeing about whether a process runs, the runtime's wording of exits
// drifting, and a container runtime that comes back after an outage.
// Real-container halves: test/faults/vanish.test.ts, docker-restart.test.ts.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { eventually, fakeOf, fresh, hooks, inObject } from "../../unit/harness";

const stops = (stub: { readonly id: DurableObjectId }) => hooks(stub).filter((h) => h.startsWith("stop:"));

describe("scenario 9 (fake runtime): the container vanishes and the runtime never reports it", () => {
  it("the next request notices: onStop once, state repaired, a fresh container serves it", async () => {
    const stub = fresh(env.TEST);
    const fake = await fakeOf(stub);
    expect((await stub.fetch("http://x/")).status).toBe(200);
    expect((await stub.getState()).status).toBe("healthy");
    fake.vanish(); // monitor() will never settle
    const res = await stub.fetch("http://x/after");
    expect(res.status).toBe(200);
    expect(fake.starts).toHaveLength(2);
    expect(stops(stub)).toEqual(["stop:0:exit"]);
    expect(hooks(stub)).toEqual(["start", "stop:0:exit", "start"]);
    expect((await stub.getState()).status).toBe("healthy");
  });

  it("vanishing twice in a row: each loss closed out once, each next request served", async () => {
    const stub = fresh(env.TEST);
    const fake = await fakeOf(stub);
    expect((await stub.fetch("http://x/")).status).toBe(200);
    for (let i = 1; i <= 2; i++) {
      fake.vanish();
      expect((await stub.fetch(`http://x/${i}`)).status).toBe(200);
      expect(stops(stub)).toHaveLength(i);
    }
    expect(fake.starts).toHaveLength(3);
    expect(hooks(stub)).toEqual(["start", "stop:0:exit", "start", "stop:0:exit", "start"]);
  });

  it("stop() after a vanish does not hang: the run is closed out and stop() returns", async () => {
    const stub = fresh(env.TEST);
    const fake = await fakeOf(stub);
    expect((await stub.fetch("http://x/")).status).toBe(200);
    fake.vanish();
    await stub.stop();
    expect((await stub.getState()).status).toBe("stopped");
    expect(stops(stub)).toEqual(["stop:0:exit"]);
  });
});

describe("scenario 10 (fake runtime): getState() repairs itself", () => {
  it(
    "storage says healthy, the runtime runs nothing: getState() closes " + "the run out once and reports stopped",
    async () => {
      const stub = fresh(env.TEST);
      const fake = await fakeOf(stub);
      expect((await stub.fetch("http://x/")).status).toBe(200);
      fake.vanish();
      expect((await stub.getState()).status).toBe("stopped");
      expect((await stub.getState()).status).toBe("stopped");
      expect(stops(stub)).toEqual(["stop:0:exit"]);
      expect(fake.starts).toHaveLength(1); // repairing state starts nothing
    },
  );

  it("concurrent getState() calls after a vanish close the run out once", async () => {
    const stub = fresh(env.TEST);
    const fake = await fakeOf(stub);
    expect((await stub.fetch("http://x/")).status).toBe(200);
    fake.vanish();
    const states = await Promise.all(Array.from({ length: 5 }, () => stub.getState()));
    expect(states.map((s) => s.status)).toEqual(Array(5).fill("stopped"));
    expect(stops(stub)).toEqual(["stop:0:exit"]);
  });

  it(
    "storage says stopped, the runtime runs a process (an eviction raced " + "a start): reported running, watched once",
    async () => {
      const stub = fresh(env.TEST);
      const fake = await fakeOf(stub);
      expect((await stub.getState()).status).toBe("stopped");
      // The runtime started a process this instance knows nothing of.
      await inObject(stub, (_instance, inside) => inside.start({}));
      expect((await stub.getState()).status).toBe("running");
      expect((await stub.getState()).status).toBe("running"); // adopted once, not twice
      // Its exit reaches onStop exactly once, with its code.
      await inObject(stub, (_instance, inside) => inside.exit(3));
      await eventually(() => expect(stops(stub)).toEqual(["stop:3:exit"]));
      expect(await stub.getState()).toMatchObject({ status: "stopped_with_code", exitCode: 3 });
      expect(stops(stub)).toEqual(["stop:3:exit"]);
      expect(fake.starts).toHaveLength(1);
    },
  );

  it("a start in progress is left alone: getState() during a slow start reports running, never stopped", async () => {
    const stub = fresh(env.TEST);
    const fake = await fakeOf(stub);
    fake.listenDelayMs = 300;
    const starting = stub.startAndWaitForPorts();
    const seen = new Set<string>();
    for (let i = 0; i < 10; i++) seen.add((await stub.getState()).status);
    await starting;
    seen.add((await stub.getState()).status);
    expect([...seen].filter((s) => s.startsWith("stopped"))).toEqual([]);
    expect(seen.has("healthy")).toBe(true);
    expect(stops(stub)).toEqual([]);
    expect(fake.starts).toHaveLength(1);
  });
});

describe("scenario 12 (fake runtime): the runtime's wording drifts", () => {
  it.each([
    [
      "a rollout exit",
      new Error("Runtime signalled the container to exit due to a new version rollout: 0"),
      "stop:0:runtime_signal",
      { status: "stopped" },
    ],
    [
      "mixed case",
      new Error("CONTAINER EXITED WITH UNEXPECTED EXIT CODE: 9"),
      "stop:9:exit",
      { status: "stopped_with_code", exitCode: 9 },
    ],
    [
      "an unknown message with a numeric exitCode",
      Object.assign(new Error("process reaped by supervisor"), { exitCode: 42 }),
      "stop:42:exit",
      { status: "stopped_with_code", exitCode: 42 },
    ],
    [
      "a numeric exitCode that disagrees with the text",
      Object.assign(new Error("Container exited with unexpected exit code: 1"), { exitCode: 137 }),
      "stop:137:exit",
      { status: "stopped_with_code", exitCode: 137 },
    ],
  ])("%s: onStop once with the right code and reason", async (_label, error, expected, state) => {
    const stub = fresh(env.TEST);
    const fake = await fakeOf(stub);
    expect((await stub.fetch("http://x/")).status).toBe(200);
    await inObject(stub, (_instance, inside) => inside.crash(error));
    await eventually(() => expect(stops(stub)).toEqual([expected]));
    expect(await stub.getState()).toMatchObject(state);
    expect(stops(stub)).toEqual([expected]);
    expect(hooks(stub).filter((h) => h.startsWith("error:"))).toEqual([]);
    // And the next request is served by a fresh process.
    expect((await stub.fetch("http://x/next")).status).toBe(200);
    expect(fake.starts).toHaveLength(2);
  });
});

describe("scenario 14 (fake runtime): the container runtime goes away and comes back", () => {
  it(
    "the lost container's onStop once; starts that fail meanwhile report no stop; once it is back the next " +
      "request is served",
    async () => {
      const stub = fresh(env.TEST);
      const fake = await fakeOf(stub);
      expect((await stub.fetch("http://x/")).status).toBe(200);
      // The daemon stops its containers on the way down.
      await inObject(stub, (_instance, inside) => inside.exit(0));
      await eventually(() => expect(stops(stub)).toEqual(["stop:0:exit"]));
      // While it is away, each start fails at once, as the runtime reports it.
      fake.launchFailures.push(new Error("Container failed to start"), new Error("Container failed to start"));
      for (let i = 0; i < 2; i++) {
        const res = await stub.fetch(`http://x/down-${i}`);
        expect(res.status).toBe(500);
        expect(await res.text()).toBe(
          "Failed to start container: The runtime could not start the container: Container failed to start",
        );
      }
      expect((await stub.getState()).status).toBe("stopped");
      // Back: the next request starts a fresh process and is served.
      expect((await stub.fetch("http://x/back")).status).toBe(200);
      expect(fake.starts).toHaveLength(4);
      expect(stops(stub)).toEqual(["stop:0:exit"]); // the failed starts ran nothing: no stop for them
      expect(hooks(stub).filter((h) => h === "start")).toHaveLength(2);
      expect(hooks(stub).filter((h) => h.startsWith("error:"))).toHaveLength(2);
    },
  );
});
