// src/exec/ driven directly against a FakeContainer (no Durable Object):
// what runExec's handle gives, how it drains, ends activity, times out,
// aborts and reports the runtime's failures.
import { RpcTarget } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ContainerTimeoutError } from "../../src/errors";
import { execWithoutWakeError, parseExecRequest, runExec } from "../../src/exec";
import { EXEC_OUTPUT_MAX_BYTES, EXEC_UNREAD_BUFFER_BYTES } from "../../src/exec/drain";
import { ContainerNotRunningError, ExecShellMissingError } from "../../src/exec/errors";
import type { ContainerRuntime } from "../../src/runtime";
import { FakeContainer } from "../../src/testing";
import type { FakeContainerOptions } from "../../src/testing";
import { env } from "cloudflare:test";
import { errorOf, eventually, fakeOf, fresh, hooks, inObject } from "./harness";

/** An activity counter that counts every call of every end function (so a second end shows). */
function activity() {
  const counts = {
    begins: 0,
    ends: 0,
    begin() {
      counts.begins++;
      return () => {
        counts.ends++;
      };
    },
  };
  return counts;
}

/** A started fake. */
function running(options: FakeContainerOptions = {}): FakeContainer {
  const fake = new FakeContainer(options);
  fake.start();
  return fake;
}

async function readText(stream: ReadableStream<Uint8Array>): Promise<string> {
  return new TextDecoder().decode(await readBytes(stream));
}

async function readBytes(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
  }
  const bytes = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0));
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

/** Let every timer and microtask that is due run, a few rounds. */
async function settle(rounds = 10): Promise<void> {
  for (let round = 0; round < rounds; round++) await new Promise((resolve) => setTimeout(resolve, 0));
}

const decode = (value: Uint8Array | undefined) => new TextDecoder().decode(value);

describe("output()", () => {
  it("gives both streams in full and the exit code, and the runtime got the command and options", async () => {
    const fake = running({
      execHandler: (cmd) => (cmd[0] === "greet" ? { stdout: ["hello ", "world\n"], stderr: "note\n" } : undefined),
    });
    const run = await runExec(fake, ["greet", "-v"], { cwd: "/app", env: { A: "1" }, user: "1000" }, activity());
    expect(await run.output()).toEqual({ stdout: "hello world\n", stderr: "note\n", exitCode: 0 });
    expect(fake.execCalls).toHaveLength(1);
    expect(fake.execCalls[0]).toMatchObject({
      pid: run.pid,
      cmd: ["greet", "-v"],
      options: { cwd: "/app", env: { A: "1" }, user: "1000", stdout: "pipe", stderr: "pipe" },
      hasStdin: false,
      exitCode: 0,
    });
  });

  it("reports a non-zero exit code (output() and exitCode resolve, they do not reject)", async () => {
    const fake = running({ execHandler: () => ({ stderr: "boom\n", exitCode: 3 }) });
    const run = await runExec(fake, ["fail"], undefined, activity());
    expect(await run.output()).toEqual({ stdout: "", stderr: "boom\n", exitCode: 3 });
    expect(await run.exitCode).toBe(3);
  });

  it("an unknown command exits 127 with the shell's message (the fake's default)", async () => {
    const run = await runExec(running(), ["nope"], {}, activity());
    expect(await run.output()).toEqual({ stdout: "", stderr: "sh: 1: nope: not found\n", exitCode: 127 });
  });

  it("keeps at most EXEC_OUTPUT_MAX_BYTES of a stream: past it the command is killed, output() says why", async () => {
    const chunk = new Uint8Array(1024 * 1024).fill(97);
    const chunks = Array.from({ length: EXEC_OUTPUT_MAX_BYTES / chunk.byteLength + 2 }, () => chunk);
    const fake = running({ execHandler: () => ({ stdout: chunks, runMs: Number.POSITIVE_INFINITY }) });
    const counts = activity();
    const run = await runExec(fake, ["yes"], {}, counts);
    await expect(run.output()).rejects.toThrow(
      `output() keeps at most ${EXEC_OUTPUT_MAX_BYTES} bytes of each stream and stdout went past it, ` +
        "so the command was killed (SIGKILL)",
    );
    expect(fake.execCalls[0]!.kills).toContain(9);
    expect(counts.ends).toBe(1);
  });

  it("returns the same result when called twice", async () => {
    const fake = running({ execHandler: () => ({ stdout: "once" }) });
    const run = await runExec(fake, ["x"], {}, activity());
    const first = run.output();
    expect(run.output()).toBe(first);
    expect((await first).stdout).toBe("once");
  });

  it.each([
    ["a string", "piped input"],
    ["a Uint8Array", new TextEncoder().encode("piped input")],
  ])("feeds stdin given as %s", async (_name, stdin) => {
    const fake = running({ execHandler: (cmd, options) => (cmd[0] === "cat" ? { stdout: options.stdin } : undefined) });
    const run = await runExec(fake, ["cat"], { stdin }, activity());
    expect((await run.output()).stdout).toBe("piped input");
    expect(fake.execCalls[0]!.hasStdin).toBe(true);
  });

  it("feeds stdin given as a stream", async () => {
    const fake = running({ execHandler: (_cmd, options) => ({ stdout: options.stdin }) });
    const stdin = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode("a"));
        controller.enqueue(new TextEncoder().encode("b"));
        controller.close();
      },
    });
    const run = await runExec(fake, ["cat"], { stdin }, activity());
    expect((await run.output()).stdout).toBe("ab");
  });

  it('with stderr: "combined", stderr comes in stdout', async () => {
    const fake = running({ execHandler: () => ({ stdout: "out\n", stderr: "err\n" }) });
    const run = await runExec(fake, ["both"], { stderr: "combined" }, activity());
    expect(await run.output()).toEqual({ stdout: "out\nerr\n", stderr: "", exitCode: 0 });
    expect(fake.execCalls[0]!.options.stderr).toBe("combined");
  });

  it('with stderr: "ignore", stderr is dropped', async () => {
    const fake = running({ execHandler: () => ({ stdout: "out\n", stderr: "err\n" }) });
    const run = await runExec(fake, ["both"], { stderr: "ignore" }, activity());
    expect(await run.output()).toEqual({ stdout: "out\n", stderr: "", exitCode: 0 });
    expect(fake.execCalls[0]!.options.stderr).toBe("ignore");
  });
});

describe("streams", () => {
  it("streams stdout as it is written, in order", async () => {
    const source = new TransformStream<Uint8Array, Uint8Array>();
    const writer = source.writable.getWriter();
    const fake = running({ execHandler: () => ({ stdout: source.readable }) });
    const run = await runExec(fake, ["tail"], {}, activity());
    const reader = run.stdout.getReader();
    const write = (text: string) => writer.write(new TextEncoder().encode(text)).catch(() => undefined);
    write("one");
    expect(decode((await reader.read()).value)).toBe("one");
    // "two" does not exist yet when "one" has been read: the output is incremental.
    write("two");
    expect(decode((await reader.read()).value)).toBe("two");
    writer.close().catch(() => undefined);
    expect((await reader.read()).done).toBe(true);
    expect(await run.exitCode).toBe(0);
  });

  it("the fake, like the runtime, does not end stdout while stderr is unread", async () => {
    const fake = running({ execHandler: () => ({ stdout: "out", stderr: "err" }) });
    const process = await fake.exec(["both"]);
    let stdoutEnded = false;
    const stdout = readText(process.stdout!).then((text) => {
      stdoutEnded = true;
      return text;
    });
    await settle();
    expect(stdoutEnded).toBe(false);
    expect(await readText(process.stderr!)).toBe("err");
    expect(await stdout).toBe("out");
    expect(await process.exitCode).toBe(0);
  });

  it('the fake\'s own process gives output() and a writable stdin with stdin: "pipe"', async () => {
    const fake = running({ execHandler: (_cmd, options) => ({ stdout: options.stdin, stderr: "e" }) });
    const process = await fake.exec(["cat"], { stdin: "pipe" });
    const writer = process.stdin!.getWriter();
    writer.write(new TextEncoder().encode("typed")).catch(() => undefined);
    writer.close().catch(() => undefined);
    const output = await process.output();
    expect([decode(new Uint8Array(output.stdout)), decode(new Uint8Array(output.stderr))]).toEqual(["typed", "e"]);
    expect(output.exitCode).toBe(0);
    expect(fake.execCalls[0]).toMatchObject({ hasStdin: true, pid: process.pid });
  });

  it("reading only stdout, the command still ends: stderr is drained behind the caller's back", async () => {
    const fake = running({ execHandler: () => ({ stdout: "out", stderr: ["e".repeat(10_000), "rr"] }) });
    const run = await runExec(fake, ["both"], {}, activity());
    expect(await readText(run.stdout)).toBe("out");
    expect(await run.exitCode).toBe(0);
  });

  it("reading only stderr, the command still ends: stdout is drained", async () => {
    const fake = running({ execHandler: () => ({ stdout: "o".repeat(10_000), stderr: "err" }) });
    const run = await runExec(fake, ["both"], {}, activity());
    expect(await readText(run.stderr)).toBe("err");
    expect(await run.exitCode).toBe(0);
  });

  it("reading neither, the command still ends", async () => {
    const fake = running({ execHandler: () => ({ stdout: "out", stderr: "err" }) });
    const run = await runExec(fake, ["both"], {}, activity());
    expect(await run.exitCode).toBe(0);
  });

  it("keeps only the most recent bytes of a stream nobody reads", async () => {
    const chunk = (fill: number) => new Uint8Array(EXEC_UNREAD_BUFFER_BYTES).fill(fill);
    const fake = running({ execHandler: () => ({ stdout: "out", stderr: [chunk(1), chunk(2), chunk(3)] }) });
    const run = await runExec(fake, ["noisy"], {}, activity());
    expect(await readText(run.stdout)).toBe("out");
    expect(await run.exitCode).toBe(0);
    const kept = await readBytes(run.stderr);
    expect(kept.byteLength).toBe(EXEC_UNREAD_BUFFER_BYTES);
    expect(kept.every((byte) => byte === 3)).toBe(true);
  });

  it("output() after unread bytes were dropped says so instead of giving partial output", async () => {
    const fake = running({ execHandler: () => ({ stdout: [new Uint8Array(EXEC_UNREAD_BUFFER_BYTES + 10)] }) });
    const run = await runExec(fake, ["big"], {}, activity());
    expect(await run.exitCode).toBe(0);
    await expect(run.output()).rejects.toThrow(/output\(\) came after 10 bytes of stdout had been dropped unread/);
  });

  it("a cancelled stream is still drained, so the command ends", async () => {
    const fake = running({ execHandler: () => ({ stdout: ["a", "b", "c", "d"] }) });
    const run = await runExec(fake, ["abcd"], {}, activity());
    const reader = run.stdout.getReader();
    expect(decode((await reader.read()).value)).toBe("a");
    await reader.cancel();
    expect(await run.exitCode).toBe(0);
  });

  it("the first access takes a stream, later ones give the same stream", async () => {
    const fake = running({ execHandler: () => ({ stdout: "out" }) });
    const run = await runExec(fake, ["x"], {}, activity());
    const stdout = run.stdout;
    expect(run.stdout).toBe(stdout);
    expect(await readText(stdout)).toBe("out");
    expect(run.stdout).toBe(stdout);
  });

  it("a stream cannot be taken together with output(), whichever comes first", async () => {
    const fake = running({ execHandler: () => ({ stdout: "out", stderr: "err" }) });
    const streamed = await runExec(fake, ["x"], {}, activity());
    void streamed.stdout;
    await expect(streamed.output()).rejects.toThrow(
      /^output\(\) cannot be used after stdout was taken: that stream is already being read\. Use output\(\) alone/,
    );
    // output() claimed nothing when it failed: stderr is still available.
    expect(await readText(streamed.stderr)).toBe("err");

    const collected = await runExec(fake, ["x"], {}, activity());
    const output = collected.output();
    expect(() => collected.stderr).toThrow(/^stderr cannot be read after output\(\): output\(\) is already reading/);
    expect((await output).stdout).toBe("out");
  });
});

describe("activity", () => {
  it("counts the command as activity until it ends", async () => {
    const fake = running({ execHandler: () => ({ runMs: Number.POSITIVE_INFINITY }) });
    const counts = activity();
    const run = await runExec(fake, ["sleep", "infinity"], {}, counts);
    await settle();
    expect(counts).toMatchObject({ begins: 1, ends: 0 });
    run.kill();
    await eventually(() => expect(counts.ends).toBe(1));
  });

  type Ending = { name: string; run(fake: FakeContainer, counts: ReturnType<typeof activity>): Promise<unknown> };
  const forever = { execHandler: () => ({ runMs: Number.POSITIVE_INFINITY }) };
  const endings: Ending[] = [
    { name: "exit", run: async (fake, counts) => (await runExec(fake, ["true"], {}, counts)).output() },
    {
      name: "kill",
      run: async (fake, counts) => {
        Object.assign(fake, forever);
        const run = await runExec(fake, ["sleep"], {}, counts);
        run.kill("SIGKILL");
        return run.exitCode;
      },
    },
    {
      name: "timeout",
      run: async (fake, counts) => {
        Object.assign(fake, forever);
        return (await runExec(fake, ["sleep"], { timeout: 5 }, counts)).exitCode;
      },
    },
    {
      name: "abort",
      run: async (fake, counts) => {
        Object.assign(fake, forever);
        const controller = new AbortController();
        const run = await runExec(fake, ["sleep"], { signal: controller.signal }, counts);
        controller.abort(new Error("stop"));
        return run.exitCode;
      },
    },
    {
      name: "a runtime error",
      run: (fake, counts) => {
        fake.execHandler = () => {
          throw new Error("disk full");
        };
        return runExec(fake, ["df"], {}, counts);
      },
    },
    {
      name: "not running",
      run: (fake, counts) => {
        fake.exit(0);
        return runExec(fake, ["ls"], {}, counts);
      },
    },
    {
      name: "the container stopping under it",
      run: async (fake, counts) => {
        Object.assign(fake, forever);
        const run = await runExec(fake, ["sleep"], {}, counts);
        fake.exit(0);
        return run.exitCode;
      },
    },
  ];

  it.each(endings)("ends exactly once on $name", async ({ run }) => {
    const fake = running();
    const counts = activity();
    await run(fake, counts).catch(() => undefined);
    await eventually(() => expect(counts.ends).toBe(1));
    await settle();
    expect(counts).toMatchObject({ begins: 1, ends: 1 });
  });

  it("a call rejected by the input checks never begins", async () => {
    const counts = activity();
    await expect(runExec(running(), [], {}, counts)).rejects.toThrow(TypeError);
    expect(counts).toMatchObject({ begins: 0, ends: 0 });
  });
});

describe("kill()", () => {
  const forever = () => running({ execHandler: () => ({ runMs: Number.POSITIVE_INFINITY }) });

  it.each([
    [undefined, 15],
    ["SIGTERM", 15],
    ["SIGINT", 2],
    ["SIGKILL", 9],
    [10, 10],
  ] as const)("kill(%j) sends signal %d", async (signal, signo) => {
    const fake = forever();
    const run = await runExec(fake, ["sleep"], {}, activity());
    run.kill(signal);
    expect(fake.execCalls[0]!.kills).toEqual([signo]);
    expect(await run.exitCode).toBe(128 + signo);
  });

  it.each(["SIGHUP", 0, 65, 1.5])("rejects the signal %j, naming what is accepted", async (signal) => {
    const fake = forever();
    const run = await runExec(fake, ["sleep"], {}, activity());
    expect(() => run.kill(signal as never)).toThrow(RangeError);
    expect(() => run.kill(signal as never)).toThrow(/Invalid signal: .*Expected "SIGTERM", "SIGINT", "SIGKILL"/);
    expect(fake.execCalls[0]!.kills).toEqual([]);
    run.kill("SIGKILL");
  });

  it("after the command ended, sends nothing", async () => {
    const fake = running({ execHandler: () => ({}) });
    const run = await runExec(fake, ["true"], {}, activity());
    expect(await run.exitCode).toBe(0);
    run.kill();
    expect(fake.execCalls[0]!.kills).toEqual([]);
  });
});

describe("timeout", () => {
  it("kills the command with SIGKILL and fails with how long it waited", async () => {
    const fake = running({ execHandler: () => ({ stdout: "partial", runMs: Number.POSITIVE_INFINITY }) });
    const run = await runExec(fake, ["sleep", "9"], { timeout: 25 }, activity());
    const error = await run.exitCode.then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(ContainerTimeoutError);
    expect((error as Error).message).toBe(
      'exec ["sleep","9"] timed out after 25 ms; the process was killed (SIGKILL).',
    );
    expect(fake.execCalls[0]!.kills).toEqual([9]);
    await expect(run.output()).rejects.toBe(error);
  });

  it("errors a stream being read with the same error", async () => {
    const fake = running({ execHandler: () => ({ runMs: Number.POSITIVE_INFINITY }) });
    const run = await runExec(fake, ["sleep"], { timeout: 5 }, activity());
    await expect(readText(run.stdout)).rejects.toThrow(ContainerTimeoutError);
  });

  it("also bounds the start: a process that starts after the timeout is killed at once", async () => {
    let release!: () => void;
    const started = new Promise<void>((resolve) => (release = resolve));
    const fake = running({ execHandler: () => started.then(() => ({ runMs: Number.POSITIVE_INFINITY })) });
    const counts = activity();
    await expect(runExec(fake, ["slow-start"], { timeout: 5 }, counts)).rejects.toThrow(ContainerTimeoutError);
    expect(counts).toMatchObject({ begins: 1, ends: 1 });
    release();
    await eventually(() => expect(fake.execCalls[0]?.kills).toEqual([9]));
  });

  it("a stream asked for after the timeout fails with it too", async () => {
    const fake = running({ execHandler: () => ({ runMs: Number.POSITIVE_INFINITY }) });
    const run = await runExec(fake, ["sleep"], { timeout: 5 }, activity());
    await expect(run.exitCode).rejects.toThrow(ContainerTimeoutError);
    expect(() => run.stderr).toThrow(ContainerTimeoutError);
  });

  it("leaves a command that ends in time alone", async () => {
    const fake = running({ execHandler: () => ({ stdout: "quick" }) });
    const run = await runExec(fake, ["echo"], { timeout: 60_000 }, activity());
    expect(await run.output()).toMatchObject({ stdout: "quick", exitCode: 0 });
    expect(fake.execCalls[0]!.kills).toEqual([]);
  });
});

describe("signal", () => {
  it("aborting kills the command with SIGKILL and fails with the abort reason", async () => {
    const fake = running({ execHandler: () => ({ runMs: Number.POSITIVE_INFINITY }) });
    const controller = new AbortController();
    const run = await runExec(fake, ["sleep"], { signal: controller.signal }, activity());
    const reason = new Error("the user gave up");
    controller.abort(reason);
    await expect(run.exitCode).rejects.toBe(reason);
    await expect(run.output()).rejects.toBe(reason);
    expect(fake.execCalls[0]!.kills).toEqual([9]);
  });

  it("an already aborted signal runs nothing", async () => {
    const fake = running();
    const counts = activity();
    const reason = new Error("too late");
    await expect(runExec(fake, ["ls"], { signal: AbortSignal.abort(reason) }, counts)).rejects.toBe(reason);
    expect(fake.execCalls).toEqual([]);
    expect(counts.begins).toBe(0);
  });

  it("aborting after the command ended changes nothing", async () => {
    const fake = running({ execHandler: () => ({ stdout: "done" }) });
    const controller = new AbortController();
    const run = await runExec(fake, ["echo"], { signal: controller.signal }, activity());
    expect(await run.exitCode).toBe(0);
    controller.abort();
    expect(await run.exitCode).toBe(0);
    expect(fake.execCalls[0]!.kills).toEqual([]);
  });
});

describe("runtime failures", () => {
  it("a stopped container gives a ContainerNotRunningError", async () => {
    const fake = new FakeContainer();
    const error = await runExec(fake, ["ls"], {}, activity()).catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(ContainerNotRunningError);
    expect((error as Error).message).toMatch(/^Cannot exec \["ls"\]: the container is not running/);
    expect((error as Error).cause).toBeInstanceOf(Error);
  });

  it("the error for wake: false names the option and what to do", () => {
    const error = execWithoutWakeError(["ls", "-la"]);
    expect(error).toBeInstanceOf(ContainerNotRunningError);
    expect(error.message).toBe(
      'Cannot exec ["ls","-la"]: the container is not running, and exec with { wake: false } does not start it. ' +
        "Start it first (start() or startAndWaitForPorts()), or leave wake at its default (true).",
    );
  });

  it("another runtime error keeps the runtime's words and the command", async () => {
    const fake = running({
      execHandler: () => {
        throw new Error("disk full");
      },
    });
    await expect(runExec(fake, ["df"], {}, activity())).rejects.toThrow('exec ["df"] failed: disk full');
  });

  it("a runtime without exec() says so", async () => {
    const runtime = { running: true } as unknown as ContainerRuntime;
    await expect(runExec(runtime, ["ls"], {}, activity())).rejects.toThrow(/ctx\.container has no exec\(\)/);
  });
});

describe("an image without /bin/sh", () => {
  it("fails with an error saying the image needs /bin/sh, quoting the runtime", async () => {
    const fake = running({ hasShell: false });
    const counts = activity();
    const run = await runExec(fake, ["node", "-v"], {}, counts);
    const error = await run.exitCode.catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(ExecShellMissingError);
    expect((error as Error).message).toMatch(/^Cannot exec \["node","-v"\]: the container image has no \/bin\/sh\./);
    expect((error as Error).message).toContain("The runtime said: OCI runtime exec failed");
    await expect(run.output()).rejects.toBe(error);
    expect(fake.execCalls[0]!.exitCode).toBe(126);
    expect(counts).toMatchObject({ begins: 1, ends: 1 });
  });

  it("recognises the runtime's text on stderr as well", async () => {
    const text = 'OCI runtime exec failed: exec failed: exec: "/bin/sh": stat /bin/sh: no such file or directory';
    const fake = running({ execHandler: () => ({ stderr: text, exitCode: 126 }) });
    const run = await runExec(fake, ["ls"], {}, activity());
    await expect(run.exitCode).rejects.toThrow(ExecShellMissingError);
  });

  it("leaves any other exit 126 alone", async () => {
    const fake = running({ execHandler: () => ({ stderr: "sh: 1: ./run.sh: Permission denied\n", exitCode: 126 }) });
    const run = await runExec(fake, ["./run.sh"], {}, activity());
    expect(await run.output()).toMatchObject({ exitCode: 126, stderr: "sh: 1: ./run.sh: Permission denied\n" });
  });
});

describe("input checks", () => {
  const cases: Array<[string, unknown, unknown, RegExp]> = [
    ["an empty command", [], {}, /^Invalid exec command: array \[\]\. Expected a non-empty array of strings/],
    ["a command string", "ls -la", {}, /^Invalid exec command: "ls -la"\. Expected a non-empty array/],
    ["no command", undefined, {}, /^Invalid exec command: undefined\./],
    ["a non-string argument", ["ls", 1], {}, /^Invalid exec command: element 1 is number 1\. Every element/],
    ["an empty program", ["", "x"], {}, /the program \(element 0\) is an empty string/],
    ["a NUL in an argument", ["ls", "a\0b"], {}, /element 1 contains a NUL character/],
    ["options that are not an object", ["ls"], "fast", /^Invalid exec options: "fast"\. Expected an object/],
    ["an unknown option", ["ls"], { timeoutMs: 5 }, /^Unknown exec option "timeoutMs"\. Accepted: cwd, env, user/],
    ["a zero timeout", ["ls"], { timeout: 0 }, /^Invalid exec option timeout: number 0\. Expected milliseconds/],
    ["a negative timeout", ["ls"], { timeout: -1 }, /^Invalid exec option timeout: number -1\./],
    ["a NaN timeout", ["ls"], { timeout: Number.NaN }, /^Invalid exec option timeout: number NaN\./],
    ["a duration string timeout", ["ls"], { timeout: "30s" }, /timeout: "30s".*not accepted here/],
    ["a timeout past the timer limit", ["ls"], { timeout: 2 ** 31 }, /timeout: number 2147483648\..*at most/],
    ["a non-string env value", ["ls"], { env: { A: 1 } }, /^Invalid exec option env: A is number 1\./],
    ["an env string", ["ls"], { env: "A=1" }, /^Invalid exec option env: "A=1"\. Expected an object of strings/],
    ["an env name with =", ["ls"], { env: { "A=B": "1" } }, /env: the name "A=B" is empty or has "="/],
    ["an empty cwd", ["ls"], { cwd: "" }, /^Invalid exec option cwd: ""\. Expected a non-empty string/],
    ["a numeric user", ["ls"], { user: 1000 }, /^Invalid exec option user: number 1000\./],
    ["a bad stderr", ["ls"], { stderr: "stdout" }, /^Invalid exec option stderr: "stdout"\. Expected "pipe"/],
    ["a signal that is not one", ["ls"], { signal: {} }, /^Invalid exec option signal: .*Expected an AbortSignal/],
    ["a numeric stdin", ["ls"], { stdin: 5 }, /^Invalid exec option stdin: number 5\. Expected a string/],
    ["a non-boolean wake", ["ls"], { wake: "no" }, /^Invalid exec option wake: "no"\. Expected true or false/],
  ];

  it.each(cases)("rejects %s, and runs nothing", async (_name, cmd, options, message) => {
    const fake = running();
    const counts = activity();
    const error = await runExec(fake, cmd, options, counts).catch((reason: unknown) => reason);
    expect(error instanceof TypeError || error instanceof RangeError).toBe(true);
    expect((error as Error).message).toMatch(message);
    expect(fake.execCalls).toEqual([]);
    expect(counts.begins).toBe(0);
    expect(() => parseExecRequest(cmd, options)).toThrow(message);
  });

  it("rejects a locked stdin stream", () => {
    const stdin = new ReadableStream();
    stdin.getReader();
    expect(() => parseExecRequest(["cat"], { stdin })).toThrow("stdin: the ReadableStream is locked");
  });

  it("normalises a valid call, with the defaults filled in", () => {
    const request = parseExecRequest(["ls", "-la"], { timeout: 1500, wake: false });
    expect(request).toMatchObject({ cmd: ["ls", "-la"], timeoutMs: 1500, stderr: "pipe", wake: false });
    expect(parseExecRequest(["ls"])).toMatchObject({ stderr: "pipe", wake: true, timeoutMs: undefined });
    expect(Object.isFrozen(request)).toBe(true);
  });
});

describe("the handle", () => {
  it("is an RpcTarget whose members are on the prototype, as Durable Object RPC needs", async () => {
    const fake = running({ execHandler: () => ({ stdout: "x" }) });
    const run = await runExec(fake, ["echo"], {}, activity());
    expect(run).toBeInstanceOf(RpcTarget);
    // RPC reaches an RpcTarget's prototype members, not properties of the instance.
    expect(Reflect.ownKeys(run)).toEqual([]);
    const prototype = Object.getPrototypeOf(run);
    for (const getter of ["pid", "stdout", "stderr", "exitCode"]) {
      const descriptor = Object.getOwnPropertyDescriptor(prototype, getter);
      expect(typeof descriptor?.get, getter).toBe("function");
      expect(descriptor?.set, getter).toBeUndefined();
    }
    for (const method of ["output", "kill"]) {
      expect(typeof Object.getOwnPropertyDescriptor(prototype, method)?.value, method).toBe("function");
    }
    expect("wait" in run).toBe(false);
    expect(run.pid).toBe(fake.execCalls[0]!.pid);
    expect(run.exitCode).toBeInstanceOf(Promise);
    expect(run.exitCode).toBe(run.exitCode);
    expect(await run.output()).toMatchObject({ stdout: "x", exitCode: 0 });
  });

  it("reading no member at all, the command still ends", async () => {
    const fake = running({ execHandler: () => ({ stdout: "out", stderr: "err" }) });
    await runExec(fake, ["both"], {}, activity());
    await eventually(() => expect(fake.execCalls[0]!.exitCode).toBe(0));
  });
});

// --- Container.exec: the method on a Durable Object, through its stub ---------------

describe("Container.exec", () => {
  const echo = (fake: FakeContainer) => {
    fake.execHandler = (cmd) => (cmd[0] === "echo" ? { stdout: `${cmd.slice(1).join(" ")}\n` } : undefined);
  };

  it("starts a stopped container first, then runs the command; the handle works through the stub", async () => {
    const stub = fresh(env.TEST);
    const fake = await fakeOf(stub);
    echo(fake);
    expect(fake.running).toBe(false);
    const handle = await stub.containerExec(["echo", "hello", "world"]);
    expect(await handle.output()).toEqual({ stdout: "hello world\n", stderr: "", exitCode: 0 });
    expect(fake.starts).toHaveLength(1);
    expect(fake.execCalls.map((call) => call.cmd)).toEqual([["echo", "hello", "world"]]);
    expect(hooks(stub)).toContain("start");
    expect((await stub.getState()).status).toBe("running");
  });

  it("runs in a container that already runs without starting another", async () => {
    const stub = fresh(env.TEST);
    const fake = await fakeOf(stub);
    echo(fake);
    await stub.startAndWaitForPorts();
    const handle = await stub.containerExec(["echo", "again"]);
    expect(await handle.exitCode).toBe(0);
    expect(fake.starts).toHaveLength(1);
  });

  it("with { wake: false } on a stopped container fails naming the option, and starts nothing", async () => {
    const stub = fresh(env.TEST);
    const fake = await fakeOf(stub);
    const message = await errorOf(stub, (instance) => instance.containerExec(["echo", "x"], { wake: false }));
    expect(message).toMatch(/not running, and exec with \{ wake: false \} does not start it/);
    expect(fake.starts).toHaveLength(0);
    expect(fake.execCalls).toHaveLength(0);
  });

  it("refuses bad input before waking the container", async () => {
    const stub = fresh(env.TEST);
    const fake = await fakeOf(stub);
    const cases: Array<[unknown, unknown, RegExp]> = [
      [[], undefined, /non-empty array of strings/],
      [["ls", 1], undefined, /element 1 is number 1/],
      [["ls"], { timout: 5 }, /Unknown exec option "timout"/],
      [["ls"], { wake: "no" }, /Invalid exec option wake/],
    ];
    for (const [cmd, options, expected] of cases) {
      expect(await errorOf(stub, (instance) => instance.containerExec(cmd, options))).toMatch(expected);
    }
    expect(fake.starts).toHaveLength(0);
  });

  it("counts as work in flight until the command ends, so the container does not idle out under it", async () => {
    const stub = fresh(env.TEST);
    const fake = await fakeOf(stub);
    fake.execHandler = () => ({ runMs: Number.POSITIVE_INFINITY });
    const before = await inObject(stub, (instance) => instance.inflightRequests as number);
    const handle = await stub.containerExec(["sleep", "infinity"]);
    expect(await inObject(stub, (instance) => instance.inflightRequests as number)).toBe(before + 1);
    await handle.kill("SIGKILL");
    expect(await handle.exitCode).toBe(137);
    await eventually(async () => {
      expect(await inObject(stub, (instance) => instance.inflightRequests as number)).toBe(before);
    });
  });
});

describe("Container.containerExec and a start in progress", () => {
  it("joins a start in progress instead of running before the instance answers", async () => {
    const stub = fresh(env.TEST);
    const waitedMs = await inObject(stub, async (instance, inner) => {
      inner.instanceDelayMs = 150;
      inner.execHandler = () => ({ stdout: "ok\n" });
      const started = instance.start();
      // The process runs at once; its instance answers only after 150 ms. A lower
      // bound set by the fake, not by this machine's speed.
      const t0 = Date.now();
      const handle = await instance.containerExec(["true"]);
      const waited = Date.now() - t0;
      await handle.output();
      await started;
      return waited;
    });
    expect(waitedMs).toBeGreaterThanOrEqual(140);
  });
});
