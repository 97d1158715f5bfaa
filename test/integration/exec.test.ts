// exec() on real containers (the fixture app image has busybox as /bin/sh;
// the no-shell image has none): output, draining what the caller leaves
// unread, waking, activity, and the runtime's failures as clear errors.
import { describe, expect, it } from "vitest";
import { eventsOf, hooks, rpc, useContainers } from "./client";

const useContainer = useContainers();

describe("exec", () => {
  it("starts a stopped container and gives stdout, stderr and the exit code", async () => {
    const name = useContainer("app");
    const result = await rpc("app", name, "execOutput", ["sh", "-c", "echo out; echo err >&2; exit 3"]);
    expect(result.error).toBeUndefined();
    expect(result.value).toEqual({ stdout: "out\n", stderr: "err\n", exitCode: 3 });
    expect(await hooks("app", name)).toEqual(["start"]);
  });

  it("passes cwd and env, and arguments as they are (no shell splitting of one argument)", async () => {
    const name = useContainer("app");
    const result = await rpc("app", name, "execOutput", ["sh", "-c", 'echo "$GREETING from $(pwd)" "$0"', "a b"], {
      cwd: "/tmp",
      env: { GREETING: "hello" },
    });
    expect(result.value).toEqual({ stdout: "hello from /tmp a b\n", stderr: "", exitCode: 0 });
  });

  it("finishes a command that writes much to stderr while only stdout is read", async () => {
    const name = useContainer("app");
    // About 50 KB on stderr, more than a pipe holds: unread, the runtime would never end the process.
    const script = 'i=0; while [ $i -lt 4000 ]; do echo "stderr line $i"; i=$((i+1)); done >&2; echo done';
    const result = await rpc("app", name, "execStdout", ["sh", "-c", script]);
    expect(result.error).toBeUndefined();
    expect(result.value).toEqual({ stdout: "done\n", exitCode: 0 });
  });

  it("keeps the container awake while a command runs longer than sleepAfter", async () => {
    const name = useContainer("sleepy");
    // sleepAfter is 3 s; the command itself takes 6 s.
    const result = await rpc("sleepy", name, "execOutput", ["sh", "-c", "sleep 6; echo slept"]);
    expect(result.value).toEqual({ stdout: "slept\n", stderr: "", exitCode: 0 });
    // Not stopped under it (the output is whole), and no idle expiry while it
    // ran: any comes at least the command's 6 s after the start (the
    // library's own event times).
    const [start] = await eventsOf("sleepy", name, "start");
    for (const expired of await eventsOf("sleepy", name, "activityExpired")) {
      expect(expired.at).toBeGreaterThanOrEqual(start!.at + 6_000);
    }
  });

  it("with { wake: false } on a stopped container fails naming the option and starts nothing", async () => {
    const name = useContainer("app");
    const result = await rpc("app", name, "execOutput", ["true"], { wake: false });
    expect(result.error).toMatch(/not running, and exec with \{ wake: false \} does not start it/);
    expect(await hooks("app", name)).toEqual([]);
  });

  it("says the image needs /bin/sh when it has none", async () => {
    const name = useContainer("noshell");
    const result = await rpc("noshell", name, "execOutput", ["ls"]);
    expect(result.ok).toBe(false);
    expect(result.error).toMatch(/the container image has no \/bin\/sh/);
    expect(result.error).toMatch(/The runtime said: /);
  });
});
