/**
 * @module exec/run
 * One command's life: `runExec` starts it, {@link ExecHandle} is what the
 * caller holds, and {@link CommandLimits} kills it on `timeout` or abort and
 * ends its activity once, however it ends.
 */

import { RpcTarget } from "cloudflare:workers";
import { signalNumber } from "../lifecycle/lifecycle";
import type { ContainerRuntime, RuntimeExecProcess } from "../runtime";
import type { Signal, SignalInteger } from "../types";
import { Drain, EXEC_OUTPUT_MAX_BYTES } from "./drain";
import {
  EXEC_CANNOT_RUN_EXIT_CODE,
  execOutputTooLargeError,
  execRuntimeError,
  execTimeoutError,
  isShellMissingText,
  shellMissingError,
} from "./errors";
import { type ExecRequest, parseExecRequest, runtimeOptions } from "./request";

/** What `output()` gives once the command has ended. */
export interface ExecResult {
  /** Everything written to stdout, decoded as UTF-8. */
  stdout: string;
  /** Everything written to stderr, decoded as UTF-8 (empty with `stderr: "combined"` or `"ignore"`). */
  stderr: string;
  exitCode: number;
}

/** Counts the command as activity: `begin()` returns the function that ends it. */
export interface ExecActivity {
  begin(): () => void;
}

/**
 * Run `cmd` in the running container: checks the call, counts it as
 * activity until it ends, and returns a handle once the process started.
 * Does not start the container (`Container.exec` does, unless `wake: false`).
 *
 * @param runtime the runtime's container handle; must have `exec()`
 * @param activity `begin()` is called before the runtime is asked, its
 *   returned function exactly once when the command ends (exit, kill,
 *   timeout, abort or a failure to start)
 * @throws TypeError / RangeError on bad input (nothing runs);
 *   `ContainerNotRunningError`; `ExecShellMissingError`;
 *   `ContainerTimeoutError` on timeout; the abort reason on abort
 *
 * @example
 * ```ts
 * const run = await runExec(runtime, ["ls", "-la", "/app"], { timeout: 5_000 }, activity);
 * const { stdout, exitCode } = await run.output();
 * ```
 */
export async function runExec(
  runtime: ContainerRuntime,
  cmd: unknown,
  options: unknown,
  activity: ExecActivity,
): Promise<ExecHandle> {
  return runExecRequest(runtime, parseExecRequest(cmd, options), activity);
}

/** {@link runExec} for a call already checked with `parseExecRequest` (`Container.exec` checks before waking). */
export async function runExecRequest(
  runtime: ContainerRuntime,
  request: ExecRequest,
  activity: ExecActivity,
): Promise<ExecHandle> {
  if (typeof runtime.exec !== "function") {
    throw new Error(
      "exec is not available: this runtime's ctx.container has no exec(). Update wrangler/workerd to a version " +
        "whose container API has exec().",
    );
  }
  if (request.signal?.aborted) throw request.signal.reason;
  const limits = new CommandLimits(request, activity.begin());
  // In a then(): a runtime that throws at once fails the same way as one that rejects.
  const started = Promise.resolve().then(() => runtime.exec!([...request.cmd], runtimeOptions(request)));
  // Whenever the process comes, a timeout or abort (before or after that) kills it.
  started.then(
    (process) => limits.onFail(() => abandon(process)),
    () => undefined,
  );
  let process: RuntimeExecProcess;
  try {
    process = await Promise.race([limits.failed, started]);
  } catch (error) {
    limits.end();
    throw limits.isFailure(error) ? error : execRuntimeError(request.cmd, error);
  }
  return new ExecHandle(process, request.cmd, limits);
}

/**
 * A running command, in the shape of the runtime's own `ExecProcess`. Read
 * it one of two ways: `output()` for everything at the end, or the `stdout`
 * and `stderr` streams as the command writes them, with `exitCode`. What
 * nobody reads is drained, so the command always ends. An `RpcTarget`: a
 * Durable Object stub passes it by reference, and it keeps running in the
 * object.
 */
export class ExecHandle extends RpcTarget {
  readonly #process: RuntimeExecProcess;
  readonly #cmd: readonly string[];
  readonly #limits: CommandLimits;
  readonly #stdout: Drain;
  readonly #stderr: Drain;
  readonly #exitCode: Promise<number>;
  #output: Promise<ExecResult> | undefined;

  /** Made by {@link runExec} once the process started. @internal */
  constructor(process: RuntimeExecProcess, cmd: readonly string[], limits: CommandLimits) {
    super();
    this.#process = process;
    this.#cmd = cmd;
    this.#limits = limits;
    // output() keeps everything, up to a bound: past it the command is killed rather than the object's memory.
    const overflow = (name: "stdout" | "stderr") => () =>
      limits.fail(execOutputTooLargeError(cmd, name, EXEC_OUTPUT_MAX_BYTES));
    const stdout = new Drain("stdout", process.stdout, overflow("stdout"));
    const stderr = new Drain("stderr", process.stderr, overflow("stderr"));
    this.#stdout = stdout;
    this.#stderr = stderr;
    limits.onFail((error) => {
      stdout.fail(error);
      stderr.fail(error);
    });
    const exited = process.exitCode.then(
      (code) => {
        limits.end();
        return this.#checkRan(code);
      },
      (error: unknown) => {
        limits.end();
        throw execRuntimeError(cmd, error);
      },
    );
    this.#exitCode = Promise.race([limits.failed, exited]);
    this.#exitCode.catch(() => undefined);
  }

  /** The process id inside the container. */
  get pid(): number {
    return this.#process.pid;
  }

  /**
   * The command's stdout as it arrives. The first access takes it (later ones give the same stream).
   * @throws after `output()`, or once the command timed out or was aborted
   */
  get stdout(): ReadableStream<Uint8Array> {
    return this.#stdout.stream();
  }

  /**
   * The command's stderr as it arrives (ends at once with `stderr: "combined"` or `"ignore"`).
   * The first access takes it (later ones give the same stream).
   * @throws after `output()`, or once the command timed out or was aborted
   */
  get stderr(): ReadableStream<Uint8Array> {
    return this.#stderr.stream();
  }

  /** The exit code once the command ended; rejects on timeout, abort or a command that could not run. */
  get exitCode(): Promise<number> {
    return this.#exitCode;
  }

  /**
   * Both streams in full and the exit code, once the command ended; the same promise on every call.
   * Rejects as `exitCode` does, and when the `stdout` or `stderr` stream was taken.
   */
  output(): Promise<ExecResult> {
    this.#output ??= this.#collect();
    return this.#output;
  }

  /**
   * Send a signal to the command; nothing once it ended.
   * @throws RangeError on a signal that is not `"SIGTERM"`, `"SIGINT"`, `"SIGKILL"` or 1–64
   */
  kill(signal: Signal | SignalInteger = "SIGTERM"): void {
    const signo = signalNumber(signal);
    if (!this.#limits.ended) this.#process.kill(signo);
  }

  /** Exit 126 with the runtime's "no /bin/sh" text means the command never ran. */
  async #checkRan(code: number): Promise<number> {
    if (code !== EXEC_CANNOT_RUN_EXIT_CODE) return code;
    const heads = await Promise.all([this.#stdout.head(), this.#stderr.head()]);
    const text = heads.find(isShellMissingText);
    if (text !== undefined) throw shellMissingError(this.#cmd, text);
    return code;
  }

  async #collect(): Promise<ExecResult> {
    Drain.claimForOutput([this.#stdout, this.#stderr]);
    const [out, err, exitCode] = await Promise.all([this.#stdout.collect(), this.#stderr.collect(), this.#exitCode]);
    const decoder = new TextDecoder();
    return { stdout: decoder.decode(out), stderr: decoder.decode(err), exitCode };
  }
}

/**
 * The `timeout` and abort signal of one command, and its end: a timeout or
 * abort fails it (its listeners kill the process and error its streams);
 * {@link CommandLimits.end}, reached on every path, clears both and ends the activity once.
 */
export class CommandLimits {
  /** Rejects with the timeout or abort error, if one comes first; never resolves. */
  readonly failed: Promise<never>;
  #reject!: (error: unknown) => void;
  readonly #clear: () => void;
  #failure: { error: unknown } | undefined;
  #listeners: Array<(error: unknown) => void> = [];
  #ended = false;

  constructor(request: ExecRequest, endActivity: () => void) {
    this.failed = new Promise<never>((_resolve, reject) => {
      this.#reject = reject;
    });
    this.failed.catch(() => undefined);
    const { cmd, timeoutMs, signal } = request;
    const timer =
      timeoutMs === undefined ? undefined : setTimeout(() => this.fail(execTimeoutError(cmd, timeoutMs)), timeoutMs);
    const onAbort = () => this.fail(signal?.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    this.#clear = () => {
      if (timer !== undefined) clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      endActivity();
    };
  }

  /** Whether the command is over (ended, killed, timed out, aborted or failed to start). */
  get ended(): boolean {
    return this.#ended;
  }

  /** Whether `error` is the timeout or abort error that ended the command. */
  isFailure(error: unknown): boolean {
    return this.#failure !== undefined && this.#failure.error === error;
  }

  /** Call `listener` with the timeout or abort error when it comes, or now if it came. */
  onFail(listener: (error: unknown) => void): void {
    if (this.#failure) listener(this.#failure.error);
    else if (!this.#ended) this.#listeners.push(listener);
  }

  /** The command is over: stop the timer and the abort listener, end the activity (once). */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#listeners = [];
    this.#clear();
  }

  /** End the command with `error` (timeout, abort, output over its bound): kill it, fail its readers. */
  fail(error: unknown): void {
    if (this.#ended) return;
    this.#failure = { error };
    for (const listener of this.#listeners) listener(error);
    this.#reject(error);
    this.end();
  }
}

/** Kill a process whose outcome no longer matters. */
function abandon(process: RuntimeExecProcess): void {
  try {
    process.kill(9);
  } catch {
    // Already gone.
  }
}
