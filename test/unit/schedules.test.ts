import { env, evictDurableObject, runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { alarmOf, errorOf, eventually, fresh, hooks, inObject } from "./harness";

type Row = {
  id: string;
  callback: string;
  payload: string | null;
  type: string;
  time: number;
  delayInSeconds: number | null;
};
const rowsOf = (stub: { id: DurableObjectId }) =>
  inObject(stub, (_i, _f, state) =>
    state.storage.sql
      .exec<Row>("SELECT id, callback, payload, type, time, delayInSeconds FROM container_schedules ORDER BY time")
      .toArray(),
  );

describe("schedule()", () => {
  it("a number of seconds gives a delayed schedule, stored in container_schedules, and arms the alarm", async () => {
    const stub = fresh(env.TEST);
    const before = Date.now() / 1000;
    const schedule = await inObject(stub, (instance) => instance.schedule(120, "ping", { n: 1 }));
    expect(schedule).toMatchObject({ callback: "ping", payload: { n: 1 }, type: "delayed", delayInSeconds: 120 });
    expect(schedule.taskId).toMatch(/^[A-Za-z0-9]{9}$/);
    expect(schedule.time).toBeGreaterThanOrEqual(Math.floor(before + 120));
    expect(schedule.time).toBeLessThanOrEqual(Math.floor(before + 121));
    expect(await rowsOf(stub)).toEqual([
      {
        id: schedule.taskId,
        callback: "ping",
        payload: '{"n":1}',
        type: "delayed",
        time: schedule.time,
        delayInSeconds: 120,
      },
    ]);
    expect(await alarmOf(stub)).toBeLessThanOrEqual(schedule.time * 1000);
  });

  it("a Date gives a scheduled schedule at that second", async () => {
    const stub = fresh(env.TEST);
    const when = new Date(Date.now() + 3_600_000);
    const schedule = await inObject(stub, (instance) => instance.schedule(when, "ping"));
    expect(schedule).toEqual({
      taskId: expect.any(String),
      callback: "ping",
      payload: undefined,
      type: "scheduled",
      time: Math.floor(when.getTime() / 1000),
    });
    expect((await rowsOf(stub))[0]).toMatchObject({ type: "scheduled", payload: null, delayInSeconds: null });
  });

  it("get, list (all of them, soonest first) and delete", async () => {
    const stub = fresh(env.TEST);
    const result = await inObject(stub, async (instance) => {
      const a = await instance.schedule(300, "ping", "a");
      const b = await instance.schedule(100, "ping", "b");
      await instance.schedule(200, "explode");
      const listed = (await instance.listSchedules("ping")).map((s: { payload: string }) => s.payload);
      const got = await instance.getSchedule(a.taskId);
      const missing = await instance.getSchedule("nope");
      const returned = instance.deleteSchedules("ping");
      const after = await instance.listSchedules("ping");
      const others = await instance.listSchedules("explode");
      return { listed, got, missing, returned, after, others: others.length, b };
    });
    expect(result.listed).toEqual(["b", "a"]);
    expect(result.got).toMatchObject({ callback: "ping", payload: "a", type: "delayed" });
    expect(result.missing).toBeUndefined();
    expect(result.returned).toBeUndefined(); // synchronous, returns nothing
    expect(result.after).toEqual([]);
    expect(result.others).toBe(1);
  });

  it("bad input is refused with a clear error and nothing is stored", async () => {
    const stub = fresh(env.TEST);
    expect(await errorOf(stub, (i) => i.schedule(10, "noSuchMethod"))).toMatch(
      /callback must be the name of a method of TestContainer; got "noSuchMethod"/,
    );
    expect(await errorOf(stub, (i) => i.schedule(10, "notAMethod"))).toMatch(/got "notAMethod"/);
    expect(await errorOf(stub, (i) => i.schedule(10, 42))).toMatch(/got number 42/);
    expect(await errorOf(stub, (i) => i.schedule(-1, "ping"))).toMatch(/non-negative number of seconds; got number -1/);
    expect(await errorOf(stub, (i) => i.schedule(Number.NaN, "ping"))).toMatch(/got number NaN/);
    expect(await errorOf(stub, (i) => i.schedule("soon", "ping"))).toMatch(/got "soon"/);
    expect(await errorOf(stub, (i) => i.schedule(new Date("nope"), "ping"))).toMatch(/invalid Date/);
    expect(await errorOf(stub, (i) => i.schedule(10, "ping", { big: 10n }))).toMatch(
      /payload must be JSON-serialisable/,
    );
    expect(
      await errorOf(stub, (i) => {
        const circular: Record<string, unknown> = {};
        circular.self = circular;
        return i.schedule(10, "ping", circular);
      }),
    ).toMatch(/payload must be JSON-serialisable/);
    expect(await rowsOf(stub)).toEqual([]);
  });
});

describe("running schedules", () => {
  it("a due schedule runs from the alarm with its payload, once, and is removed", async () => {
    const stub = fresh(env.TEST);
    await inObject(stub, (instance) => instance.schedule(0, "ping", { hello: "world" }));
    await eventually(() => expect(hooks(stub)).toEqual(['ping:{"hello":"world"}']));
    expect(await rowsOf(stub)).toEqual([]);
    await runDurableObjectAlarm(stub as never);
    expect(hooks(stub)).toEqual(['ping:{"hello":"world"}']);
  });

  it("a callback that throws is logged and removed; the others still run", async () => {
    const stub = fresh(env.TEST);
    await inObject(stub, async (instance) => {
      await instance.schedule(0, "explode");
      await instance.schedule(0, "ping", 1);
    });
    await eventually(() => expect(hooks(stub)).toEqual(["explode", "ping:1"]));
    expect(await rowsOf(stub)).toEqual([]);
  });

  it("schedules survive an eviction and run afterwards", async () => {
    const stub = fresh(env.TEST);
    const schedule = await inObject(stub, (instance) => instance.schedule(3_600, "ping", "later"));
    await evictDurableObject(stub as never);
    expect(await inObject(stub, (instance) => instance.getSchedule(schedule.taskId))).toMatchObject({
      payload: "later",
    });
    // Make it due, then fire the alarm.
    await inObject(stub, (_i, _f, state) => state.storage.sql.exec("UPDATE container_schedules SET time = 0"));
    expect(await runDurableObjectAlarm(stub as never)).toBe(true);
    expect(hooks(stub)).toEqual(['ping:"later"']);
  });

  it("rows written by the original library are read and run", async () => {
    const stub = fresh(env.TEST);
    const future = Math.floor(Date.now() / 1000) + 3_600;
    await inObject(stub, (_i, _f, state) => {
      // The original's layout: 9-character ids, JSON payloads, seconds, NULL delay for "scheduled".
      state.storage.sql.exec(
        "INSERT INTO container_schedules (id, callback, payload, type, time, delayInSeconds) VALUES (?, ?, ?, " +
          "?, ?, ?), (?, ?, ?, ?, ?, ?)",
        "AbCdEfGh1",
        "ping",
        '{"from":"original"}',
        "scheduled",
        0,
        null,
        "ZyXwVuTs9",
        "ping",
        '"keep"',
        "delayed",
        future,
        3_600,
      );
    });
    expect(await inObject(stub, (instance) => instance.getSchedule("ZyXwVuTs9"))).toEqual({
      taskId: "ZyXwVuTs9",
      callback: "ping",
      payload: "keep",
      type: "delayed",
      time: future,
      delayInSeconds: 3_600,
    });
    expect(await runDurableObjectAlarm(stub as never)).toBe(false); // nothing armed yet: the rows were written by hand
    await inObject(stub, (instance) => instance.scheduleNextAlarm(0));
    await eventually(() => expect(hooks(stub)).toEqual(['ping:{"from":"original"}']));
    expect((await rowsOf(stub)).map((r) => r.id)).toEqual(["ZyXwVuTs9"]);
    expect(await alarmOf(stub)).toBe(future * 1000);
  });

  it("a schedule whose method no longer exists is kept, not dropped", async () => {
    const stub = fresh(env.TEST);
    await inObject(stub, (_i, _f, state) => {
      state.storage.sql.exec(
        "INSERT INTO container_schedules (id, callback, payload, type, time) VALUES ('gone00001', " +
          "'renamedMethod', NULL, 'scheduled', 0)",
      );
    });
    await inObject(stub, (instance) => instance.scheduleNextAlarm(0));
    await eventually(async () => expect(await alarmOf(stub)).toBeNull());
    expect((await rowsOf(stub)).map((r) => r.id)).toEqual(["gone00001"]);
  });

  it("with a running container, the alarm serves both the schedule and the idle deadline", async () => {
    const stub = fresh(env.TEST); // sleepAfter 10 s
    await stub.fetch("http://x/").then((r) => r.text());
    const idleAlarm = await alarmOf(stub);
    await inObject(stub, (instance) => instance.schedule(0, "ping", "now"));
    await eventually(() => expect(hooks(stub)).toEqual(["start", 'ping:"now"']));
    // Back to the idle deadline (or later, if renewed).
    await eventually(async () => expect(await alarmOf(stub)).toBeGreaterThanOrEqual(idleAlarm!));
  });
});
