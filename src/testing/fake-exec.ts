/**
 * @module testing/fake-exec
 * The fake runtime's `exec()`: commands played by a handler the test
 * supplies, with the runtime's pipes (a process does not end while its
 * stdout or stderr is left unread), kills, and the image without `/bin/sh`.
 * {@link FakeContainer} owns one {@link FakeExecTable}; the types are
 * re-exported from `testing/fake-runtime` and the `./testing` entry.
 */

import type { RuntimeExecOptions, RuntimeExecProcess } from "../runtime";

/** Output of a fake command: text, bytes, chunks written in order, or a stream relayed as it arrives. */
export type FakeExecOutput = string | Uint8Array | ReadonlyArray<string | Uint8Array> | ReadableStream<Uint8Array>;

/** What a fake command does. */
export interface FakeExecBehaviour {
  /** Written to stdout at once (a stream: as it arrives). */
  stdout?: FakeExecOutput;
  /** Written to stderr at once (a stream: as it arrives); into stdout with `stderr: "combined"`. */
  stderr?: FakeExecOutput;
  /** @default 0 */
  exitCode?: number;
  /** Milliseconds the process keeps running once its output is written; `Infinity`: until killed. @default 0 */
  runMs?: number;
}

/** The options a fake command sees: the library's, with stdin as the stream the process reads. */
export type FakeExecOptions = Omit<RuntimeExecOptions, "stdin"> & { stdin?: ReadableStream<Uint8Array> };

/**
 * Decides what a command does; `undefined` falls back to the default (exit
 * 127, `sh: 1: <program>: not found` on stderr). Throwing makes `exec()`
 * reject with the error, as a runtime failure would.
 */
export type ExecHandler = (
  cmd: string[],
  options: FakeExecOptions,
) => FakeExecBehaviour | undefined | Promise<FakeExecBehaviour | undefined>;

/** One `exec()` the fake ran. */
export interface FakeExecRecord {
  readonly pid: number;
  readonly cmd: string[];
  /** The options, without `stdin` and `signal`. */
  readonly options: Omit<RuntimeExecOptions, "stdin" | "signal">;
  /** Whether a stdin stream (or `"pipe"`) was given. */
  readonly hasStdin: boolean;
  /** Signals sent with `kill()`, in order. */
  readonly kills: number[];
  /** The exit code once the process ended. */
  exitCode: number | undefined;
}

/** A process of the fake's `exec()`: the runtime's shape, with `stdin` and `output()`. */
export interface FakeExecProcess extends RuntimeExecProcess {
  /** A writable stdin with `stdin: "pipe"`, else `null`. */
  readonly stdin: WritableStream<Uint8Array> | null;
  /** Both streams in full and the exit code. */
  output(): Promise<{ stdout: ArrayBuffer; stderr: ArrayBuffer; exitCode: number }>;
}

/** What the runtime writes, with exit code 126, when the image has no /bin/sh. */
const NO_SHELL_OUTPUT =
  'OCI runtime exec failed: exec failed: unable to start container process: exec: "/bin/sh": stat /bin/sh: ' +
  "no such file or directory: unknown\r\n";

/** What the container tells an `exec()` about itself when it runs. */
export interface FakeExecContext {
  /** Plays the command (read when the command runs). */
  handler: ExecHandler | undefined;
  /** Whether the image has `/bin/sh`. */
  hasShell: boolean;
  /** Whether the process the command runs in is still alive. */
  alive(): boolean;
}

/**
 * The commands running in one fake container: starts them with the
 * runtime's checks, numbers them, records them and kills them all when the
 * container stops. Internal to the testing kit.
 */
export class FakeExecTable {
  readonly #calls: FakeExecRecord[];
  readonly #runs = new Set<FakeExecRun>();
  #nextPid = 100;

  /** @param calls where every `exec()` that started a process is recorded, in order */
  constructor(calls: FakeExecRecord[]) {
    this.#calls = calls;
  }

  /** Run `cmd` in a running container (the caller checked it runs). */
  async run(cmd: string[], options: RuntimeExecOptions, context: FakeExecContext): Promise<FakeExecProcess> {
    const pipe = options.stdin === "pipe" ? new TransformStream<Uint8Array, Uint8Array>() : undefined;
    const stdin = pipe ? pipe.readable : (options.stdin as ReadableStream<Uint8Array> | undefined);
    const { stdin: _stdin, signal: _signal, ...recorded } = options;
    const seen: FakeExecOptions = { ...recorded };
    if (stdin) seen.stdin = stdin;
    const behaviour = context.hasShell
      ? ((await context.handler?.([...cmd], seen)) ?? notFound(cmd[0] ?? ""))
      : { stdout: NO_SHELL_OUTPUT, exitCode: 126 };
    if (!context.alive()) throw new Error(EXEC_NOT_RUNNING);
    const record: FakeExecRecord = {
      pid: this.#nextPid++,
      cmd: [...cmd],
      options: structuredClone(recorded),
      hasStdin: options.stdin !== undefined,
      kills: [],
      exitCode: undefined,
    };
    this.#calls.push(record);
    const run = new FakeExecRun(record, behaviour, options, pipe?.writable ?? null, (ended) => {
      this.#runs.delete(ended);
    });
    this.#runs.add(run);
    run.begin();
    return run.process;
  }

  /** The container stopped: every command still running dies as on SIGKILL. */
  stopAll(): void {
    for (const run of [...this.#runs]) run.stop();
  }
}

/** What the runtime's `exec()` throws when no container is running. */
export const EXEC_NOT_RUNNING = "exec() cannot be called on a container that is not running";

/** What /bin/sh answers for a program it cannot find. */
function notFound(program: string): FakeExecBehaviour {
  return { stderr: `sh: 1: ${program}: not found\n`, exitCode: 127 };
}

/**
 * One end of a fake process's output pipe. Nothing moves until its reader
 * asks (`highWaterMark: 0`), so the process can tell whether everything it
 * wrote has been read: it is `drained` once the last byte was handed over.
 */
class FakePipe {
  readonly stream: ReadableStream<Uint8Array>;
  #items: Array<Uint8Array | ReadableStreamDefaultReader<Uint8Array>> = [];
  #controller!: ReadableStreamDefaultController<Uint8Array>;
  #closed = false;
  #wakePull: (() => void) | undefined;
  readonly #onChange: () => void;

  constructor(onChange: () => void) {
    this.#onChange = onChange;
    this.stream = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.#controller = controller;
        },
        pull: () => this.#pull(),
        // The reader went away: what is left counts as read.
        cancel: () => {
          this.#dropItems();
          this.#closed = true;
          this.#onChange();
        },
      },
      { highWaterMark: 0 },
    );
  }

  write(output: FakeExecOutput | undefined): void {
    if (output === undefined) return;
    if (output instanceof ReadableStream) {
      this.#items.push(output.getReader());
      return;
    }
    const chunks = typeof output === "string" || output instanceof Uint8Array ? [output] : output;
    for (const chunk of chunks) this.#items.push(typeof chunk === "string" ? new TextEncoder().encode(chunk) : chunk);
  }

  get drained(): boolean {
    return this.#items.length === 0;
  }

  /** The process ended: end of file for the reader (`discard`: what was not read is lost, as on a kill). */
  close(discard: boolean): void {
    if (this.#closed) return;
    if (discard) this.#dropItems();
    this.#closed = true;
    this.#controller.close();
    this.#wakePull?.();
  }

  async #pull(): Promise<void> {
    while (!this.#closed) {
      const item = this.#items[0];
      if (item === undefined) {
        await new Promise<void>((resolve) => {
          this.#wakePull = resolve;
        });
        continue;
      }
      if (item instanceof Uint8Array) {
        this.#items.shift();
        this.#controller.enqueue(item);
        this.#onChange();
        return;
      }
      const { done, value } = await item.read();
      if (this.#closed) return;
      if (!done) return this.#controller.enqueue(value);
      this.#items.shift();
      this.#onChange();
    }
  }

  #dropItems(): void {
    for (const item of this.#items) if (!(item instanceof Uint8Array)) item.cancel().catch(() => undefined);
    this.#items = [];
  }
}

/** One process of the fake's `exec()`. */
class FakeExecRun {
  readonly process: FakeExecProcess;
  readonly #record: FakeExecRecord;
  readonly #exitCode: number;
  readonly #runMs: number;
  readonly #stdout: FakePipe | undefined;
  readonly #stderr: FakePipe | undefined;
  readonly #onEnd: (run: FakeExecRun) => void;
  #resolveExit!: (code: number) => void;
  #ran = false;
  #ended = false;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    record: FakeExecRecord,
    behaviour: FakeExecBehaviour,
    options: RuntimeExecOptions,
    stdin: WritableStream<Uint8Array> | null,
    onEnd: (run: FakeExecRun) => void,
  ) {
    this.#record = record;
    this.#exitCode = behaviour.exitCode ?? 0;
    this.#runMs = behaviour.runMs ?? 0;
    this.#onEnd = onEnd;
    const check = () => this.#check();
    this.#stdout = options.stdout === "ignore" ? undefined : new FakePipe(check);
    this.#stderr = options.stderr === "ignore" || options.stderr === "combined" ? undefined : new FakePipe(check);
    this.#stdout?.write(behaviour.stdout);
    if (options.stderr === "combined") this.#stdout?.write(behaviour.stderr);
    else this.#stderr?.write(behaviour.stderr);
    const exitCode = new Promise<number>((resolve) => {
      this.#resolveExit = resolve;
    });
    const stdout = this.#stdout?.stream ?? null;
    const stderr = this.#stderr?.stream ?? null;
    this.process = {
      pid: record.pid,
      stdin,
      stdout,
      stderr,
      exitCode,
      kill: (signal = 15) => this.kill(signal),
      output: async () => {
        const [out, err] = await Promise.all([readAll(stdout), readAll(stderr)]);
        return { stdout: out, stderr: err, exitCode: await exitCode };
      },
    };
  }

  /** Start the clock: the process has written its output and runs for `runMs`. */
  begin(): void {
    if (this.#runMs === Number.POSITIVE_INFINITY) return;
    this.#timer = setTimeout(() => {
      this.#ran = true;
      this.#check();
    }, this.#runMs);
  }

  kill(signal: number): void {
    this.#record.kills.push(signal);
    this.#end(128 + signal, true);
  }

  /** The container stopped under the process: it dies as on SIGKILL. */
  stop(): void {
    this.#end(137, true);
  }

  #check(): void {
    if (this.#ran && (this.#stdout?.drained ?? true) && (this.#stderr?.drained ?? true)) {
      this.#end(this.#exitCode, false);
    }
  }

  #end(code: number, killed: boolean): void {
    if (this.#ended) return;
    this.#ended = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#stdout?.close(killed);
    this.#stderr?.close(killed);
    this.#record.exitCode = code;
    this.#onEnd(this);
    // The exit code comes just after the output ends, as with the runtime.
    setTimeout(() => this.#resolveExit(code), 0);
  }
}

async function readAll(stream: ReadableStream<Uint8Array> | null): Promise<ArrayBuffer> {
  return stream ? new Response(stream).arrayBuffer() : new ArrayBuffer(0);
}
