import { env, evictDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { resolvePersist } from "../../src/lifecycle/persist";
import { errorOf, eventually, events, fakeOf, fresh, hooks, inObject } from "./harness";

type Stub = any;

/** Start the container through a request (the usual wake-up). */
async function wake(stub: Stub): Promise<void> {
  const res = await stub.fetch("http://x/");
  expect(res.status).toBe(200);
  await res.text();
}

/** Start, stop through stop(), and return the ids of the snapshot that stop took. */
async function snapshotOnce(stub: Stub): Promise<string[]> {
  await wake(stub);
  await stub.stop();
  await eventually(async () => expect((await stub.getState()).status).toBe("stopped"));
  return (await stub.getState()).snapshot!.ids;
}

describe("persistDisk: snapshot before a stop, restore on the next start", () => {
  it("idle expiry snapshots every directory, then stops; the next request restores them", async () => {
    const stub = fresh(env.PERSIST);
    const fake = await fakeOf(stub);
    await inObject(stub, (instance) => void (instance.sleepAfter = 0.1));
    await wake(stub);
    expect(fake.starts[0]).not.toHaveProperty("directorySnapshots");
    await eventually(() => expect(hooks(stub)).toEqual(["start", "expired", "stop:0:exit"]));
    expect(fake.snapshots.map((s) => [s.kind, s.dir, s.size])).toEqual([
      ["directory", "/data", 1024],
      ["directory", "/home/app", 1024],
    ]);
    const ids = fake.snapshots.map((s) => s.id);
    const types = events(stub).map((e) => e.type);
    expect(types.indexOf("snapshot")).toBeGreaterThan(types.indexOf("activityExpired"));
    expect(types.indexOf("snapshot")).toBeLessThan(types.indexOf("stop"));
    const snapshot = events(stub).find((e) => e.type === "snapshot");
    expect(snapshot).toMatchObject({ kind: "directory", ids, bytes: 2048 });
    expect(snapshot?.type === "snapshot" && snapshot.ms).toBeGreaterThanOrEqual(0);
    const state = await stub.getState();
    expect(state.snapshot).toEqual({ ids, bytes: 2048, takenAt: expect.any(Number) });

    await inObject(stub, (instance) => void (instance.sleepAfter = "10m"));
    await wake(stub);
    expect(fake.restores).toEqual([
      {
        directories: [
          { id: ids[0], dir: "/data", mountPoint: "/data" },
          { id: ids[1], dir: "/home/app", mountPoint: "/home/app" },
        ],
      },
    ]);
    expect(fake.starts[1]!.directorySnapshots).toEqual([
      { snapshot: { id: ids[0], size: 1024, dir: "/data" } },
      { snapshot: { id: ids[1], size: 1024, dir: "/home/app" } },
    ]);
    expect(events(stub).filter((e) => e.type === "restore")).toEqual([
      { type: "restore", at: expect.any(Number), ids },
    ]);
  });

  it("stop() snapshots too; the ids survive an eviction and any start restores them", async () => {
    const stub = fresh(env.PERSIST);
    const fake = await fakeOf(stub);
    const ids = await snapshotOnce(stub);
    expect(ids).toHaveLength(2);
    expect(hooks(stub)).toEqual(["start", "stop:0:exit"]);
    await evictDurableObject(stub);
    expect((await stub.getState()).snapshot?.ids).toEqual(ids);
    await stub.start();
    expect(fake.restores.at(-1)?.directories.map((d) => d.id)).toEqual(ids);
    await stub.stop();
    await eventually(async () => expect((await stub.getState()).snapshot?.ids).not.toEqual(ids));
    const next = (await stub.getState()).snapshot!.ids;
    await stub.startAndWaitForPorts();
    expect(fake.restores.at(-1)?.directories.map((d) => d.id)).toEqual(next);
  });

  it("a failed snapshot keeps the previous good one, is reported, and the container still stops", async () => {
    const stub = fresh(env.PERSIST);
    const fake = await fakeOf(stub);
    const good = await snapshotOnce(stub);
    await wake(stub);
    fake.snapshotErrors.push(new Error("disk full"));
    await stub.stop();
    await eventually(async () => expect((await stub.getState()).status).toBe("stopped"));
    expect(fake.running).toBe(false);
    expect(hooks(stub).filter((h) => h.startsWith("error:"))).toEqual([
      "error:Snapshotting the container before it stops failed, so the previous snapshot is kept: disk full",
    ]);
    expect(events(stub).filter((e) => e.type === "error")).toHaveLength(1);
    expect((await stub.getState()).snapshot?.ids).toEqual(good);
    await wake(stub);
    expect(fake.restores.at(-1)?.directories.map((d) => d.id)).toEqual(good);
  });

  it("a runtime without snapshotDirectory: reported, and the container stops without a snapshot", async () => {
    const stub = fresh(env.PERSIST);
    const fake = await fakeOf(stub);
    await wake(stub);
    (fake as any).snapshotDirectory = undefined;
    await stub.stop();
    await eventually(() => expect(hooks(stub)).toContain("stop:0:exit"));
    expect(hooks(stub).find((h) => h.startsWith("error:"))).toContain("ctx.container.snapshotDirectory()");
    expect((await stub.getState()).snapshot).toBeUndefined();
  });

  it("a crash takes no snapshot; the restart policy restores the last good one", async () => {
    const stub = fresh(env.PERSIST);
    const fake = await fakeOf(stub);
    const good = await snapshotOnce(stub);
    await inObject(stub, (instance) => {
      instance.restart = { on: "failure", maxRetries: 2, backoff: { initialMs: 20, jitter: 0 } };
    });
    await wake(stub);
    const taken = fake.snapshots.length;
    await inObject(stub, (_instance, inner) => inner.exit(3));
    await eventually(() => expect(fake.starts).toHaveLength(3));
    await eventually(() => expect(fake.running).toBe(true));
    expect(fake.snapshots).toHaveLength(taken);
    expect(fake.restores.map((r) => r.directories.map((d) => d.id))).toEqual([good, good]);
    expect((await stub.getState()).snapshot?.ids).toEqual(good);
  });

  it("one snapshot per process: a second stop while the first shuts it down takes none", async () => {
    const stub = fresh(env.PERSIST);
    const fake = await fakeOf(stub);
    await stub.startAndWaitForPorts();
    fake.stopDelayMs = 200;
    await Promise.all([stub.stop(), stub.stop()]);
    await stub.stop();
    await eventually(() => expect(fake.running).toBe(false));
    expect(fake.snapshots).toHaveLength(2); // one per listed directory, once
  });

  it("requests that arrive while a stop snapshots wait for the exit and get a fresh container with it", async () => {
    const stub = fresh(env.PERSIST);
    const fake = await fakeOf(stub);
    await stub.startAndWaitForPorts();
    const answered = await inObject(stub, async (instance) => {
      const stopping = instance.stop();
      // The stop has begun (snapshot under way): this request must not reach the old process.
      const res: Response = await instance.containerFetch("/echo/after-stop");
      await stopping;
      return res.status;
    });
    expect(answered).toBe(200);
    expect(fake.starts).toHaveLength(2);
    expect(fake.restores.at(-1)?.directories).toHaveLength(2);
  });

  it("destroy() kills at once and takes no snapshot", async () => {
    const stub = fresh(env.PERSIST);
    const fake = await fakeOf(stub);
    await wake(stub);
    await stub.destroy();
    expect(fake.snapshots).toHaveLength(0);
    expect((await stub.getState()).snapshot).toBeUndefined();
  });

  it("the hard timeout snapshots before it stops the container", async () => {
    const stub = fresh(env.PERSIST);
    const fake = await fakeOf(stub);
    await inObject(stub, (instance) => void (instance.hardTimeout = 0.1));
    await wake(stub);
    await eventually(() => expect(hooks(stub)).toContain("stop:0:exit"));
    expect(fake.snapshots).toHaveLength(2);
    const types = events(stub).map((e) => e.type);
    expect(types.indexOf("hardTimeout")).toBeLessThan(types.indexOf("snapshot"));
  });

  it("container: true snapshots the whole filesystem and restores it in place of the image", async () => {
    const stub = fresh(env.PERSIST);
    const fake = await fakeOf(stub);
    fake.snapshotBytes["/"] = 4096;
    await inObject(stub, (instance) => {
      instance.persistDisk = { container: true };
      instance.containerImage = fake.defaultImage;
    });
    const ids = await snapshotOnce(stub);
    expect(fake.snapshots).toEqual([{ kind: "container", id: ids[0], size: 4096 }]);
    expect(events(stub).find((e) => e.type === "snapshot")).toMatchObject({ kind: "container", bytes: 4096 });
    await wake(stub);
    expect(fake.starts[1]).toMatchObject({ containerSnapshot: { id: ids[0] } });
    expect(fake.starts[1]).not.toHaveProperty("image");
    expect(fake.restores.at(-1)).toEqual({ directories: [], container: ids[0] });
  });

  it("a directory snapshot is restored only while its directory is still listed", async () => {
    const stub = fresh(env.PERSIST);
    const fake = await fakeOf(stub);
    const ids = await snapshotOnce(stub);
    await inObject(stub, (instance) => void (instance.persistDisk = { directories: ["/data"] }));
    await wake(stub);
    expect(fake.restores.at(-1)?.directories.map((d) => d.id)).toEqual([ids[0]]);
    await inObject(stub, (instance) => void (instance.persistDisk = { container: true }));
    await stub.stop();
    await eventually(async () => expect((await stub.getState()).status).toBe("stopped"));
    await inObject(stub, (instance) => void (instance.persistDisk = undefined));
    const restores = fake.restores.length;
    await wake(stub);
    expect(fake.restores).toHaveLength(restores);
  });

  it("two objects never see each other's snapshots", async () => {
    const a = fresh(env.PERSIST);
    const b = fresh(env.PERSIST);
    const fakeA = await fakeOf(a);
    const fakeB = await fakeOf(b);
    const idsA = await snapshotOnce(a);
    await wake(b);
    expect(fakeB.restores).toEqual([]);
    expect((await b.getState()).snapshot).toBeUndefined();
    const idsB = await snapshotOnce(b);
    expect(idsB.some((id) => idsA.includes(id))).toBe(false);
    await wake(a);
    await wake(b);
    expect(fakeA.restores.map((r) => r.directories.map((d) => d.id))).toEqual([idsA]);
    expect(fakeB.restores.map((r) => r.directories.map((d) => d.id))).toEqual([idsB]);
  });

  it("a class without persistDisk reads no other field on a stop (a bad one is not reported there)", async () => {
    const stub = fresh(env.TEST);
    await stub.startAndWaitForPorts();
    await inObject(stub, async (instance) => {
      instance.swallowErrors = true;
      instance.readyOn = { path: "no-slash" };
      await instance.stop();
    });
    await eventually(async () => expect((await stub.getState()).status).toBe("stopped"));
    expect(hooks(stub).filter((h) => h.startsWith("error:"))).toEqual([]);
  });

  it("a class without persistDisk takes no snapshot and restores nothing", async () => {
    const stub = fresh(env.TEST);
    const fake = await fakeOf(stub);
    await wake(stub);
    await stub.stop();
    await eventually(() => expect(hooks(stub)).toContain("stop:0:exit"));
    await wake(stub);
    expect(fake.snapshots).toEqual([]);
    expect(fake.starts.every((s) => !("directorySnapshots" in s) && !("containerSnapshot" in s))).toBe(true);
    expect((await stub.getState()).snapshot).toBeUndefined();
  });
});

describe("persistDisk: a start that cannot restore", () => {
  const failure = "Container failed to start: cp: can't stat '/snapshot': No such file or directory";
  const reason = `The runtime could not start the container: ${failure}`;

  it("fails the start with the reason by default, keeping the snapshot for the next start", async () => {
    const stub = fresh(env.PERSIST);
    const fake = await fakeOf(stub);
    const good = await snapshotOnce(stub);
    fake.restoreErrors.push(new Error(failure));
    const message = await errorOf(stub, (instance) => instance.startAndWaitForPorts());
    expect(message).toBe(
      `Restoring the container's snapshot ${good.join(", ")} failed: ${reason}; the snapshot is kept; ` +
        'set persistDisk.restoreFailure = "start-clean" to start without it instead.',
    );
    expect(fake.running).toBe(false);
    expect(events(stub).some((e) => e.type === "restore")).toBe(false);
    expect((await stub.getState()).snapshot?.ids).toEqual(good);
    await wake(stub);
    expect(fake.restores.map((r) => r.directories.map((d) => d.id))).toEqual([good, good]);
  });

  it('with restoreFailure: "start-clean", reports it and starts once without the snapshot', async () => {
    const stub = fresh(env.PERSIST);
    const fake = await fakeOf(stub);
    await inObject(stub, (instance) => {
      instance.persistDisk = { directories: ["/data"], restoreFailure: "start-clean" };
    });
    const good = await snapshotOnce(stub);
    fake.restoreErrors.push(new Error(failure));
    await wake(stub);
    expect(fake.starts).toHaveLength(3);
    expect(fake.starts[2]).not.toHaveProperty("directorySnapshots");
    expect(hooks(stub).filter((h) => h.startsWith("error:"))).toEqual([
      `error:Restoring the container's snapshot ${good[0]} failed: ${reason}; starting without it once ` +
        '(persistDisk.restoreFailure is "start-clean"); the next stop replaces it.',
    ]);
    expect((await stub.getState()).snapshot?.ids).toEqual(good);
  });

  it("a stop during a start that restores is not a restore failure: it never starts clean over it", async () => {
    const stub = fresh(env.PERSIST);
    const fake = await fakeOf(stub);
    await inObject(stub, (instance) => {
      instance.persistDisk = { directories: ["/data"], restoreFailure: "start-clean" };
    });
    await snapshotOnce(stub);
    const starts = fake.starts.length;
    await inObject(stub, async (instance, inner) => {
      inner.instanceDelayMs = 300;
      const starting = instance.start().catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 50));
      await instance.destroy();
      await starting;
    });
    expect(fake.starts).toHaveLength(starts + 1);
    expect(hooks(stub).some((h) => h.startsWith("error:Restoring"))).toBe(false);
    expect(fake.running).toBe(false);
  });

  it("a start the runtime refuses for want of an instance is not a restore failure", async () => {
    const stub = fresh(env.PERSIST);
    const fake = await fakeOf(stub);
    const good = await snapshotOnce(stub);
    fake.launchFailures.push(new Error("there is no container instance that can be provided to this durable object"));
    await wake(stub);
    expect(fake.restores.map((r) => r.directories.map((d) => d.id))).toEqual([good, good]);
    expect(hooks(stub).some((h) => h.startsWith("error:Restoring"))).toBe(false);
  });
});

describe("persistDisk validation", () => {
  const expected =
    'Expected { directories: ["/data", …] } or { container: true }, with restoreFailure?: "fail" | "start-clean".';
  it.each([
    ["a string", "/data", 'Invalid persistDisk: "/data"'],
    ["an array", ["/data"], 'Invalid persistDisk: array ["/data"]'],
    ["no directories", { directories: [] }, "directories is empty; list at least one"],
    ["a relative path", { directories: ["data"] }, 'the directory "data" is not an absolute path'],
    ["a number", { directories: [7] }, "the directory number 7 is not an absolute path"],
    ["the root", { directories: ["/"] }, '"/" cannot be restored as a directory; use { container: true }'],
    ["a duplicate", { directories: ["/data", "/data/"] }, '"/data" is listed twice'],
    ["nested", { directories: ["/data", "/data/db"] }, '"/data/db" is inside "/data"; list only the outer one'],
    ["dot-dot", { directories: ["/data/../etc"] }, 'the directory "/data/../etc" has a "." or ".." segment'],
    ["an empty segment", { directories: ["/srv//data"] }, 'the directory "/srv//data" has an empty segment ("//")'],
    ["both kinds", { directories: ["/data"], container: true }, "it sets both directories and container"],
    ["container false", { container: false }, "container is boolean false, not true"],
    ["a bad mode", { container: true, restoreFailure: "retry" }, 'restoreFailure is "retry"'],
    ["an unknown key", { dirs: ["/data"] }, 'unknown key "dirs"'],
  ])("refuses %s", (_name, value, problem) => {
    let message = "";
    try {
      resolvePersist(value);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain(problem);
    expect(message.startsWith("Invalid persistDisk: ")).toBe(true);
    expect(message.endsWith(expected)).toBe(true);
  });

  it("accepts both forms, normalised and frozen", () => {
    expect(resolvePersist({ directories: ["/data/", "/srv"] })).toEqual({
      kind: "directory",
      directories: ["/data", "/srv"],
      restoreFailure: "fail",
    });
    expect(resolvePersist({ container: true, restoreFailure: "start-clean" })).toEqual({
      kind: "container",
      restoreFailure: "start-clean",
    });
    expect(Object.isFrozen(resolvePersist({ container: true }))).toBe(true);
    expect(resolvePersist(undefined)).toBeUndefined();
  });

  it("a bad field fails the start that reads it, naming persistDisk", async () => {
    const stub = fresh(env.PERSIST);
    const fake = await fakeOf(stub);
    const message = await errorOf(stub, async (instance) => {
      instance.persistDisk = { directories: ["relative"] };
      await instance.startAndWaitForPorts();
    });
    expect(message).toContain('Invalid persistDisk: the directory "relative" is not an absolute path');
    expect(fake.starts).toHaveLength(0);
  });
});
