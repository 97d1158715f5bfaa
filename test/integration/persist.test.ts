// persistDisk on real containers (PersistingContainer keeps /data): files
// written with exec survive an idle stop, a crash restores the last good
// snapshot, and two objects keep their own files. Needs the "experimental"
// compatibility flag (wrangler.jsonc); the harness removes the run's
// snapshot volumes afterwards.
import { describe, expect, it } from "vitest";
import { eventsOf, hooks, proxy, rpc, useContainers, waitFor } from "./client";

const useContainer = useContainers();
const use = (): string => useContainer("persisting");

/** Run `script` with sh in the object's container (waking it); its output and exit code. */
async function sh(name: string, script: string): Promise<{ stdout: string; stderr: string; exitCode: number }> {
  const result = await rpc("persisting", name, "execOutput", ["sh", "-c", script]);
  expect(result.error).toBeUndefined();
  return result.value as { stdout: string; stderr: string; exitCode: number };
}

const stops = async (name: string) => (await hooks("persisting", name)).filter((h) => h.startsWith("stop:")).length;

describe("persistDisk", () => {
  it("files under /data survive an idle stop: snapshot, stop, and the next wake-up restores them", async () => {
    const name = use();
    await rpc("persisting", name, "setSleepAfter", 3);
    expect((await sh(name, "mkdir -p /data && echo hi > /data/a")).exitCode).toBe(0);
    await waitFor("the idle stop", async () => (await stops(name)) === 1, 60_000);
    const [snapshot] = await eventsOf("persisting", name, "snapshot");
    expect(snapshot).toMatchObject({ kind: "directory" });
    const [expired] = await eventsOf("persisting", name, "activityExpired");
    const [stop] = await eventsOf("persisting", name, "stop");
    expect(snapshot!.at).toBeGreaterThanOrEqual(expired!.at);
    expect(stop!.at).toBeGreaterThanOrEqual(snapshot!.at);
    expect(((await rpc("persisting", name, "getState")).value as { snapshot?: unknown }).snapshot).toMatchObject({
      ids: snapshot!.ids,
    });

    expect(await sh(name, "cat /data/a")).toMatchObject({ stdout: "hi\n", exitCode: 0 });
    const [restore] = await eventsOf("persisting", name, "restore");
    expect(restore).toMatchObject({ ids: snapshot!.ids });
  });

  it("a crash takes no snapshot; the restart policy restores the last good one", async () => {
    const name = use();
    await sh(name, "mkdir -p /data && echo good > /data/a");
    expect((await rpc("persisting", name, "stop")).error).toBeUndefined();
    await waitFor("the stop", async () => (await stops(name)) === 1, 30_000);
    // Woken with /data/a restored; /data/b is written after the last snapshot.
    expect(await sh(name, "cat /data/a && echo later > /data/b")).toMatchObject({ stdout: "good\n" });
    const crash = await proxy("persisting", name, "/crash");
    await crash.text().catch(() => undefined);
    await waitFor("onStop with 3", async () => (await hooks("persisting", name)).includes("stop:3:exit"), 30_000);
    await waitFor("the restart", async () => (await eventsOf("persisting", name, "start")).length === 3, 30_000);
    expect(await eventsOf("persisting", name, "snapshot")).toHaveLength(1);
    expect(await sh(name, "cat /data/a; test -e /data/b && echo b-survived")).toMatchObject({ stdout: "good\n" });
    expect(await eventsOf("persisting", name, "restore")).toHaveLength(2);
  });

  it("two objects never see each other's files", async () => {
    const [a, b] = [use(), use()];
    await Promise.all([sh(a, "mkdir -p /data && echo A > /data/who"), sh(b, "mkdir -p /data && echo B > /data/who")]);
    await Promise.all([rpc("persisting", a, "stop"), rpc("persisting", b, "stop")]);
    await waitFor("both stops", async () => (await stops(a)) === 1 && (await stops(b)) === 1, 30_000);
    expect((await sh(a, "cat /data/who")).stdout).toBe("A\n");
    expect((await sh(b, "cat /data/who")).stdout).toBe("B\n");
    const [snapA] = await eventsOf("persisting", a, "snapshot");
    const [snapB] = await eventsOf("persisting", b, "snapshot");
    expect(snapA!.ids).not.toEqual(snapB!.ids);
  });
});
