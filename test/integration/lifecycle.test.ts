// Start, configuration, stop, destroy, exit codes and crashes on real containers.
import { describe, expect, it } from "vitest";
import {
  dockerContainers,
  dockerExitCodes,
  hooks,
  measure,
  portUrl,
  proxy,
  rpc,
  useContainers,
  waitFor,
} from "./client";

const use = useContainers();

describe("starting", () => {
  it("cold start answers the first request, then warm requests are fast", async () => {
    const name = use("app");
    let t = performance.now();
    const first = await proxy("app", name, "/echo?q=1", {
      method: "POST",
      body: "hello",
      headers: { "x-test": "yes" },
    });
    measure("cold start to full response", performance.now() - t);
    expect(first.status).toBe(200);
    const echo = (await first.json()) as {
      method: string;
      url: string;
      headers: Record<string, string>;
      body: string;
      port: number;
      boot: string;
    };
    expect(echo).toMatchObject({ method: "POST", url: "/echo?q=1", body: "hello", port: 8080 });
    expect(echo.headers["x-test"]).toBe("yes");

    const warm: number[] = [];
    for (let i = 0; i < 10; i++) {
      t = performance.now();
      const res = await proxy("app", name, "/echo");
      expect(((await res.json()) as { boot: string }).boot).toBe(echo.boot);
      warm.push(performance.now() - t);
    }
    warm.sort((a, b) => a - b);
    measure("warm request (median of 10)", warm[5]!);
    expect(await hooks("app", name)).toEqual(["start"]);
    const containers = await dockerContainers("app", name);
    expect(containers.map((c) => c.status)).toEqual(["running"]);
    expect((await rpc("app", name, "getState")).value).toMatchObject({ status: "healthy" });
  });

  it("env vars and entrypoint from class fields reach the process (its labels are accepted)", async () => {
    const name = use("configured");
    const res = await proxy("configured", name, "/env");
    expect(res.status).toBe(200);
    const { env, argv } = (await res.json()) as { env: Record<string, string>; argv: string[] };
    expect(env.FIXTURE_GREETING).toBe("hello from envVars");
    // The entrypoint replaced the image's command: its extra arguments arrive as argv.
    expect(argv.slice(1)).toEqual(["/app/server.mjs", "--from-entrypoint", "extra-arg"]);
    // Only PORTS=8080 was asked for (envVars), so 8081 stays closed.
    const second = await fetch(portUrl("configured", name, 8081, "/echo"));
    expect(second.status).toBe(500);
    await second.body?.cancel();
  });

  it("labels over the runtime's limits are refused before the start, in the runtime's words", async () => {
    // The library checks the deployed limits itself, naming the label; the
    // message keeps workerd's own phrase.
    const name = use("app");
    const refused = await rpc("app", name, "startAndWaitForPorts", {
      startOptions: { labels: { "this-label-name-is-too-long": "x" } },
    });
    expect(refused.ok).toBe(false);
    expect(refused.error).toMatch(/"this-label-name-is-too-long" is 27 bytes\. Label names cannot exceed 16 bytes/);
    expect((await rpc("app", name, "getState")).value).toMatchObject({ status: "stopped" });
    const accepted = await rpc("app", name, "startAndWaitForPorts", {
      startOptions: { labels: { "it-suite": "labels" } },
    });
    expect(accepted).toMatchObject({ ok: true });
  });

  it("inspect() reports the running container's image and labels, and null once it stopped", async () => {
    const name = use("configured");
    expect((await proxy("configured", name, "/echo")).status).toBe(200);
    const seen = await rpc("configured", name, "inspect");
    expect(seen.error).toBeUndefined();
    const info = seen.value as { image: string; labels: Record<string, string> };
    expect(typeof info.image).toBe("string");
    expect(info.image.length).toBeGreaterThan(0);
    expect(info.labels).toMatchObject({ "it-suite": "configured", team: "integration" });
    await rpc("configured", name, "destroy");
    expect((await rpc("configured", name, "inspect")).value).toBeNull();
  });
});

describe("stopping", () => {
  it("stop() sends SIGTERM: the process exits 0 and onStop sees it", async () => {
    const name = use("app");
    expect((await proxy("app", name, "/echo")).status).toBe(200);
    expect(await rpc("app", name, "stop")).toMatchObject({ ok: true });
    await waitFor("onStop", async () => (await hooks("app", name)).includes("stop:0:exit"));
    const [container] = await dockerContainers("app", name);
    expect(container).toMatchObject({ status: "exited", exitCode: 0 });
    expect(container!.logs()).toContain("received SIGTERM");
    expect((await rpc("app", name, "getState")).value).toMatchObject({ status: "stopped" });
    expect(await hooks("app", name)).toEqual(["start", "stop:0:exit"]);
  });

  it("destroy() kills the process (SIGKILL: 137) and resolves after onStop ran", async () => {
    const name = use("app");
    const since = Date.now();
    expect((await proxy("app", name, "/echo")).status).toBe(200);
    const [container] = await dockerContainers("app", name);
    expect(await rpc("app", name, "destroy")).toMatchObject({ ok: true });
    // onStop has already run when destroy() resolves.
    expect((await hooks("app", name)).filter((h) => h.startsWith("stop:"))).toEqual(["stop:137:exit"]);
    // workerd removes a destroyed container; Docker's event log keeps the kill.
    await waitFor("Docker's exit code 137", () => dockerExitCodes(container!.name, since).includes(137), 10_000);
    await waitFor("the container to be removed", async () => (await dockerContainers("app", name)).length === 0);
    // An exit the caller asked for reads stopped, as in the original; onStop had the 137.
    expect((await rpc("app", name, "getState")).value).toEqual({ status: "stopped", lastChange: expect.any(Number) });
  });

  it("onStop gets the process's real exit code", async () => {
    const name = use("app");
    const since = Date.now();
    const res = await proxy("app", name, "/exit?code=7");
    expect(await res.json()).toEqual({ exiting: 7 });
    await waitFor("onStop with 7", async () => (await hooks("app", name)).includes("stop:7:exit"));
    const [container] = await dockerContainers("app", name);
    // Docker publishes the "die" event a moment after workerd sees the exit.
    await waitFor("Docker's exit code 7", () => dockerExitCodes(container!.name, since).includes(7), 10_000);
    expect((await rpc("app", name, "getState")).value).toMatchObject({ status: "stopped_with_code", exitCode: 7 });
    // The next request starts it again.
    expect((await proxy("app", name, "/echo")).status).toBe(200);
    expect(await hooks("app", name)).toEqual(["start", "stop:7:exit", "start"]);
  });
});

describe("crashes", () => {
  it("a crash mid-response fails that request clearly; the next request restarts the container", async () => {
    const name = use("app");
    const since = Date.now();
    const before = (await (await proxy("app", name, "/echo")).json()) as { boot: string };
    const crash = await proxy("app", name, "/crash");
    // Headers arrived before the crash; reading the body must fail, not hang or end cleanly.
    expect(crash.status).toBe(200);
    await expect(crash.text()).rejects.toThrow();
    await waitFor("onStop with 3", async () => (await hooks("app", name)).includes("stop:3:exit"));
    const after = await proxy("app", name, "/echo");
    expect(after.status).toBe(200);
    const { boot } = (await after.json()) as { boot: string };
    expect(boot).not.toBe(before.boot);
    const containers = await dockerContainers("app", name);
    expect(containers.map((c) => c.status)).toEqual(["running"]);
    await waitFor("Docker's exit code 3", () => dockerExitCodes(containers[0]!.name, since).includes(3), 10_000);
  });
});
