/**
 * @module lifecycle/lifecycle
 * Starting, readiness, stopping and exit handling of the container process.
 * One {@link Lifecycle} per Durable Object instance; it talks to the runtime
 * and to the owning `Container` only through a narrow {@link LifecycleHost}.
 */

import { SIGNAL_NUMBERS } from "../constants";
import { ContainerAbortedError, ContainerTimeoutError, classifyRuntimeError, messageOf } from "../errors";
import type { ActivityTracker } from "../activity";
import { abortError, pollUntilReady, raceAbort, settleWithin, sleep, type ProbeResult } from "../readiness";
import type { ContainerRuntime, RuntimeStartOptions } from "../runtime";
import type { OutboundController } from "../outbound/controller";
import type { ContainerEvent } from "../events";
import type { ContainerStartConfigOptions, Signal, SignalInteger, StopParams } from "../types";
import type { StateStore } from "./state";
import type { Supervisor } from "./supervisor";
import { watchExit, type ExitOutcome } from "./monitor";
import type { ResolvedConfig } from "../config";
import type { ReadinessCheck } from "../readiness-checks";
import { runReadinessChecks } from "./checks";
import { imageStartError, resolveImage, runtimeImages } from "./images";
import { runtimeStartOptions, waitBudget, type WaitBudget } from "./start";
import { type DiskPersistence, RestoreFailedError, restoredIds, withoutRestore } from "./persist";

/** What the lifecycle needs from its `Container`. */
export interface LifecycleHost {
  readonly runtime: ContainerRuntime;
  readonly state: StateStore;
  readonly activity: ActivityTracker;
  /** The resolved, validated fields (throws naming a bad one). */
  config(): ResolvedConfig;
  /** Registers outbound interception with the runtime before each start. */
  readonly outbound: Pick<OutboundController, "apply">;
  /** Counts each start, decides after each exit, and says what is due at an alarm. */
  readonly supervisor: Pick<Supervisor, "noteLaunch" | "afterExit" | "due" | "restartFailed">;
  /** Whether the class asks for `persistDisk` (read alone, so other fields are not checked on a stop). */
  persistRequested(): boolean;
  /** `persistDisk`: the stored snapshot a start restores, and taking a new one before a stop. */
  readonly persistence: Pick<DiskPersistence, "withRestore" | "take">;
  /** Deliver a lifecycle event (errors are the host's to swallow). */
  emit(event: ContainerEvent): void;
  /** After a launch: make sure the alarm fires by the idle deadline. */
  armIdleTimer(): Promise<void>;
  blockConcurrencyWhile<T>(callback: () => Promise<T>): Promise<T>;
  /**
   * Reset the Durable Object (`ctx.abort`). In workerd this throws and ends
   * the instance; the next request gets a fresh one.
   */
  resetObject(reason: string): void;
  /** The Container's hooks (a subclass's overrides included). */
  readonly hooks: LifecycleHooks;
}

/**
 * The hooks the lifecycle calls, on the Container itself, and the public
 * methods it goes through so that a subclass's overrides of them run.
 */
export interface LifecycleHooks {
  onStart(): void | Promise<void>;
  onStop(params: StopParams): void | Promise<void>;
  onError(error: unknown): unknown;
  stop(): Promise<void>;
  destroy(): Promise<void>;
}

/**
 * One launch of a process: whether the restart policy asked for it, and when
 * it began. The `start` event, the run's uptime and the hard timeout all
 * count from that one `at`, so their figures agree with each other.
 */
export interface Launch {
  readonly restart: boolean;
  /** ms since the epoch, taken before any of the launch's work. */
  readonly at: number;
}

/** One container process, from start to exit. */
interface Run {
  /** When this instance launched it (`undefined`: adopted after a restart of the object). */
  readonly startedAt: number | undefined;
  /** stop() or destroy() asked for the exit. */
  stopRequested: boolean;
  /** `onStart` has run for this process. */
  started: boolean;
  /** Every port waited for so far was ready. */
  healthy: boolean;
  /** The library killed it because it never became ready. */
  failedStart: boolean;
  /** Exit handled (state written, `onStop` called). */
  ended: boolean;
  /** Why the runtime never ran the process, when it says so. */
  startError?: unknown;
  /** The image the start asked for, when not the default one. */
  image?: string;
  /** The `persistDisk` snapshot taken before its stop (one per process). */
  snapshotting?: Promise<void>;
  /** The pass over `readyOn`'s checks, shared by every caller waiting on this process. */
  checking?: Promise<void>;
  /** When that pass gives up: the latest deadline among the callers waiting on it. */
  checkDeadline?: number;
  /** Errors already handled by a failed start (recorded, reported), so none is reported twice. */
  handled?: WeakSet<object>;
  /** Settles once the exit is handled. */
  readonly done: Promise<void>;
  /** Settle `done` (the monitor reported, or the run was closed out without it). */
  readonly markDone: () => void;
}

/** Drives the container process for one Durable Object. */
export class Lifecycle {
  readonly #host: LifecycleHost;
  #run: Run | undefined;
  #starting: Promise<Run> | undefined;
  /** Counts stop()/destroy() calls, so a start waiting to retry sees one that came meanwhile. */
  #stopsAsked = 0;
  /** The options of the last start asked for; a restart uses them again. */
  #lastStartOptions: ContainerStartConfigOptions | undefined;
  #reconciling: Promise<void> | undefined;
  /** The `persistDisk` snapshot being taken before a stop, shared by concurrent stops. */

  constructor(host: LifecycleHost) {
    this.#host = host;
  }

  /** Whether the process is running and the last readiness wait succeeded. */
  get isHealthy(): boolean {
    const run = this.#run;
    // With persistDisk, a process being stopped serves no more requests: they wait for its exit and
    // get a fresh container with the new snapshot (work sent to it now would be lost).
    if (run?.stopRequested && this.#host.persistRequested()) return false;
    return this.#host.runtime.running && run?.healthy === true;
  }

  /**
   * Make the persisted state agree with the runtime. Runs when the Durable
   * Object (re)starts and on every `getState()`:
   * - the runtime runs a process nobody here watches (an earlier instance of
   *   the object started it, or an eviction raced a start): watch it, once,
   *   and record `running` where storage said `stopped`;
   * - storage says a process runs but the runtime has none (it ended while
   *   nobody watched, or vanished without the runtime reporting an exit):
   *   close the run out, `stopped`, `onStop` once.
   * A start in progress owns the state; nothing is changed under it.
   * Concurrent calls share one pass, so a run is closed out once.
   */
  reconcile(): Promise<void> {
    this.#reconciling ??= this.#reconcileOnce().finally(() => {
      this.#reconciling = undefined;
    });
    return this.#reconciling;
  }

  async #reconcileOnce(): Promise<void> {
    if (this.#starting) return;
    const { runtime, state } = this.#host;
    const watched = this.#run && !this.#run.ended ? this.#run : undefined;
    if (runtime.running) {
      if (watched) return;
      const stored = await state.get();
      if (runtime.running && !this.#starting && !(this.#run && !this.#run.ended)) {
        const run = this.#watch(undefined);
        run.healthy = stored.status === "healthy";
        run.started = true; // not launched by this instance: its onStart is not ours to call
        if (stored.status.startsWith("stopped")) await state.set("running");
      }
      return;
    }
    if (watched) {
      await this.#closeOutVanished(watched);
      return;
    }
    const stored = await state.get();
    if (
      !runtime.running &&
      !this.#starting &&
      (stored.status === "running" || stored.status === "healthy" || stored.status === "stopping")
    ) {
      // The process ended while no instance was watching it: close it out once.
      await state.set("stopped");
      await this.#callOnStop({ exitCode: UNKNOWN_EXIT_CODE_CLOSED_OUT, reason: "exit" });
    }
  }

  /**
   * Start the process if needed and wait until the runtime gives it an
   * instance (a probe of `instancePort` gets any answer). Concurrent callers
   * share one start. Bad options are refused before anything is recorded,
   * even when the container already runs and nothing would start.
   */
  async start(
    startOptions: ContainerStartConfigOptions | undefined,
    instancePort: number,
    budget: WaitBudget,
    launch: { restart: boolean; implicit?: boolean } = { restart: false },
  ): Promise<void> {
    await this.#afterStopping(budget.signal);
    const options = this.#runtimeOptions(this.#host.config(), startOptions);
    // A restart, or a start another call needed (exec), keeps the options of the last start asked for;
    // so does a call that joins a start in progress or finds the container running (its options are unused).
    if (!launch.restart && !launch.implicit && this.#launches()) this.#lastStartOptions = startOptions;
    const run = await this.#sharedStart(options, instancePort, budget, launch);
    await this.#notifyStarted(run);
  }

  /** Start if needed, wait for every port, mark healthy, then `onStart`. */
  async startAndWait(
    startOptions: ContainerStartConfigOptions | undefined,
    ports: number[],
    budget: WaitBudget,
  ): Promise<void> {
    await this.#afterStopping(budget.signal);
    const config = this.#host.config();
    const options = this.#runtimeOptions(config, startOptions);
    // A request's implicit start (no options) keeps those of an explicit start for restarts.
    if (startOptions && this.#launches()) this.#lastStartOptions = startOptions;
    const run = await this.#sharedStart(options, ports[0] ?? config.instancePort, budget, { restart: false });
    try {
      const waits: Promise<unknown>[] = ports.map((port) => {
        const probe = config.probeFor(port);
        return this.#pollPort(run, port, probe.url, probe.accept, budget, budget.signal);
      });
      const checks = config.readinessChecks;
      if (checks) {
        // One pass per process, whoever asks, lasting as long as the longest budget among them;
        // each caller stops waiting on its own abort. The pass handles its own failure, so a
        // caller that gave up never leaves a failed container running.
        run.checkDeadline = Math.max(run.checkDeadline ?? 0, budget.portDeadline);
        run.checking ??= this.#runChecks(run, checks, config, budget).catch(async (error: unknown) => {
          run.checking = undefined;
          await this.#failStart(run, error);
          throw error;
        });
        waits.push(raceAbort(run.checking, budget.signal));
      }
      await Promise.all(waits);
    } catch (error) {
      await this.#failStart(run, error);
      throw error;
    }
    if (run.ended) throw new Error("The container exited while its ports were being checked.");
    if (!run.healthy) {
      run.healthy = true;
      await this.#host.blockConcurrencyWhile(async () => {
        await this.#host.state.set("healthy");
      });
      const at = Date.now();
      this.#host.emit({ type: "ready", at, ports, startupMs: run.startedAt === undefined ? 0 : at - run.startedAt });
    }
    await this.#notifyStarted(run);
  }

  /**
   * Send `signal` to a running process (state becomes `stopping`); with
   * `persistDisk`, snapshot it first, while it still runs.
   */
  async stop(signal: Signal | SignalInteger = "SIGTERM"): Promise<void> {
    const signo = signalNumber(signal);
    // Marked as asked for first: an exit during the snapshot is a requested one (no restart).
    const run = await this.#beginStop();
    if (!run) return;
    await this.#snapshotBeforeStop(run);
    if (this.#host.runtime.running && !run.ended) this.#host.runtime.signal(signo);
  }

  /**
   * `persistDisk`: snapshot the running container and store it as the latest
   * good one, once per process (a second stop, after the signal, takes none).
   * A failure (or a bad `persistDisk`) is reported, and the stop goes ahead:
   * the previous snapshot is kept, so nothing is lost that was not lost
   * already. A class without the field reads no other configuration here.
   */
  #snapshotBeforeStop(run: Run): Promise<void> {
    if (!this.#host.runtime.running || !this.#host.persistRequested()) return Promise.resolve();
    run.snapshotting ??= (async () => {
      let failure: unknown;
      try {
        const persist = this.#host.config().persist;
        if (persist) failure = await this.#host.persistence.take(persist);
      } catch (error) {
        failure = error;
      }
      if (failure !== undefined) await this.#reportError(failure);
    })();
    return run.snapshotting;
  }

  /** Kill the process now and wait for its exit to be handled. */
  async destroy(): Promise<void> {
    const run = await this.#beginStop();
    if (!run) return;
    await this.#host.runtime.destroy();
    // The exit follows the kill at once; the bound only guards against a
    // runtime whose monitor() never settles.
    await settleWithin(run.done, DESTROY_EXIT_WAIT_MS);
  }

  /**
   * Mark the running process's coming exit as asked for and record
   * `stopping`. With nothing running, waits for a pending exit's handling and
   * returns `undefined`.
   */
  async #beginStop(): Promise<Run | undefined> {
    this.#stopsAsked++;
    if (!this.#host.runtime.running) {
      const run = this.#run;
      if (run && !run.ended) await this.#closeOutVanished(run);
      else await run?.done;
      return undefined;
    }
    this.#run ??= this.#watch(undefined);
    const run = this.#run;
    run.stopRequested = true;
    await this.#host.state.set("stopping");
    return run;
  }

  /**
   * Poll one port, as the public `waitForPort` does. Returns the attempts it
   * took; on failure calls `onError` (its own throw ignored) and rethrows.
   */
  async waitForPort(port: number, deadline: number, intervalMs: number, signal?: AbortSignal): Promise<number> {
    try {
      return await pollUntilReady(this.#host.runtime, port, this.#host.config().pingUrl, {
        deadline,
        maxIntervalMs: intervalMs,
        signal,
        what: `Port ${port}`,
        headline: `Failed to verify port ${port} is available`,
        giveUp: (result) =>
          this.#host.runtime.running
            ? undefined
            : new Error(
                `The container is not running while waiting for port ${port}: did it start, ` +
                  `and does its entrypoint keep running? (${messageOf(result.error)})`,
                { cause: result.error },
              ),
      });
    } catch (error) {
      await this.#reportError(error);
      throw error;
    }
  }

  /**
   * Carry out what the supervisor says is due at an alarm: the hard timeout
   * (stop, then kill: through the public methods, so a subclass's cleanup
   * runs) or a restart with the last start's options.
   */
  async supervise(): Promise<void> {
    const action = await this.#host.supervisor.due();
    if (action === "stop") await this.#host.hooks.stop();
    else if (action === "kill") await this.#host.hooks.destroy();
    else if (action === "restart") {
      let launched = false;
      try {
        const config = this.#host.config();
        const options = this.#runtimeOptions(config, this.#lastStartOptions);
        launched = true;
        const run = await this.#sharedStart(options, config.instancePort, waitBudget(), { restart: true });
        await this.#notifyStarted(run);
      } catch (error) {
        // A start that ran has reported its error (onError) and, if it caused an exit, fed the policy;
        // fields refused before anything ran are reported here. Either way the attempt counts.
        if (!launched) await this.#reportError(error);
        console.error("workerd-containers: restart failed:", error);
        await this.#host.supervisor.restartFailed();
      }
    }
  }

  // --- internals ---------------------------------------------------------------

  /**
   * With persistDisk, a start while the process is being stopped waits for its exit, then starts
   * a fresh one that restores the snapshot the stop took.
   */
  async #afterStopping(signal: AbortSignal | undefined): Promise<void> {
    const run = this.#run;
    if (run?.stopRequested && !run.ended && this.#host.persistRequested()) await raceAbort(run.done, signal);
  }

  /** Whether a start now would launch a process (none runs, none is starting). */
  #launches(): boolean {
    return !this.#starting && !this.#host.runtime.running;
  }

  /** Whether a start is in progress (a caller that needs the process should join it). */
  get isStarting(): boolean {
    return this.#starting !== undefined;
  }

  /**
   * The runtime's options for a start (checked), a named image resolved through `runtime.images`,
   * and the stored `persistDisk` snapshot to restore.
   */
  #runtimeOptions(config: ResolvedConfig, startOptions: ContainerStartConfigOptions | undefined): RuntimeStartOptions {
    const options = runtimeStartOptions(config.startDefaults, startOptions);
    if (options.image !== undefined) options.image = resolveImage(options.image, runtimeImages(this.#host.runtime));
    return this.#host.persistence.withRestore(options, config.persist);
  }

  /** The error a failed start that passed a snapshot ends with; `failure` itself otherwise. */
  #restoreFailure(options: RuntimeStartOptions, failure: unknown, stopped = false): unknown {
    const ids = restoredIds(options);
    // A stop or destroy during the start ended it, not the snapshot: never start clean over it.
    if (!ids || stopped || failure instanceof RestoreFailedError) return failure;
    // The runtime having no instance to give, or too many starts, says nothing about the snapshot.
    const kind = classifyRuntimeError(failure).kind;
    if (kind === "no-instance" || kind === "rate-limited") return failure;
    let startClean = false;
    try {
      startClean = this.#host.config().persist?.restoreFailure === "start-clean";
    } catch {
      // The start already read the configuration; a field changed since then fails the start as it is.
    }
    return new RestoreFailedError(ids, failure, startClean);
  }

  /** Poll `port` until it answers (an accepted status, when `accept` is given). */
  #pollPort(
    run: Run,
    port: number,
    url: string,
    accept: ((status: number) => boolean) | undefined,
    budget: WaitBudget,
    signal: AbortSignal | undefined,
  ): Promise<number> {
    return pollUntilReady(this.#host.runtime, port, url, {
      deadline: budget.portDeadline,
      maxIntervalMs: budget.intervalMs,
      signal,
      what: `Port ${port}`,
      headline: `Failed to verify port ${port} is available`,
      accept,
      giveUp: (result) => this.#exitedWhileWaiting(run, result, `port ${port} was ready`),
    });
  }

  /** `readyOn`'s checks for `run` (see {@link runReadinessChecks}), built-in ones polled like its ports. */
  #runChecks(run: Run, checks: readonly ReadinessCheck[], config: ResolvedConfig, budget: WaitBudget): Promise<void> {
    return runReadinessChecks({
      checks,
      config,
      deadline: () => run.checkDeadline ?? budget.portDeadline,
      startedAt: run.startedAt,
      exited: run.done,
      runtime: this.#host.runtime,
      container: this.#host.hooks,
      pollPort: (port, url, accept, deadline) =>
        this.#pollPort(run, port, url, accept, { ...budget, portDeadline: deadline }, undefined),
    });
  }

  #sharedStart(
    options: RuntimeStartOptions,
    instancePort: number,
    budget: WaitBudget,
    launch: { restart: boolean },
  ): Promise<Run> {
    if (budget.signal?.aborted) return Promise.reject(abortError(budget.signal));
    if (this.#run && !this.#run.ended && this.#host.runtime.running && !this.#starting) {
      return Promise.resolve(this.#run);
    }
    // The shared start ignores the first caller's signal: one caller giving
    // up must not cancel the start for the others. Each caller races its own.
    const shared = { ...budget, signal: undefined };
    this.#starting ??= this.#startInstance(options, instancePort, shared, launch).finally(() => {
      this.#starting = undefined;
    });
    return raceAbort(this.#starting, budget.signal);
  }

  async #startInstance(
    options: RuntimeStartOptions,
    instancePort: number,
    budget: WaitBudget,
    launch: { restart: boolean },
  ): Promise<Run> {
    const { runtime } = this.#host;
    let run: Run;
    if (runtime.running) run = this.#run && !this.#run.ended ? this.#run : this.#watch(undefined);
    else {
      try {
        run = await this.#startProcess(options, launch);
      } catch (error) {
        // A restore refused at once: with restoreFailure "start-clean", one start without it.
        if (!(error instanceof RestoreFailedError && error.startsClean)) throw error;
        options = withoutRestore(options);
        run = await this.#startProcess(options, launch);
      }
    }
    let retryDelayMs = budget.intervalMs;
    const stopsAsked = this.#stopsAsked;
    for (;;) {
      try {
        await pollUntilReady(runtime, instancePort, this.#host.config().pingUrl, {
          deadline: budget.instanceDeadline,
          maxIntervalMs: budget.intervalMs,
          signal: budget.signal,
          what: "The container instance",
          headline: "Container did not start",
          giveUp: (result) => {
            // "Not listening" means the instance exists and the process runs.
            if (result.failure.kind === "not-listening" && runtime.running) return "ready";
            if (!run.ended && runtime.running) return undefined;
            return new ProcessGone(result);
          },
        });
        const ids = run.startedAt === undefined ? undefined : restoredIds(options);
        if (ids) this.#host.emit({ type: "restore", at: Date.now(), ids });
        return run;
      } catch (error) {
        let failure = error;
        if (error instanceof ProcessGone) {
          await this.#settleGone(run, error.result);
          // No instance now may mean one later: each try is a fresh start, as
          // in the original, for as long as the instance budget lasts. The
          // gaps grow so the retries themselves are not rate limited.
          const noInstance =
            run.startError !== undefined && classifyRuntimeError(run.startError).kind === "no-instance";
          if (noInstance && Date.now() + retryDelayMs < budget.instanceDeadline) {
            await sleep(retryDelayMs);
            // A stop() or destroy() meanwhile wins: it asked for no container.
            if (this.#stopsAsked !== stopsAsked) {
              failure = new ContainerAbortedError(
                "Container start was cancelled: stop() or destroy() was called while it waited for an instance",
                { cause: run.startError },
              );
              await this.#reportError(failure);
              throw failure;
            }
            retryDelayMs = Math.min(retryDelayMs * 2, NO_INSTANCE_RETRY_MAX_DELAY_MS);
            run = await this.#startProcess(options, launch);
            continue;
          }
          const stopped = run.stopRequested || this.#stopsAsked !== stopsAsked;
          failure = this.#restoreFailure(options, this.#goneError(run, error.result, "it was reachable"), stopped);
          if (failure instanceof RestoreFailedError && failure.startsClean) {
            await this.#failStart(run, failure);
            options = withoutRestore(options);
            run = await this.#startProcess(options, launch);
            continue;
          }
        } else if (lostConnection(error)) {
          // As the original does: a Worker whose connection to the container
          // service is lost stays stuck with it; only a reset reconnects.
          this.#host.resetObject(
            "workerd-containers: the connection to the container service was lost while waiting for an instance; " +
              "resetting the Durable Object so it reconnects from scratch",
          );
        }
        await this.#failStart(run, failure);
        throw failure;
      }
    }
  }

  /** Launch a new process and watch it (adopting one someone else started meanwhile). */
  async #startProcess(options: RuntimeStartOptions, launch: { restart: boolean }): Promise<Run> {
    const { runtime, state, activity } = this.#host;
    // A process that vanished unreported is closed out before the next one starts.
    if (this.#run && !this.#run.ended) await this.#closeOutVanished(this.#run);
    const at = Date.now();
    try {
      await this.#host.outbound.apply(options.enableInternet);
      await this.#host.supervisor.noteLaunch({ restart: launch.restart, at });
      if (!runtime.running) {
        try {
          runtime.start(options);
        } catch (error) {
          throw imageStartError(this.#host.runtime, options.image, error) ?? error;
        }
      }
    } catch (error) {
      if (!runtime.running) {
        const failure = this.#restoreFailure(options, error);
        await this.#reportError(failure);
        throw failure;
      }
      // Started by someone else in between: adopt that process.
    }
    const run = this.#watch(at);
    if (options.image !== undefined) run.image = options.image;
    this.#host.emit({ type: "start", at, restart: launch.restart });
    await state.set("running");
    activity.renew();
    await this.#host.armIdleTimer();
    return run;
  }

  /**
   * `run`'s process went away before it was reachable: give the runtime a
   * moment to report why. When it does not, but the probe that noticed says
   * there was no instance (or the start was rate limited), that is the
   * reason: the run is closed out as never started, so no stop is reported.
   */
  async #settleGone(run: Run, result: Extract<ProbeResult, { ready: false }>): Promise<void> {
    if (await this.#exitReported(run)) return;
    if (result.failure.kind !== "no-instance" && result.failure.kind !== "rate-limited") return;
    await this.#handleExit(run, { kind: "never-started", error: result.error });
    run.markDone();
  }

  /**
   * Wait, a bounded while, for the runtime to report `run`'s exit; whether it
   * did. (Once `ended` is set, how it ended is known: the rest of the
   * handling, `onStop` included, is not waited for.)
   */
  async #exitReported(run: Run): Promise<boolean> {
    if (run.ended) return true;
    await settleWithin(run.done, EXIT_REPORT_GRACE_MS);
    return run.ended;
  }

  /**
   * The runtime no longer runs `run`'s process but its monitor has not
   * reported the exit. It normally does within moments; give it that long,
   * then close the run out without it (`stopped`, `onStop` once), so an
   * object never goes on believing a vanished container is there.
   */
  async #closeOutVanished(run: Run): Promise<void> {
    if (await this.#exitReported(run)) return;
    await this.#handleExit(run, { kind: "exited", params: { exitCode: UNKNOWN_EXIT_CODE_CLOSED_OUT, reason: "exit" } });
    run.markDone();
  }

  /** The error ending a port wait early when the process is gone, else `undefined`. */
  #exitedWhileWaiting(run: Run, result: Extract<ProbeResult, { ready: false }>, until: string): Error | undefined {
    if (result.failure.kind === "no-instance" || result.failure.kind === "rate-limited") return undefined;
    if (!run.ended && this.#host.runtime.running) return undefined;
    const gone = this.#goneError(run, result, until);
    // pollUntilReady throws what giveUp returns; the runtime's errors need not be Errors.
    return gone instanceof Error ? gone : new Error(messageOf(gone), { cause: gone });
  }

  /**
   * Why a start failed whose process is gone: the runtime's own error when it
   * says there was no instance or it was rate limited (its message is what
   * callers and the 503/429 answers go by, as with the original), else a
   * message saying the process never ran or exited, with the cause attached.
   */
  #goneError(run: Run, result: Extract<ProbeResult, { ready: false }>, until: string): unknown {
    if (run.startError !== undefined) {
      const kind = classifyRuntimeError(run.startError).kind;
      if (kind === "no-instance" || kind === "rate-limited") return run.startError;
      const image = imageStartError(this.#host.runtime, run.image, run.startError);
      if (image) return image;
      return new Error(`The runtime could not start the container: ${messageOf(run.startError)}`, {
        cause: run.startError,
      });
    }
    return new Error(`The container exited before ${until}: ${messageOf(result.error)}`, { cause: result.error });
  }

  /** After a failed start: kill a process that never became ready, record, report. */
  async #failStart(run: Run, error: unknown): Promise<void> {
    const { runtime, state } = this.#host;
    // A caller that gave up leaves the process starting for the next caller.
    if (error instanceof ContainerAbortedError) return;
    if (typeof error === "object" && error !== null) {
      run.handled ??= new WeakSet();
      if (run.handled.has(error)) return;
      run.handled.add(error);
    }
    if (!run.ended && runtime.running) {
      // A container that cannot become ready is not left running (and billed).
      run.failedStart = true;
      try {
        await runtime.destroy();
      } catch {
        // It may have exited on its own meanwhile; the exit watcher records it.
      }
    } else if (!run.ended && !runtime.running) {
      await state.set("stopped");
    }
    await this.#reportError(error);
  }

  async #notifyStarted(run: Run): Promise<void> {
    if (run.started) return;
    run.started = true;
    await this.#host.blockConcurrencyWhile(async () => {
      await this.#host.hooks.onStart();
    });
  }

  /** Watch the current process's exit; becomes the current run. */
  #watch(startedAt: number | undefined): Run {
    let markDone!: () => void;
    const done = new Promise<void>((resolve) => (markDone = resolve));
    const run: Run = {
      startedAt,
      stopRequested: false,
      started: false,
      healthy: false,
      failedStart: false,
      ended: false,
      done,
      markDone,
    };
    this.#run = run;
    const runtime = this.#host.runtime;
    void watchExit(() => runtime.monitor())
      .then((outcome) => this.#handleExit(run, outcome))
      .catch((error) => console.error("workerd-containers: handling the container's exit failed:", error))
      .finally(markDone);
    return run;
  }

  async #handleExit(run: Run, outcome: ExitOutcome): Promise<void> {
    if (run.ended) return;
    run.ended = true;
    run.healthy = false;
    const { state, activity } = this.#host;
    if (this.#run === run) activity.clear();
    if (outcome.kind === "never-started") {
      // Nothing ran, so there is no stop to report; the waiting start reports the reason.
      run.startError = outcome.error;
      if (this.#run === run) await state.set("stopped");
      return;
    }
    if (outcome.kind === "failed") await this.#reportError(outcome.error);
    if (this.#run === run) {
      // An exit someone asked for (stop(), destroy(), the idle timer, a
      // failed start) reads `stopped`, whatever its code, as in the original;
      // only an exit nobody asked for keeps a non-zero code in the state.
      // onStop still gets the real code either way.
      if (run.failedStart || run.stopRequested || outcome.kind === "failed") await state.set("stopped");
      else await state.setExited(outcome.params.exitCode);
    }
    const requested = run.stopRequested || run.failedStart;
    const at = Date.now();
    this.#host.emit({
      type: "stop",
      at,
      ...outcome.params,
      requested,
      uptimeMs: run.startedAt === undefined ? undefined : at - run.startedAt,
    });
    await this.#callOnStop(outcome.params);
    if (this.#run === run) await this.#host.supervisor.afterExit({ params: outcome.params, requested });
  }

  async #callOnStop(params: StopParams): Promise<void> {
    try {
      await this.#host.hooks.onStop(params);
    } catch (error) {
      console.error("workerd-containers: onStop threw:", error);
    }
  }

  /** Call `onError`; what it throws (the default rethrows) is not our concern here. */
  async #reportError(error: unknown): Promise<void> {
    this.#host.emit({ type: "error", at: Date.now(), error });
    try {
      await this.#host.hooks.onError(error);
    } catch {
      // The caller rethrows the original error.
    }
  }
}

/**
 * How long a process the runtime no longer runs may go without its monitor
 * reporting the exit before the library closes the run out itself.
 */
const EXIT_REPORT_GRACE_MS = 1_000;

/**
 * Exit code `onStop` gets for a process that ended unobserved (the runtime
 * keeps no code for it): 0 and reason "exit", as for a process that ended
 * while the object was away.
 */
const UNKNOWN_EXIT_CODE_CLOSED_OUT = 0;

/** Longest `destroy()` waits for the exit to be handled after the kill. */
const DESTROY_EXIT_WAIT_MS = 10_000;

/** Longest gap between fresh starts while the runtime has no instance to give. */
const NO_INSTANCE_RETRY_MAX_DELAY_MS = 1_000;

/** Thrown by a `giveUp` callback: the process is gone; the catch works out why. */
class ProcessGone extends Error {
  constructor(readonly result: Extract<ProbeResult, { ready: false }>) {
    super("the container process is gone");
  }
}

/** An instance wait that ran out of time with its last probe's connection lost. */
function lostConnection(error: unknown): boolean {
  return error instanceof ContainerTimeoutError && classifyRuntimeError(error.cause).kind === "connection-lost";
}

/** Map a named or numeric signal to its number. */
export function signalNumber(signal: Signal | SignalInteger): number {
  if (typeof signal === "number") {
    if (!Number.isInteger(signal) || signal < 1 || signal > 64) {
      throw new RangeError(
        `Invalid signal: ${signal}. Expected "SIGTERM", "SIGINT", "SIGKILL" or an integer from 1 to 64.`,
      );
    }
    return signal;
  }
  const number = (SIGNAL_NUMBERS as Record<string, number>)[signal];
  if (number === undefined) {
    throw new RangeError(
      `Invalid signal: ${JSON.stringify(signal)}. Expected "SIGTERM", "SIGINT", "SIGKILL" or an integer from 1 to 64.`,
    );
  }
  return number;
}
