// sleepAfter on real containers (SleepyContainer: 3 s): idle containers stop,
// busy ones (a streaming response, an open WebSocket) do not.
import { describe, expect, it } from "vitest";
import { dockerContainers, eventsOf, hooks, measure, openSocket, proxy, useContainers, waitFor } from "./client";

const useContainer = useContainers();
const use = (): string => useContainer("sleepy");

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const stopped = async (name: string) => (await hooks("sleepy", name)).some((h) => h.startsWith("stop:"));

describe("sleepAfter", () => {
  it("stops an idle container (SIGTERM, exit 0) after the idle time", async () => {
    const name = use();
    expect((await proxy("sleepy", name, "/echo")).status).toBe(200);
    await waitFor("the idle stop", () => stopped(name), 30_000);
    // Timed by the library's events: the request (the last activity) came
    // after the container was ready, so expiry is at least sleepAfter later.
    const [ready] = await eventsOf("sleepy", name, "ready");
    const [expired] = await eventsOf("sleepy", name, "activityExpired");
    expect(expired).toMatchObject({ sleepAfterMs: 3_000 });
    measure("sleepAfter 3 s: ready → activityExpired", expired!.at - ready!.at);
    expect(expired!.at - ready!.at).toBeGreaterThanOrEqual(3_000);
    expect(await hooks("sleepy", name)).toEqual(["start", "expired", "stop:0:exit"]);
    const [container] = await dockerContainers("sleepy", name);
    expect(container).toMatchObject({ status: "exited", exitCode: 0 });
  });

  it("does not stop a container while a response is still streaming", async () => {
    const name = use();
    // 10 chunks, 800 ms apart: 8 s of activity, well past the 3 s idle time.
    const res = await proxy("sleepy", name, "/drip?ms=800&n=10");
    const body = await res.text();
    expect(body).toContain("tick 9");
    expect(body).toContain("done");
    // Once the body is read, the idle timer runs again.
    await waitFor("the idle stop after the stream ended", () => stopped(name), 30_000);
    expect(await hooks("sleepy", name)).toEqual(["start", "expired", "stop:0:exit"]);
    // The container spaced its 10 chunks at least 800 ms apart (8 s, more
    // on a slow machine), and the idle time counts from the end of the body.
    const [ready] = await eventsOf("sleepy", name, "ready");
    const [expired] = await eventsOf("sleepy", name, "activityExpired");
    expect(expired!.at - ready!.at).toBeGreaterThanOrEqual(10 * 800 + 3_000);
  });

  it("does not stop a container while a WebSocket is open", async () => {
    const name = use();
    const ws = await openSocket("sleepy", name);
    await sleep(8_000);
    expect(await stopped(name)).toBe(false);
    expect((await dockerContainers("sleepy", name))[0]).toMatchObject({ status: "running" });
    // Still usable after the quiet period.
    const echoed = new Promise((resolve) => ws.addEventListener("message", (e) => resolve(e.data), { once: true }));
    ws.send("still here");
    expect(await echoed).toBe("still here");
    ws.close(1000);
    await waitFor("the idle stop after the socket closed", () => stopped(name), 20_000);
  });
});
