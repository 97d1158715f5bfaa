/**
 * @module container
 * The `Container` Durable Object base class. This file is a table of contents:
 * configuration fields, lifecycle hooks, and public methods that delegate to
 * one module per concern (lifecycle, activity, alarm, schedules, proxy).
 */

import { DurableObject } from "cloudflare:workers";
import { ActivityTracker } from "./activity";
import { AlarmClock, runAlarmCycle } from "./alarm";
import {
  ACTIVITY_DEADLINE_KEY,
  DEFAULT_MAX_POLL_INTERVAL_MS,
  DEFAULT_NEXT_ALARM_MS,
  DEFAULT_PING_ENDPOINT,
  DEFAULT_SLEEP_AFTER,
  FALLBACK_PORT,
} from "./constants";
import { applyOptions, ConfigCache, type ResolvedConfig } from "./config";
import { notRunningError, startFailureToHttpError } from "./errors";
import type { ContainerEvent } from "./events";
import { Lifecycle } from "./lifecycle/lifecycle";
import { Supervisor, assertRestartPolicy, type RestartPolicy } from "./lifecycle/supervisor";
import { normaliseStartArgs, retriesBudget, runtimeStartOptions, waitBudget } from "./lifecycle/start";
import { StateStore } from "./lifecycle/state";
import { assertPort, resolvePortsToWait } from "./ports";
import { isWebSocketUpgrade, proxyHttp, toContainerRequest } from "./proxy/http";
import { refuseTarget, targetPort, withoutTargetPortHeader } from "./proxy/target-port";
import { proxyWebSocket } from "./proxy/websocket";
import type { ContainerRuntime } from "./runtime";
import { ScheduleStore, assertSchedulable, runDueSchedules, scheduleTiming } from "./schedules";
import { OutboundConfigStore } from "./outbound/config";
import { OutboundController } from "./outbound/controller";
import { installNamedHandlerStatics, registerContainerClass, type OutboundStatics } from "./outbound/registry";
import type { AnyOutboundHandler, OutboundByHostOverrideInput, OutboundParamsArg } from "./outbound/types";
import type {
  CancellationOptions,
  ContainerOptions,
  ReadyOn,
  ContainerStartConfigOptions,
  Schedule,
  Signal,
  SignalInteger,
  StartAndWaitForPortsOptions,
  State,
  StopParams,
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
 * A Durable Object that owns a container: it starts the container on demand,
 * proxies HTTP and WebSocket traffic to it, stops it after `sleepAfter` of
 * inactivity, and runs scheduled callbacks.
 *
 * @example
 * ```ts
 * import { Container, getContainer } from "workerd-containers";
 *
 * export class MyContainer extends Container {
 *   defaultPort = 8080;
 *   sleepAfter = "5m";
 * }
 *
 * export default {
 *   fetch(request: Request, env: Env) {
 *     return getContainer(env.MY_CONTAINER).fetch(request);
 *   },
 * };
 * ```
 */
export class Container<Env = Cloudflare.Env> extends DurableObject<Env> {
  // --- Configuration (override as class fields) ---------------------------------

  /** Port that `fetch` and `containerFetch` target when none is given. */
  defaultPort?: number;
  /** Ports that must accept connections before the container counts as ready. */
  requiredPorts?: number[];
  /**
   * Idle time before `onActivityExpired`: seconds, or `"30s"`, `"5m"`, `"1h"`.
   * @default "10m"
   */
  sleepAfter: string | number = DEFAULT_SLEEP_AFTER;
  /** Environment variables for every start. @default {} */
  envVars: Record<string, string> = {};
  /** Command that replaces the image's entrypoint. */
  entrypoint?: string[];
  /** Whether the container may reach the internet. @default true */
  enableInternet = true;
  /** Metadata labels passed to the runtime on every start. @default {} */
  labels: Record<string, string> = {};
  /** Host and path probed for readiness, e.g. `"container/health"`. @default "ping" */
  pingEndpoint: string = DEFAULT_PING_ENDPOINT;
  /** Also intercept outbound HTTPS (outbound interception). @default false */
  interceptHttps = false;
  /** Outbound allow-list; `*` globs. */
  allowedHosts?: string[];
  /** Outbound deny-list; `*` globs; wins over everything. */
  deniedHosts?: string[];
  /**
   * Opt-in HTTP readiness: the port counts as ready only when `GET path`
   * answers an accepted status (default any 2xx), not merely when it accepts
   * connections. Timeouts and `onError` behave as for port readiness.
   * @example readyOn = { path: "/healthz", status: [200, 204] };
   */
  readyOn?: ReadyOn;
  /**
   * Opt-in restart policy: restart a container that exits (`"failure"`:
   * non-zero exits; `"always"`: any exit not asked for), with exponential
   * backoff and jitter, giving up after `maxRetries` (see `getState().restart`).
   * @example restart = { on: "failure", maxRetries: 5, backoff: { initialMs: 500 } };
   */
  restart?: RestartPolicy;
  /**
   * Opt-in cost cap: stop the container this long after it starts, whatever
   * its activity (SIGTERM, then SIGKILL 10 s later). Seconds or a duration string.
   */
  hardTimeout?: string | number;
  /**
   * Accepted for compatibility with older documentation; has no effect.
   * Containers start on demand (first request, `start()` or `startAndWaitForPorts()`).
   */
  manualStart?: boolean;

  // --- Outbound interception (static; override on the subclass) ---------------------

  /** Catch-all handler for the container's outbound requests. */
  static outbound?: AnyOutboundHandler;
  /** Alias of {@link Container.outbound}. */
  static outboundProxy?: AnyOutboundHandler;
  /** Handlers by host (`"api.example.com"`, `"*.example.com"`, `"10.0.0.1:8080"`). */
  static outboundByHost?: Record<string, AnyOutboundHandler>;
  /** Named handlers that the runtime setters (`setOutboundHandler`…) refer to. */
  static outboundHandlers?: Record<string, AnyOutboundHandler | undefined>;
  /** Alias of {@link Container.outboundHandlers}. */
  static outboundProxies?: Record<string, AnyOutboundHandler | undefined>;

  // --- Internals -----------------------------------------------------------------

  readonly #runtime: ContainerRuntime;
  /** The fields, resolved and validated (re-resolved when one changes). */
  readonly #config: ConfigCache;
  readonly #state: StateStore;
  readonly #activity: ActivityTracker;
  readonly #clock: AlarmClock;
  readonly #schedules: ScheduleStore;
  readonly #lifecycle: Lifecycle;
  readonly #outboundConfig: OutboundConfigStore;
  readonly #outbound: OutboundController;
  readonly #supervisor: Supervisor;
  #lastStartOptions: ContainerStartConfigOptions | undefined;

  /**
   * @param ctx the Durable Object state; `ctx.container` must be configured
   * @param env the Worker's bindings
   * @param options instance settings (class fields declared by a subclass win)
   * @throws {Error} when `ctx.container` is undefined (no `containers` configuration)
   */
  constructor(ctx: DurableObjectState, env: Env, options?: ContainerOptions) {
    const runtime = ctx.container as ContainerRuntime | undefined;
    if (!runtime) throw new Error(MISSING_CONTAINER_MESSAGE);
    super(ctx, env);
    this.#runtime = runtime;
    this.#state = new StateStore(ctx.storage);
    // Read through a getter: subclass fields are assigned after this constructor.
    this.#config = new ConfigCache(() => this);
    this.#activity = new ActivityTracker(() => this.#config.sleepAfterMs());
    this.#clock = new AlarmClock(ctx.storage);
    this.#schedules = new ScheduleStore(sqlOf(ctx));
    registerContainerClass(new.target as unknown as OutboundStatics & { name: string });
    this.#outboundConfig = new OutboundConfigStore(ctx.storage);
    this.#outbound = new OutboundController({
      runtime,
      config: this.#outboundConfig,
      ctx,
      fields: this,
    });
    this.#supervisor = new Supervisor({
      storage: ctx.storage,
      isRunning: () => runtime.running,
      policy: () => this.restart,
      hardTimeoutMs: () => this.#config.hardTimeoutMs(),
      emit: (event) => this.#emit(event),
      armBy: async (time) => void (await this.#clock.ensureBy(time)),
    });
    this.#lifecycle = new Lifecycle({
      runtime,
      state: this.#state,
      activity: this.#activity,
      config: () => this.#checkedConfig(),
      outbound: this.#outbound,
      supervisor: this.#supervisor,
      emit: (event) => this.#emit(event),
      armIdleTimer: async () => {
        // The original calls scheduleNextAlarm() on every start; an override expects it.
        if (this.#overrides("scheduleNextAlarm")) await this.scheduleNextAlarm();
        await this.#armIdleTimer();
      },
      blockConcurrencyWhile: (callback) => ctx.blockConcurrencyWhile(callback),
      // Looked up on each call: `ctx.abort` is the seam a test replaces.
      resetObject: (reason) => this.ctx.abort(reason),
      hooks: this,
    });
    if (options) applyOptions(this, options);
    void ctx.blockConcurrencyWhile(async () => {
      // Let the subclass constructor finish (its fields) before hooks can run.
      await Promise.resolve();
      await this.#restore();
    });
  }

  // --- Lifecycle hooks ----------------------------------------------------------------

  /** Called after a start succeeds (after ports are ready for `startAndWaitForPorts`). */
  onStart(): void | Promise<void> {}

  /** Called once each time the container process ends. */
  onStop(_params: StopParams): void | Promise<void> {}

  /** Called with start and port-readiness errors. The default logs and rethrows. */
  onError(error: unknown): unknown {
    console.error("Container error:", error);
    throw error;
  }

  /**
   * Called when `sleepAfter` passes with no activity. The default stops the
   * container (SIGTERM). If the container is still running afterwards, or
   * this returns `true`, the idle timer renews and this fires again later.
   */
  async onActivityExpired(): Promise<void | boolean> {
    if (this.#runtime.running) await this.stop();
  }

  /**
   * Receives every lifecycle event (`start`, `ready`, `stop`, `error`,
   * `activityExpired`, `restart`, `restartGaveUp`, `hardTimeout`) with its
   * timings. Errors it throws are logged and ignored.
   */
  onEvent(_event: ContainerEvent): void | Promise<void> {}

  // --- Requests ----------------------------------------------------------------------

  /**
   * Forward an HTTP or WebSocket request to the container, on the port named
   * by `switchPort` (header `cf-container-target-port`) or `defaultPort`.
   * Starts the container if needed.
   *
   * A request whose `cf-container-target-port` header is not a port 1–65535
   * gets a 400 response saying so; nothing is started.
   *
   * @throws {Error} when no port is known (no header, no `defaultPort`)
   */
  override async fetch(request: Request): Promise<Response> {
    const target = targetPort(request.headers, this.defaultPort);
    if (!target.ok) return refuseTarget(target);
    return this.containerFetch(withoutTargetPortHeader(request), target.port);
  }

  /**
   * Send a request to the container and stream the answer back. Relative URLs
   * resolve against `http://container`; `https:` is sent as `http:`. Starts
   * the container and waits for the port when it is not healthy. Start
   * failures become responses: 503 (no instance) and 429 (rate limited) with
   * `Retry-After`, otherwise 500.
   *
   * @example
   * ```ts
   * const res = await this.containerFetch("/metrics", { headers: { accept: "text/plain" } }, 9090);
   * ```
   */
  containerFetch(request: Request, port?: number): Promise<Response>;
  containerFetch(url: string | URL, init?: ContainerFetchInit, port?: number): Promise<Response>;
  // Durable Object stubs keep only the last overload, so it accepts both forms.
  containerFetch(
    input: Request | string | URL,
    initOrPort?: ContainerFetchInit | number,
    port?: number,
  ): Promise<Response>;
  async containerFetch(
    input: Request | string | URL,
    initOrPort?: ContainerFetchInit | number,
    maybePort?: number,
  ): Promise<Response> {
    const { request, port: explicit } = toContainerRequest(input, initOrPort, maybePort);
    const port = explicit ?? this.defaultPort;
    if (port === undefined) {
      throw new Error(
        "No port specified for container fetch: set `defaultPort` on your Container subclass or pass a port.",
      );
    }
    const wake = !(typeof initOrPort === "object" && initOrPort !== null && initOrPort.wake === false);
    return this.#forward(request, port, wake);
  }

  /**
   * Like `fetch`, but only if the container is already running: otherwise a
   * 503 with `Retry-After`, and the container is not started (for health
   * dashboards and fan-out reads that must not wake instances).
   */
  async fetchIfRunning(request: Request): Promise<Response> {
    const target = targetPort(request.headers, this.defaultPort);
    if (!target.ok) return refuseTarget(target);
    return this.#forward(withoutTargetPortHeader(request), target.port, false);
  }

  // --- Starting and stopping ------------------------------------------------------

  /**
   * Start the container without waiting for every port: returns once the
   * runtime has an instance for it (one port is probed: `portToCheck`,
   * `defaultPort`, `requiredPorts[0]`, or 33), then runs `onStart`.
   *
   * @param startOptions per-start overrides of `envVars`, `entrypoint`, `enableInternet`, `labels`
   * @param waitOptions probe settings; the default budget is 8 s
   * @throws the runtime's own error when it rate limits the start, or has no
   *   instance to give (each try a fresh start, until the budget runs out)
   */
  async start(startOptions?: ContainerStartConfigOptions, waitOptions?: WaitOptions): Promise<void> {
    this.#checkStart(startOptions);
    this.#lastStartOptions = startOptions;
    const probe = waitOptions?.portToCheck ?? this.#config.get().instancePort;
    assertPort(probe, "portToCheck");
    const cancellation: CancellationOptions = {};
    if (waitOptions?.signal) cancellation.abort = waitOptions.signal;
    if (waitOptions?.waitInterval !== undefined) cancellation.waitInterval = waitOptions.waitInterval;
    if (waitOptions?.retries !== undefined) {
      cancellation.instanceGetTimeoutMS = retriesBudget(waitOptions.retries, waitOptions.waitInterval);
    }
    await this.#lifecycle.start(startOptions, probe, waitBudget(cancellation));
  }

  /**
   * Start the container (if needed) and wait until its ports accept
   * connections; the state becomes `healthy`, then `onStart` runs. Ports:
   * explicit, else `requiredPorts`, else `defaultPort`, else 33.
   *
   * @throws the runtime's own error when it rate limits the start, or has no
   *   instance to give within `instanceGetTimeoutMS` (each try a fresh start)
   * @example
   * ```ts
   * await container.startAndWaitForPorts({
   *   ports: [8080, 9222],
   *   startOptions: { envVars: { API_KEY: env.API_KEY } },
   *   cancellationOptions: { portReadyTimeoutMS: 30_000 },
   * });
   * ```
   */
  startAndWaitForPorts(args?: StartAndWaitForPortsOptions): Promise<void>;
  startAndWaitForPorts(
    ports?: number | number[],
    cancellationOptions?: CancellationOptions,
    startOptions?: ContainerStartConfigOptions,
  ): Promise<void>;
  // Durable Object stubs keep only the last overload, so it accepts both forms.
  startAndWaitForPorts(
    portsOrArgs?: number | number[] | StartAndWaitForPortsOptions,
    cancellationOptions?: CancellationOptions,
    startOptions?: ContainerStartConfigOptions,
  ): Promise<void>;
  async startAndWaitForPorts(
    first?: number | number[] | StartAndWaitForPortsOptions,
    cancellationOptions?: CancellationOptions,
    startOptions?: ContainerStartConfigOptions,
  ): Promise<void> {
    const args = normaliseStartArgs(first, cancellationOptions, startOptions);
    this.#checkStart(args.startOptions);
    if (args.startOptions) this.#lastStartOptions = args.startOptions;
    const config = this.#config.get();
    const ports = resolvePortsToWait(args.ports, config.requiredPorts, config.defaultPort, FALLBACK_PORT);
    await this.#lifecycle.startAndWait(args.startOptions, ports, waitBudget(args.cancellationOptions));
  }

  /**
   * Poll one port until it accepts connections.
   *
   * @returns the number of attempts it took
   * @throws when the port is not ready after `retries` × `waitInterval`
   *   (`onError` is called first; its own errors are ignored)
   */
  async waitForPort(options: WaitOptions): Promise<number> {
    assertPort(options.portToCheck, "portToCheck");
    const budget =
      options.retries === undefined
        ? waitBudget({}).portDeadline
        : Date.now() + retriesBudget(options.retries, options.waitInterval);
    const pollCap = options.waitInterval ?? DEFAULT_MAX_POLL_INTERVAL_MS;
    return this.#lifecycle.waitForPort(options.portToCheck, budget, Math.max(1, pollCap), options.signal);
  }

  /**
   * Send a signal to the container (default SIGTERM); its exit triggers `onStop`.
   *
   * @param signal `"SIGTERM"`, `"SIGINT"`, `"SIGKILL"` or a signal number
   */
  stop(signal: Signal | SignalInteger = "SIGTERM"): Promise<void> {
    return this.#lifecycle.stop(signal);
  }

  /** Kill the container now (SIGKILL) and wait until `onStop` has run. */
  destroy(): Promise<void> {
    return this.#lifecycle.destroy();
  }

  /**
   * The persisted state: `running`, `healthy`, `stopping`, `stopped` or
   * `stopped_with_code`; with `restart` progress when a restart policy acted.
   */
  async getState(): Promise<State> {
    await this.#lifecycle.reconcile();
    const state = await this.#state.get();
    const restart = this.#supervisor.status;
    return restart ? { ...state, restart } : state;
  }

  // --- Idle timer and alarm -------------------------------------------------------

  /**
   * Work in flight that keeps the container awake: the library's own requests,
   * response bodies and WebSockets, plus whatever a subclass counts itself.
   * While it is above 0 the container never idles out. Writes change the
   * subclass's part (clamped at 0); its drop to 0 starts a fresh `sleepAfter`
   * window. Dependents of the original raise it around work of their own:
   * `this.inflightRequests++` … `this.inflightRequests--`.
   */
  get inflightRequests(): number {
    return this.#activity.inflight;
  }

  set inflightRequests(count: number) {
    this.#activity.external = count - this.#activity.ownInflight;
  }

  /** Push the idle deadline out by `sleepAfter` (for work that is not a request). */
  renewActivityTimeout(): void {
    this.#activity.renew();
    if (this.#runtime.running) {
      this.#armIdleTimer().catch((error: unknown) =>
        console.error("workerd-containers: arming the idle alarm failed:", error),
      );
    }
  }

  /**
   * Make sure the alarm fires within `ms` milliseconds.
   * @default ms 1000
   */
  async scheduleNextAlarm(ms: number = DEFAULT_NEXT_ALARM_MS): Promise<void> {
    if (!Number.isFinite(ms) || ms < 0) {
      throw new RangeError(`Invalid delay: ${String(ms)}. Expected a non-negative number of milliseconds.`);
    }
    await this.#clock.ensureBy(Date.now() + ms);
  }

  /**
   * Runs due schedules, then checks the idle timer, then re-arms. Owned by
   * the class; prefer `schedule()`. An override must call `super.alarm()`.
   */
  override async alarm(_alarmInfo?: AlarmInvocationInfo): Promise<void> {
    await runAlarmCycle({
      clock: this.#clock,
      activity: this.#activity,
      isRunning: () => this.#runtime.running,
      runDueSchedules: () => runDueSchedules(this.#schedules, this, Date.now() / 1000),
      nextScheduleMs: () => {
        const next = this.#schedules.nextAfter(Date.now() / 1000);
        return next === undefined ? undefined : next * 1000;
      },
      emitActivityExpired: () =>
        this.#emit({ type: "activityExpired", at: Date.now(), sleepAfterMs: this.#config.sleepAfterMs() }),
      onActivityExpired: () => this.onActivityExpired(),
      supervise: () => this.#supervise(),
      supervisorDueAt: () => this.#supervisor.dueAt(),
      persistDeadline: (deadline) => this.ctx.storage.put(ACTIVITY_DEADLINE_KEY, deadline),
    });
  }

  // --- Schedules ---------------------------------------------------------------------

  /**
   * Run the method named `callback` later, with `payload`. Persisted: it
   * survives restarts and runs from this class's `alarm()`.
   *
   * @param when a `Date`, or a number of seconds from now
   * @throws {TypeError} when `callback` is not a method or `payload` is not JSON-serialisable
   * @example
   * ```ts
   * await this.schedule(60, "report", { tenant: "t-42" });
   * ```
   */
  async schedule<T = string>(when: Date | number, callback: string, payload?: T): Promise<Schedule<T>> {
    const json = assertSchedulable(this, callback, payload);
    const timing = scheduleTiming(when, Date.now());
    const schedule = this.#schedules.add(callback, timing, payload as T, json);
    await this.#clock.ensureBy(schedule.time * 1000);
    return schedule;
  }

  /** One schedule by id, or `undefined`. */
  async getSchedule<T = string>(taskId: string): Promise<Schedule<T> | undefined> {
    return this.#schedules.get<T>(taskId);
  }

  /** Every pending schedule of `callbackName`, soonest first. */
  async listSchedules<T = string>(callbackName: string): Promise<Schedule<T>[]> {
    return this.#schedules.list<T>(callbackName);
  }

  /** Delete every schedule of `callbackName` (synchronous). */
  deleteSchedules(callbackName: string): void {
    this.#schedules.deleteByCallback(callbackName);
  }

  // --- Outbound interception (runtime; persisted) ---------------------------------------

  /**
   * Send every outbound request not handled per host to the named handler of
   * `static outboundHandlers`, with `params`.
   * @throws {Error} when no handler has that name (the message lists the known ones)
   */
  setOutboundHandler<Params = unknown>(methodName: string, ...paramsArg: OutboundParamsArg<Params>): Promise<void> {
    return this.#outbound.setOutboundHandler(methodName, paramsArg[0]);
  }

  /** Send outbound requests for `hostname` to the named handler, with `params`. */
  setOutboundByHost<Params = unknown>(
    hostname: string,
    methodName: string,
    ...paramsArg: OutboundParamsArg<Params>
  ): Promise<void> {
    return this.#outbound.setOutboundByHost(hostname, methodName, paramsArg[0]);
  }

  /** Several {@link setOutboundByHost} at once: `{ host: "method" | { method, params } }`. */
  setOutboundByHosts<Params = unknown>(handlers: OutboundByHostOverrideInput<Params>): Promise<void> {
    return this.#outbound.setOutboundByHosts(handlers as OutboundByHostOverrideInput<unknown>);
  }

  /** Remove a runtime per-host handler; the static one (if any) applies again. */
  removeOutboundByHost(hostname: string): Promise<void> {
    return this.#outbound.removeOutboundByHost(hostname);
  }

  /** Replace the allow-list. Allowed hosts reach the internet even with `enableInternet` false. */
  setAllowedHosts(hosts: string[]): Promise<void> {
    return this.#outbound.setAllowedHosts(hosts);
  }

  /** Replace the deny-list. Denied hosts are blocked whatever else is configured. */
  setDeniedHosts(hosts: string[]): Promise<void> {
    return this.#outbound.setDeniedHosts(hosts);
  }

  /** Add one host to the allow-list. */
  allowHost(hostname: string): Promise<void> {
    return this.#outbound.allowHost(hostname);
  }

  /** Add one host to the deny-list. */
  denyHost(hostname: string): Promise<void> {
    return this.#outbound.denyHost(hostname);
  }

  /** Remove one host from the allow-list (an empty allow-list still blocks everything). */
  removeAllowedHost(hostname: string): Promise<void> {
    return this.#outbound.removeAllowedHost(hostname);
  }

  /** Remove one host from the deny-list. */
  removeDeniedHost(hostname: string): Promise<void> {
    return this.#outbound.removeDeniedHost(hostname);
  }

  // --- Internals -----------------------------------------------------------------------

  async #restore(): Promise<void> {
    // A subclass that declares `inflightRequests = 0` as a class field (as the
    // original's base class does) shadows the accessor with a plain property
    // the idle timer would never see: fold it back into the accessor.
    if (Object.hasOwn(this, "inflightRequests")) {
      const declared = (this as { inflightRequests: number }).inflightRequests;
      delete (this as { inflightRequests?: number }).inflightRequests;
      this.inflightRequests = Number(declared) || 0;
    }
    await this.#clock.load();
    await this.#outboundConfig.load();
    await this.#supervisor.load();
    this.#activity.restore(await this.ctx.storage.get<number>(ACTIVITY_DEADLINE_KEY));
    await this.#lifecycle.reconcile();
    if (this.#runtime.running) {
      // A container that outlived the previous instance keeps its outbound rules.
      // Reported, never thrown: a failing blockConcurrencyWhile would break the object.
      await this.#outbound.apply().catch(async (error: unknown) => {
        try {
          await this.onError(error);
        } catch {
          // The default onError rethrows after logging.
        }
      });
    }
  }

  /**
   * Refuse bad configuration or start options before anything is recorded,
   * even when the container is already running and nothing would start.
   */
  #checkStart(startOptions: ContainerStartConfigOptions | undefined): void {
    runtimeStartOptions(this.#checkedConfig().startDefaults, startOptions);
  }

  /** The resolved fields, plus the restart policy (read live by the supervisor) checked. */
  #checkedConfig(): ResolvedConfig {
    const config = this.#config.get();
    if (this.restart !== undefined) assertRestartPolicy(this.restart);
    return config;
  }

  /** Proxy to `port`, starting the container first unless `wake` is false. */
  async #forward(request: Request, port: number, wake: boolean): Promise<Response> {
    assertPort(port);
    if (!this.#lifecycle.isHealthy) {
      if (!wake && !this.#runtime.running) return notRunningError().toResponse();
      if (wake) {
        try {
          await this.startAndWaitForPorts(port, { abort: request.signal });
        } catch (error) {
          return startFailureToHttpError(error).toResponse();
        }
      }
    }
    // The original calls renewActivityTimeout() per request; a subclass that
    // overrides it expects that. The base's own renewal is part of proxying.
    if (this.#overrides("renewActivityTimeout")) this.renewActivityTimeout();
    const tcp = this.#runtime.getTcpPort(port);
    return isWebSocketUpgrade(request)
      ? proxyWebSocket(tcp, request, this.#activity)
      : proxyHttp(tcp, request, this.#activity);
  }

  /** Whether the subclass overrides the public method `name` (the base's own is not called where it adds nothing). */
  #overrides(name: "renewActivityTimeout" | "scheduleNextAlarm"): boolean {
    return this[name] !== Container.prototype[name];
  }

  /** Carry out what the supervisor says is due (hard timeout, restart). */
  async #supervise(): Promise<void> {
    const action = await this.#supervisor.due();
    if (action === "stop") await this.stop();
    else if (action === "kill") await this.destroy();
    else if (action === "restart") {
      try {
        const instancePort = this.#config.get().instancePort;
        await this.#lifecycle.start(this.#lastStartOptions, instancePort, waitBudget(), { restart: true });
      } catch (error) {
        // onError has seen it. An exit it caused has fed the policy already;
        // a start refused before any process ran is counted here.
        console.error("workerd-containers: restart failed:", error);
        await this.#supervisor.restartFailed();
      }
    }
  }

  #emit(event: ContainerEvent): void {
    try {
      const result = this.onEvent(event);
      if (result instanceof Promise)
        result.catch((error: unknown) => console.error("workerd-containers: onEvent threw:", error));
    } catch (error) {
      console.error("workerd-containers: onEvent threw:", error);
    }
  }

  async #armIdleTimer(): Promise<void> {
    const deadline = this.#activity.deadline;
    if (deadline === undefined) return;
    if (await this.#clock.ensureBy(deadline)) await this.ctx.storage.put(ACTIVITY_DEADLINE_KEY, deadline);
  }
}

/** `RequestInit` for `containerFetch`, plus `wake: false` to never start the container. */
export type ContainerFetchInit = RequestInit & { wake?: boolean };

function sqlOf(ctx: DurableObjectState): SqlStorage {
  try {
    const sql = ctx.storage.sql;
    if (sql) return sql;
  } catch {
    // Thrown by KV-backed Durable Objects.
  }
  throw new Error(MISSING_SQL_MESSAGE);
}

// Named outbound handlers merge when assigned, as the original's static setter does.
installNamedHandlerStatics(Container);
