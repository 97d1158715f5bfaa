// readyOn as a list of checks on real containers: requests wait for every
// check; a failing check fails the start and leaves nothing running.
import { describe, expect, it } from "vitest";
import { dockerContainers, eventsOf, hooks, proxy, rpc, useContainers } from "./client";

const useContainer = useContainers();

describe("readyOn = [checks]", () => {
  it("a request waits until every check passed, on a port that opens late", async () => {
    const name = useContainer("checks");
    const res = await proxy("checks", name, "/echo");
    expect(res.status).toBe(200);
    // Ready no sooner than the 1.5 s the server waits before it listens
    // (the library's own event times).
    const [start] = await eventsOf("checks", name, "start");
    const [ready] = await eventsOf("checks", name, "ready");
    expect(ready!.at - start!.at).toBeGreaterThanOrEqual(1_500);
    expect(await hooks("checks", name)).toEqual(["start"]);
  });

  it("a failing check answers 500 with its reason, reports it and leaves no container running", async () => {
    const name = useContainer("checks");
    expect((await rpc("checks", name, "failChecks")).ok).toBe(true);
    const res = await proxy("checks", name, "/echo");
    expect(res.status).toBe(500);
    expect(await res.text()).toContain("Readiness check alwaysFails failed: not today");
    expect(await hooks("checks", name)).toContain("error:Readiness check alwaysFails failed: not today");
    const running = (await dockerContainers("checks", name)).filter((c) => c.status === "running");
    expect(running).toEqual([]);
  });
});
