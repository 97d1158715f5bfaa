/**
 * @module core
 * What stands behind a `Container`'s public methods: its collaborators, built
 * and wired once per instance, and the few sequences that span several of
 * them (restoring after the object starts, forwarding a request, one alarm).
 * `container.ts` keeps the public face; each of its methods is one call into
 * this object or one of its collaborators.
 */

import { ActivityTracker } from "./activity";
import { AlarmClock, runAlarmCycle } from "./alarm";
import { ConfigCache, optional, type ConfigFields, type ResolvedConfig, type WebSocketProxyMode } from "./config";
import { ACTIVITY_DEADLINE_KEY, FALLBACK_PORT } from "./constants";
import { ContainerHttpError, messageOf, notRunningError, startFailureToHttpError } from "./errors";
import type { ContainerEvent } from "./events";
import { execWithoutWakeError, parseExecRequest, runExecRequest, type ExecHandle } from "./exec";
import { Lifecycle, type LifecycleHooks } from "./lifecycle/lifecycle";
import { DiskPersistence } from "./lifecycle/persist";
import { portWait, startWait, waitBudget } from "./lifecycle/start";
import { StateStore } from "./lifecycle/state";
import { Supervisor, assertRestartPolicy, type RestartPolicy } from "./lifecycle/supervisor";
import { OutboundConfigStore } from "./outbound/config";
import { OutboundController, type OutboundFields } from "./outbound/controller";
import { registerContainerClass, type OutboundStatics } from "./outbound/registry";
import { assertPort, resolvePortsToWait } from "./ports";
import { isWebSocketUpgrade, proxyHttp, toContainerRequest } from "./proxy/http";
import { proxyWebSocket } from "./proxy/websocket";
import type { ContainerRuntime } from "./runtime";
import { assertReadinessChecks, isHealthy, portResponding, type ReadinessCheck } from "./readiness-checks";
import { ScheduleStore, assertSchedulable, runDueSchedules, scheduleTiming } from "./schedules";
import type {
  CancellationOptions,
  ContainerStartConfigOptions,
  ReadyOn,
  Schedule,
  State,
  StartAndWaitForPortsOptions,
  WaitOptions,
} from "./types";

/** Thrown when the Durable Object has no container configured. */
export const MISSING_CONTAINER_MESSAGE =
  "ctx.container is undefined: containers are not enabled for this Durable Object class. " +
  'Add a "containers" entry for it in your Wrangler configuration (wrangler.jsonc / wrangler.toml: ' +
  '"containers": [{ "class_name": "<YourClass>", "image": "./Dockerfile" }]) and bind the class as a Durable Object. ' +
  "See https://developers.cloudflare.com/containers/get-started/#configuration";

const MISSING_SQL_MESSAGE =
  "This Durable Object class has no SQLite storage, which Container needs for schedules. " +
  'Declare it under "new_sqlite_classes" in the migrations of your Wrangler configuration.';

/**
 * The `Container` as its core sees it: the fields (read when needed, since a
 * subclass assigns them after the base constructor), the hooks, and the
 * public methods a subclass may override, which the core calls rather than
 * bypasses.
 */
export interface CoreOwner extends ConfigFields, OutboundFields, LifecycleHooks {
  readonly enableInternet: boolean;
  readonly restartPolicy?: RestartPolicy;
  inflightRequests: number;
  onEvent(event: ContainerEvent): void | Promise<void>;
  onActivityExpired(): Promise<void | boolean>;
  startAndWaitForPorts(ports: number, cancellationOptions: CancellationOptions): Promise<void>;
  renewActivityTimeout(): void;
  scheduleNextAlarm(): Promise<void>;
}

/** The runtime's container handle, or the error that says how to configure one. */
export function runtimeOf(ctx: DurableObjectState): ContainerRuntime {
  const runtime = ctx.container as ContainerRuntime | undefined;
  if (!runtime) throw new Error(MISSING_CONTAINER_MESSAGE);
  return runtime;
}

/** One Container's collaborators and the sequences that span them. */
export class ContainerCore {
  readonly runtime: ContainerRuntime;
  /** The fields, resolved and validated (re-resolved when one changes). */
  readonly config: ConfigCache;
  readonly state: StateStore;
  readonly activity: ActivityTracker;
  readonly clock: AlarmClock;
  readonly schedules: ScheduleStore;
  readonly outbound: OutboundController;
  readonly supervisor: Supervisor;
  readonly persistence: DiskPersistence;
  readonly lifecycle: Lifecycle;
  readonly #ctx: DurableObjectState;
  readonly #owner: CoreOwner;
  readonly #outboundConfig: OutboundConfigStore;
  /** The base class's prototype: what an override of its public methods is told apart from. */
  readonly #base: CoreOwner;

  /**
   * @param owner the Container instance (its class fields are not assigned yet)
   * @param base `Container.prototype`
   */
  constructor(ctx: DurableObjectState, runtime: ContainerRuntime, owner: CoreOwner, base: CoreOwner) {
    this.#ctx = ctx;
    this.#owner = owner;
    this.#base = base;
    this.runtime = runtime;
    this.state = new StateStore(ctx.storage);
    this.config = new ConfigCache(() => owner);
    this.activity = new ActivityTracker(() => this.config.sleepAfterMs());
    this.clock = new AlarmClock(ctx.storage);
    this.schedules = new ScheduleStore(sqlOf(ctx));
    registerContainerClass(owner.constructor as unknown as OutboundStatics & { name: string });
    this.#outboundConfig = new OutboundConfigStore(ctx.storage);
    this.outbound = new OutboundController({ runtime, config: this.#outboundConfig, ctx, fields: owner });
    this.supervisor = new Supervisor({
      storage: ctx.storage,
      isRunning: () => runtime.running,
      policy: () => restartPolicyOf(owner),
      hardTimeoutMs: () => this.config.hardTimeoutMs(),
      emit: (event) => this.emit(event),
      armBy: async (time) => void (await this.clock.ensureBy(time)),
    });
    this.persistence = new DiskPersistence({ storage: ctx.storage, runtime, emit: (event) => this.emit(event) });
    this.lifecycle = new Lifecycle({
      runtime,
      persistence: this.persistence,
      persistRequested: () => optional(owner.persistDisk) !== undefined,
      state: this.state,
      activity: this.activity,
      config: () => this.checkedConfig(),
      outbound: this.outbound,
      supervisor: this.supervisor,
      emit: (event) => this.emit(event),
      armIdleTimer: async () => {
        // The original calls scheduleNextAlarm() on every start; an override expects it.
        if (this.#overrides("scheduleNextAlarm")) await owner.scheduleNextAlarm();
        await this.armIdleTimer();
      },
      blockConcurrencyWhile: (callback) => ctx.blockConcurrencyWhile(callback),
      // Looked up on each call: `ctx.abort` is the seam a test replaces.
      resetObject: (reason) => this.#ctx.abort(reason),
      hooks: owner,
    });
  }

  /** The resolved fields, plus the restart policy (read live by the supervisor) checked. */
  checkedConfig(): ResolvedConfig {
    const config = this.config.get();
    const policy = restartPolicyOf(this.#owner);
    if (policy !== undefined) assertRestartPolicy(policy);
    return config;
  }

  /**
   * Load what the previous instance of the object persisted and make the
   * state agree with the runtime: once, in `blockConcurrencyWhile`, after the
   * subclass constructor has assigned its fields (before any hook can run).
   */
  restoreAfterConstruction(): void {
    void this.#ctx.blockConcurrencyWhile(async () => {
      await Promise.resolve();
      await this.#restore();
    });
  }

  async #restore(): Promise<void> {
    const owner = this.#owner;
    // A subclass that declares `inflightRequests = 0` as a class field (as the
    // original's base class does) shadows the accessor with a plain property
    // the idle timer would never see: fold it back into the accessor.
    if (Object.hasOwn(owner, "inflightRequests")) {
      const declared = owner.inflightRequests;
      delete (owner as { inflightRequests?: number }).inflightRequests;
      owner.inflightRequests = Number(declared) || 0;
    }
    await this.clock.load();
    await this.#outboundConfig.load();
    await this.supervisor.load();
    await this.persistence.load();
    this.activity.restore(await this.#ctx.storage.get<number>(ACTIVITY_DEADLINE_KEY));
    await this.lifecycle.reconcile();
    if (this.runtime.running) {
      // A container that outlived the previous instance keeps its outbound rules.
      // Reported, never thrown: a failing blockConcurrencyWhile would break the object.
      await this.outbound.apply().catch(async (error: unknown) => {
        try {
          await owner.onError(error);
        } catch {
          // The default onError rethrows after logging.
        }
      });
    }
  }

  /** `start(startOptions, waitOptions)`: one probed port, the instance budget. */
  start(startOptions: ContainerStartConfigOptions | undefined, waitOptions: WaitOptions | undefined): Promise<void> {
    const { probe, budget } = startWait(waitOptions, this.config.get().instancePort);
    return this.lifecycle.start(startOptions, probe, budget);
  }

  /**
   * `startAndWaitForPorts`: explicit ports, else `requiredPorts`, else `defaultPort`, else the fallback;
   * with `readyOn` a list of checks, the checks instead of the derived ports.
   */
  startAndWait(args: StartAndWaitForPortsOptions): Promise<void> {
    const { requiredPorts, defaultPort, readinessChecks } = this.config.get();
    // A list of readiness checks replaces the ports derived from the fields; explicit ones still count.
    const ports =
      readinessChecks && args.ports === undefined
        ? []
        : resolvePortsToWait(args.ports, requiredPorts, defaultPort, FALLBACK_PORT);
    return this.lifecycle.startAndWait(args.startOptions, ports, waitBudget(args.cancellationOptions));
  }

  /** `waitForPort(options)`: the port budget, or `retries` × `waitInterval`. */
  waitForPort(options: WaitOptions): Promise<number> {
    const { deadline, intervalMs } = portWait(options);
    return this.lifecycle.waitForPort(options.portToCheck, deadline, intervalMs, options.signal);
  }

  /** `containerFetch` in any of its forms: the port is the explicit one, else `defaultPort`. */
  containerFetch(
    input: Request | string | URL,
    initOrPort: (RequestInit & { wake?: boolean }) | number | undefined,
    maybePort: number | undefined,
  ): Promise<Response> {
    const { request, port: explicit } = toContainerRequest(input, initOrPort, maybePort);
    const port = explicit ?? this.#owner.defaultPort;
    if (port === undefined) {
      throw new Error(
        "No port specified for container fetch: set `defaultPort` on your Container subclass or pass a port.",
      );
    }
    const wake = !(typeof initOrPort === "object" && initOrPort !== null && initOrPort.wake === false);
    return this.forward(request, port, wake);
  }

  /** `inspect()`: the runtime's view of the running container, `null` when none runs. */
  async inspect(): Promise<{ image: string; labels: Record<string, string> } | null> {
    if (!this.runtime.running) return null;
    if (typeof this.runtime.inspect !== "function") {
      throw new Error("inspect is not available: this runtime's ctx.container has no inspect(). Update wrangler.");
    }
    return (await this.runtime.inspect()) ?? null;
  }

  /**
   * `getState()`: reconciled with the runtime first, with the restart policy's progress when it acted and
   * the `persistDisk` snapshot when one is stored (each from its own key, not the original's state).
   */
  async getState(): Promise<State> {
    await this.lifecycle.reconcile();
    const state = await this.state.get();
    const restart = this.supervisor.status;
    const snapshot = this.persistence.status;
    return { ...state, ...(restart ? { restart } : {}), ...(snapshot ? { snapshot } : {}) };
  }

  /** `addReadinessCheck` / `setReadinessChecks`: the list replaces `readyOn`, checked at once. */
  setReadinessChecks(checks: readonly ReadinessCheck[], what: string): void {
    assertReadinessChecks(checks, what);
    this.#owner.readyOn = [...checks];
  }

  /** The checks `addReadinessCheck` adds to: the list in `readyOn`, else what the fields imply. */
  currentReadinessChecks(): ReadinessCheck[] {
    const config = this.config.get();
    if (config.readinessChecks) return [...config.readinessChecks];
    const form = this.#owner.readyOn as ReadyOn | undefined;
    const httpPort = form?.port ?? config.defaultPort;
    const { requiredPorts, defaultPort } = config;
    const ports = requiredPorts.length > 0 ? [...requiredPorts] : [defaultPort ?? FALLBACK_PORT];
    return ports.map((port) =>
      form && port === httpPort ? isHealthy(form.path ?? "/", { port, status: form.status }) : portResponding(port),
    );
  }

  /** `schedule()`: checked, stored, and the alarm armed for it. */
  async schedule<T>(when: Date | number, callback: string, payload: T | undefined): Promise<Schedule<T>> {
    const json = assertSchedulable(this.#owner, callback, payload);
    const timing = scheduleTiming(when, Date.now());
    const schedule = this.schedules.add(callback, timing, payload as T, json);
    await this.clock.ensureBy(schedule.time * 1000);
    return schedule;
  }

  /** `scheduleNextAlarm(ms)`: the alarm fires within `ms`. */
  async alarmWithin(ms: number): Promise<void> {
    if (!Number.isFinite(ms) || ms < 0) {
      throw new RangeError(`Invalid delay: ${String(ms)}. Expected a non-negative number of milliseconds.`);
    }
    await this.clock.ensureBy(Date.now() + ms);
  }

  /** `exec()`: checked first, the container started unless `wake` is false, then run as activity. */
  async exec(cmd: unknown, options: unknown): Promise<ExecHandle> {
    const request = parseExecRequest(cmd, options);
    // A start in progress is joined: the process may run before its instance answers.
    if (!this.runtime.running || this.lifecycle.isStarting) {
      if (!request.wake && !this.runtime.running) throw execWithoutWakeError(request.cmd);
      const wait: WaitOptions = { portToCheck: this.config.get().instancePort };
      if (request.signal) wait.signal = request.signal;
      const { probe, budget } = startWait(wait, wait.portToCheck);
      await this.lifecycle.start(undefined, probe, budget, { restart: false, implicit: true });
    }
    return runExecRequest(this.runtime, request, this.activity);
  }

  /** Proxy to `port`, starting the container first unless `wake` is false. */
  async forward(request: Request, port: number, wake: boolean): Promise<Response> {
    assertPort(port);
    const upgrade = isWebSocketUpgrade(request);
    let mode: WebSocketProxyMode = "relay";
    try {
      // Read first: a bad value refuses the upgrade with a response, before anything starts or renews.
      if (upgrade) mode = this.config.webSocketProxy();
    } catch (error) {
      return new ContainerHttpError(messageOf(error), 500, { cause: error }).toResponse();
    }
    if (!this.lifecycle.isHealthy) {
      if (!wake && !this.runtime.running) return notRunningError().toResponse();
      if (wake) {
        try {
          await this.#owner.startAndWaitForPorts(port, { abort: request.signal });
        } catch (error) {
          return startFailureToHttpError(error).toResponse();
        }
      }
    }
    // The original calls renewActivityTimeout() per request; a subclass that
    // overrides it expects that. The base's own renewal is part of proxying.
    if (this.#overrides("renewActivityTimeout")) this.#owner.renewActivityTimeout();
    const tcp = this.runtime.getTcpPort(port);
    return upgrade ? proxyWebSocket(tcp, request, this.activity, mode) : proxyHttp(tcp, request, this.activity);
  }

  /** The base's `renewActivityTimeout`: a fresh `sleepAfter` window, and the alarm armed for it. */
  renewActivity(): void {
    this.activity.renew();
    if (this.runtime.running) {
      this.armIdleTimer().catch((error: unknown) =>
        console.error("workerd-containers: arming the idle alarm failed:", error),
      );
    }
  }

  /** One alarm: due schedules, the supervisor's restart or hard timeout, the idle timer, re-arm. */
  alarm(): Promise<void> {
    const owner = this.#owner;
    return runAlarmCycle({
      clock: this.clock,
      activity: this.activity,
      isRunning: () => this.runtime.running,
      runDueSchedules: () => runDueSchedules(this.schedules, owner, Date.now() / 1000),
      nextScheduleMs: () => {
        const next = this.schedules.nextAfter(Date.now() / 1000);
        return next === undefined ? undefined : next * 1000;
      },
      emitActivityExpired: () =>
        this.emit({ type: "activityExpired", at: Date.now(), sleepAfterMs: this.config.sleepAfterMs() }),
      onActivityExpired: () => owner.onActivityExpired(),
      supervise: () => this.lifecycle.supervise(),
      supervisorDueAt: () => this.supervisor.dueAt(),
      persistDeadline: (deadline) => this.#ctx.storage.put(ACTIVITY_DEADLINE_KEY, deadline),
    });
  }

  /** Deliver an event to `onEvent`; what it throws (or rejects with) is logged, never passed on. */
  emit(event: ContainerEvent): void {
    try {
      const result = this.#owner.onEvent(event);
      if (result instanceof Promise) {
        result.catch((error: unknown) => console.error("workerd-containers: onEvent threw:", error));
      }
    } catch (error) {
      console.error("workerd-containers: onEvent threw:", error);
    }
  }

  /** Make sure the alarm fires by the idle deadline, persisting the deadline when it armed. */
  async armIdleTimer(): Promise<void> {
    const deadline = this.activity.deadline;
    if (deadline === undefined) return;
    if (await this.clock.ensureBy(deadline)) await this.#ctx.storage.put(ACTIVITY_DEADLINE_KEY, deadline);
  }

  /** Whether the subclass overrides the public method `name` (the base's own is not called where it adds nothing). */
  #overrides(name: "renewActivityTimeout" | "scheduleNextAlarm"): boolean {
    return this.#owner[name] !== this.#base[name];
  }
}

/**
 * The restart policy: `restartPolicy`, or a `restart = { on: … }` object as
 * earlier versions named it. Never a method: `restart()` is a likely method
 * name of a subclass, which is why the field is not called that.
 */
function restartPolicyOf(owner: CoreOwner): RestartPolicy | undefined {
  const policy = optional(owner.restartPolicy);
  if (policy !== undefined) return policy;
  const legacy: unknown = (owner as { restart?: unknown }).restart;
  return typeof legacy === "object" && legacy !== null && "on" in legacy ? (legacy as RestartPolicy) : undefined;
}

function sqlOf(ctx: DurableObjectState): SqlStorage {
  try {
    const sql = ctx.storage.sql;
    if (sql) return sql;
  } catch {
    // Thrown by KV-backed Durable Objects.
  }
  throw new Error(MISSING_SQL_MESSAGE);
}
