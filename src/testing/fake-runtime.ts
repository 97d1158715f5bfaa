/**
 * @module testing/fake-runtime
 * An in-process stand-in for the runtime's `ctx.container`, faithful to the
 * behaviour the library relies on: `start()` is synchronous and throws when
 * already running, `monitor()` resolves on exit 0 and rejects with the
 * runtime's own messages otherwise, ports answer through handlers the test
 * supplies (HTTP and WebSocket), and failures (no instance, rate limiting,
 * ports that open late or never, crashes, runtime signals) can be injected.
 * Commands run through `exec()` are played by a handler the test supplies,
 * with the runtime's pipes: a process does not end while its stdout or
 * stderr is left unread.
 *
 * It lives in the Worker's isolate, keyed by Durable Object id, so it
 * outlives an eviction of the object just as a real container does.
 */

import { RUNTIME_MESSAGES } from "../errors";
import type {
  ContainerRuntime,
  RuntimeExecOptions,
  RuntimeExecProcess,
  RuntimeStartOptions,
  RuntimeTcpPort,
} from "../runtime";

/** Serves one container port. */
export type PortHandler = (request: Request) => Response | Promise<Response>;

/** Settings of a fake container; every field can also be changed later. */
export interface FakeContainerOptions {
  /** Servers the "process" runs, by port. */
  ports?: Record<number, PortHandler>;
  /** Milliseconds after each start before a port accepts connections (all ports, or per port). */
  listenDelayMs?: number | Record<number, number>;
  /** Milliseconds after each start during which the runtime has no instance to give. */
  instanceDelayMs?: number;
  /** Exit code after SIGTERM/SIGINT; `null` means the process ignores them. @default 0 */
  exitCodeOnTerm?: number | null;
  /** Milliseconds between SIGTERM/SIGINT and the exit. @default 0 */
  stopDelayMs?: number;
  /** Plays the commands `exec()` runs (see {@link FakeContainer.execHandler}). */
  execHandler?: ExecHandler;
  /** Whether the image has `/bin/sh`; without it every `exec()` fails as the runtime's does. @default true */
  hasShell?: boolean;
}

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

/** One start of the fake container. */
interface FakeProcess {
  readonly startedAt: number;
  readonly options: RuntimeStartOptions;
  alive: boolean;
  /** How it ended (`undefined` while alive or after a clean exit). */
  error: Error | undefined;
}

/** A pending `monitor()` call. */
interface MonitorWaiter {
  generation: number;
  process: FakeProcess;
  resolve(): void;
  reject(error: Error): void;
}

/** What the fake saw: requests the library sent to container ports. */
export interface FakeRequestRecord {
  port: number;
  method: string;
  url: string;
}

/** The fake runtime. Tests drive it through its public fields and methods. */
export class FakeContainer implements ContainerRuntime {
  /** Servers by port; add, replace or delete to change what listens. */
  readonly ports = new Map<number, PortHandler>();
  /** See {@link FakeContainerOptions.listenDelayMs}. */
  listenDelayMs: number | Record<number, number> = 0;
  /** See {@link FakeContainerOptions.instanceDelayMs}. */
  instanceDelayMs = 0;
  /** See {@link FakeContainerOptions.exitCodeOnTerm}. */
  exitCodeOnTerm: number | null = 0;
  /** See {@link FakeContainerOptions.stopDelayMs}. */
  stopDelayMs = 0;
  /** Errors the next `start()` calls throw, in order. */
  readonly startErrors: Error[] = [];
  /**
   * Errors the next launched processes fail with at once, in order: `start()`
   * returns, the process never runs, no port is reachable and `monitor()`
   * rejects with the error. Plays the runtime's "Container failed to start",
   * a rate-limited start or one with no instance to give; a start after the
   * list is used up launches normally.
   *
   * @example
   * ```ts
   * // No instance for the first two starts, then one.
   * fake.launchFailures.push(
   *   new Error("there is no container instance that can be provided to this durable object"),
   *   new Error("there is no container instance that can be provided to this durable object"),
   * );
   * ```
   */
  readonly launchFailures: Error[] = [];
  /**
   * Plays each command `exec()` runs: returns what the process writes and
   * how it exits. Commands it leaves (`undefined`), or all of them when
   * unset, exit 127 with `sh: 1: <program>: not found` on stderr. The
   * process ends once its output has been read to the end and `runMs` has
   * passed, or when killed (exit 128 + signal); like the runtime's, it does
   * not end while its stdout or stderr is left unread. Stopping the
   * container kills its commands (exit 137).
   *
   * @example
   * ```ts
   * fake.execHandler = (cmd, options) => {
   *   if (cmd[0] === "cat") return { stdout: options.stdin };
   *   if (cmd.join(" ") === "ls /app") return { stdout: "index.js\n" };
   *   if (cmd[0] === "sleep") return { runMs: Number(cmd[1]) * 1000 };
   *   return undefined; // exit 127, "not found"
   * };
   * ```
   */
  execHandler: ExecHandler | undefined;
  /** See {@link FakeContainerOptions.hasShell}: `false` plays an image without `/bin/sh`. */
  hasShell = true;
  /** Every `exec()` that started a process, in order. */
  readonly execCalls: FakeExecRecord[] = [];

  /** Options of every `start()` that launched a process. */
  readonly starts: RuntimeStartOptions[] = [];
  /** Signals received, in order. */
  readonly signals: number[] = [];
  /** How many times `destroy()` was called. */
  destroys = 0;
  /** Requests that reached a listening port (probes included). */
  readonly requests: FakeRequestRecord[] = [];
  /** Outbound interception registered by the library. */
  readonly intercepts = {
    /** `interceptOutboundHttp(host, fetcher)`, by host. */
    http: new Map<string, Fetcher>(),
    /** `interceptAllOutboundHttp(fetcher)`, the last one. */
    all: undefined as Fetcher | undefined,
    /** `interceptOutboundHttps(host, fetcher)`, by host (`"*"`: all). */
    https: new Map<string, Fetcher>(),
    /** How many registrations were made, all kinds together. */
    count: 0,
  };
  /**
   * Answers outbound requests that nothing intercepts when the process may
   * reach the internet. The default echoes `internet:<url>`.
   */
  internet: (request: Request) => Response | Promise<Response> = (request) => new Response(`internet:${request.url}`);
  /**
   * HTTPS interception, present on newer runtimes; set to `undefined` to
   * play an older runtime that lacks it.
   */
  interceptOutboundHttps?: (host: string, fetcher: Fetcher) => Promise<void> = async (host, fetcher) => {
    this.intercepts.https.set(host, fetcher);
    this.intercepts.count++;
  };

  #process: FakeProcess | undefined;
  #waiters: MonitorWaiter[] = [];
  readonly #execs = new Set<FakeExecRun>();
  #nextPid = 100;
  // Bumped each time a new instance of the Durable Object adopts this fake:
  // monitor() calls of an evicted instance never settle, as with the runtime.
  #generation = 0;

  constructor(options: FakeContainerOptions = {}) {
    for (const [port, handler] of Object.entries(options.ports ?? {})) this.ports.set(Number(port), handler);
    if (options.listenDelayMs !== undefined) this.listenDelayMs = options.listenDelayMs;
    if (options.instanceDelayMs !== undefined) this.instanceDelayMs = options.instanceDelayMs;
    if (options.exitCodeOnTerm !== undefined) this.exitCodeOnTerm = options.exitCodeOnTerm;
    if (options.stopDelayMs !== undefined) this.stopDelayMs = options.stopDelayMs;
    this.execHandler = options.execHandler;
    if (options.hasShell !== undefined) this.hasShell = options.hasShell;
  }

  // --- The runtime API ------------------------------------------------------------

  get running(): boolean {
    return this.#process?.alive === true;
  }

  start(options: RuntimeStartOptions = {}): void {
    if (this.running) throw new Error("start() cannot be called on a container that is already running.");
    const error = this.startErrors.shift();
    if (error) throw error;
    this.starts.push(structuredClone(options));
    const failure = this.launchFailures.shift();
    this.#process = { startedAt: Date.now(), options, alive: failure === undefined, error: failure };
  }

  monitor(): Promise<void> {
    const process = this.#process;
    if (!process) return Promise.reject(new Error("monitor() was called before the container was started."));
    if (!process.alive) return process.error ? Promise.reject(process.error) : Promise.resolve();
    // A promise per call, created in the caller's context (as the runtime does).
    return new Promise<void>((resolve, reject) => {
      this.#waiters.push({ generation: this.#generation, process, resolve, reject });
    });
  }

  async destroy(reason?: unknown): Promise<void> {
    this.destroys++;
    this.#end(reason === undefined ? exitError(137) : reason instanceof Error ? reason : new Error(String(reason)));
  }

  signal(signo: number): void {
    this.signals.push(signo);
    if (!this.running) return;
    if (signo === 9) {
      this.exit(137);
      return;
    }
    if ((signo === 15 || signo === 2) && this.exitCodeOnTerm !== null) {
      const process = this.#process!;
      const code = this.exitCodeOnTerm;
      if (this.stopDelayMs <= 0) {
        this.exit(code);
        return;
      }
      setTimeout(() => {
        if (this.#process === process) this.exit(code);
      }, this.stopDelayMs);
    }
  }

  getTcpPort(port: number): RuntimeTcpPort {
    return { fetch: (input, init) => this.#fetch(port, input, init) };
  }

  async interceptOutboundHttp(host: string, fetcher: Fetcher): Promise<void> {
    this.intercepts.http.set(host, fetcher);
    this.intercepts.count++;
  }

  async interceptAllOutboundHttp(fetcher: Fetcher): Promise<void> {
    this.intercepts.all = fetcher;
    this.intercepts.count++;
  }

  /** Run a command as {@link execHandler} says; rejects as the runtime does when nothing is running. */
  async exec(cmd: string[], options: RuntimeExecOptions = {}): Promise<FakeExecProcess> {
    if (!this.running) throw new Error("exec() cannot be called on a container that is not running");
    const process = this.#process!;
    const pipe = options.stdin === "pipe" ? new TransformStream<Uint8Array, Uint8Array>() : undefined;
    const stdin = pipe ? pipe.readable : (options.stdin as ReadableStream<Uint8Array> | undefined);
    const { stdin: _stdin, signal: _signal, ...recorded } = options;
    const seen: FakeExecOptions = { ...recorded };
    if (stdin) seen.stdin = stdin;
    const behaviour = this.hasShell
      ? ((await this.execHandler?.([...cmd], seen)) ?? notFound(cmd[0] ?? ""))
      : { stdout: NO_SHELL_OUTPUT, exitCode: 126 };
    if (!process.alive) throw new Error("exec() cannot be called on a container that is not running");
    const record: FakeExecRecord = {
      pid: this.#nextPid++,
      cmd: [...cmd],
      options: structuredClone(recorded),
      hasStdin: options.stdin !== undefined,
      kills: [],
      exitCode: undefined,
    };
    this.execCalls.push(record);
    const run = new FakeExecRun(record, behaviour, options, pipe?.writable ?? null, (ended) => {
      this.#execs.delete(ended);
    });
    this.#execs.add(run);
    run.begin();
    return run.process;
  }

  // --- Test controls --------------------------------------------------------------

  /**
   * Play the container's side of an outbound request: it goes to the fetcher
   * registered for its host (or for all traffic), else to {@link internet}
   * when the process may reach it, else it fails as a connection error.
   * Call it inside the object (`runInDurableObject`).
   */
  async outbound(input: string | URL, init?: RequestInit): Promise<Response> {
    if (!this.running) throw new Error("outbound(): the container is not running");
    const request = new Request(input, init);
    const url = new URL(request.url);
    const fetcher =
      url.protocol === "https:"
        ? (this.intercepts.https.get(url.hostname) ?? this.intercepts.https.get("*"))
        : (this.intercepts.http.get(url.hostname) ?? this.intercepts.all);
    if (fetcher) return fetcher.fetch(request);
    if (this.#process!.options.enableInternet === false) {
      throw new Error(`connect(): network is unreachable for ${url.host} (internet disabled)`);
    }
    return this.internet(request);
  }

  /** The current process ends with `code` (0 resolves `monitor()`, others reject it). */
  exit(code = 0): void {
    this.#end(code === 0 ? undefined : exitError(code));
  }

  /** The runtime stops the process ("runtime signalled the container to exit: <code>"). */
  runtimeSignal(code: number): void {
    this.#end(new Error(`Runtime signalled the container to exit: ${code}`));
  }

  /** `monitor()` rejects with an arbitrary error and the process is gone. */
  crash(error: Error): void {
    this.#end(error);
  }

  /**
   * The process disappears behind the runtime's back (removed by hand, lost
   * with its host): `running` turns false but pending `monitor()` calls never
   * settle, as when the runtime lost track of it.
   */
  vanish(): void {
    const process = this.#process;
    if (!process?.alive) return;
    process.alive = false;
    this.#waiters = this.#waiters.filter((waiter) => waiter.process !== process);
  }

  /** A new instance of the Durable Object took over (see {@link installFakeContainer}). */
  adopt(): void {
    this.#generation++;
  }

  /** Options of the running process, if any. */
  get current(): RuntimeStartOptions | undefined {
    return this.running ? this.#process!.options : undefined;
  }

  // --- Internals ----------------------------------------------------------------

  #end(error: Error | undefined): void {
    const process = this.#process;
    if (!process?.alive) return;
    process.alive = false;
    process.error = error;
    for (const run of [...this.#execs]) run.stop();
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) {
      if (waiter.generation !== this.#generation || waiter.process !== process) continue;
      if (error) waiter.reject(error);
      else waiter.resolve();
    }
  }

  async #fetch(port: number, input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    const process = this.#process;
    if (!process?.alive) throw new Error("The container is not running, consider calling start()");
    // Let the caller's code run first, as real network I/O would.
    await Promise.resolve();
    const elapsed = Date.now() - process.startedAt;
    if (elapsed < this.instanceDelayMs) throw new Error(RUNTIME_MESSAGES.noInstance);
    const handler = this.ports.get(port);
    if (!handler || elapsed < this.#listenDelay(port)) {
      throw new Error(`connect(): ${RUNTIME_MESSAGES.notListening} on port ${port}`);
    }
    const request = new Request(input, init);
    if (request.signal.aborted) throw request.signal.reason;
    this.requests.push({ port, method: request.method, url: request.url });
    const response = await handler(request);
    if (!process.alive) throw new Error("Network connection lost.");
    return asNetworkResponse(response);
  }

  #listenDelay(port: number): number {
    return typeof this.listenDelayMs === "number" ? this.listenDelayMs : (this.listenDelayMs[port] ?? 0);
  }
}

/**
 * A body read from a real port is a network stream. A handler's body may be an
 * in-isolate identity stream, which workerd cannot pipe into another identity
 * stream; re-wrapping it makes it behave like the network stream it stands for.
 */
function asNetworkResponse(response: Response): Response {
  if (response.body === null || response.webSocket) return response;
  return new Response(response.body.pipeThrough(new TransformStream()), response);
}

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

function exitError(code: number): Error {
  return new Error(`Container exited with unexpected exit code: ${code}`);
}

const fakes = new Map<string, FakeContainer>();

/**
 * Give a Durable Object's `ctx` a fake `container` (call before `super()` in
 * the constructor). The same fake is returned for the same object id, so a
 * "container" keeps running across evictions, as a real one does.
 *
 * @param configure runs once, when the fake for this id is created
 */
export function installFakeContainer(
  ctx: DurableObjectState,
  configure?: (fake: FakeContainer) => void,
): FakeContainer {
  const key = ctx.id.toString();
  let fake = fakes.get(key);
  if (fake) {
    fake.adopt();
  } else {
    fake = new FakeContainer();
    configure?.(fake);
    fakes.set(key, fake);
  }
  Object.defineProperty(ctx, "container", { value: fake, configurable: true, enumerable: true });
  return fake;
}

/** The fake installed for a Durable Object id, if any. */
export function fakeContainerFor(id: DurableObjectId | string): FakeContainer | undefined {
  return fakes.get(typeof id === "string" ? id : id.toString());
}
