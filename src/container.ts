/**
 * @module container
 * The `Container` Durable Object base class. This file is a table of contents:
 * configuration fields, lifecycle hooks, and public methods, each one call
 * into the collaborators that core.ts builds and wires.
 */

import { DurableObject } from "cloudflare:workers";
import { applyOptions } from "./config";
import { DEFAULT_NEXT_ALARM_MS, DEFAULT_PING_ENDPOINT, DEFAULT_SLEEP_AFTER } from "./constants";
import { ContainerCore, runtimeOf } from "./core";
import type { ContainerEvent } from "./events";
import type { ExecHandle, ExecOptions } from "./exec";
import type { ReadinessCheck } from "./readiness-checks";
import type { PersistDisk } from "./lifecycle/persist";
import type { RestartPolicy } from "./lifecycle/supervisor";
import { normaliseStartArgs } from "./lifecycle/start";
import { refuseTarget, targetPort, withoutTargetPortHeader } from "./proxy/target-port";
import { installNamedHandlerStatics } from "./outbound/registry";
import { installOutboundMethods, type OutboundMethods } from "./outbound/methods";
import type { AnyOutboundHandler } from "./outbound/types";
import type {
  CancellationOptions,
  ContainerInstanceType,
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

// The run-time outbound methods: typed by this interface, defined in the class's static block.
// biome-ignore lint/correctness/noUnusedVariables: merged declarations must repeat the class's type parameters
export interface Container<Env = Cloudflare.Env> extends OutboundMethods {}

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
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: its members are put on the prototype (static block)
export class Container<Env = Cloudflare.Env> extends DurableObject<Env> {
  // --- Configuration (override as class fields) ---------------------------------

  /** Port that `fetch` and `containerFetch` target when none is given. */
  defaultPort?: number;
  /** Ports that must accept connections before the container counts as ready. */
  requiredPorts?: number[];
  /** Idle time before `onActivityExpired`: seconds, or `"30s"`, `"5m"`, `"1h"`. @default "10m" */
  sleepAfter: string | number = DEFAULT_SLEEP_AFTER;
  /** Environment variables for every start. @default {} */
  envVars: Record<string, string> = {};
  /** Command that replaces the image's entrypoint. */
  entrypoint?: string[];
  /** Whether the container may reach the internet. @default true */
  enableInternet = true;
  /** Metadata labels passed to the runtime on every start (at most 10; names ≤ 16, values ≤ 64 bytes). */
  labels: Record<string, string> = {};
  /** Image to start instead of the default one: a name of wrangler's `images` map, or a reference. */
  declare containerImage?: string;
  /** Instance type to ask for (`"lite"`, `"basic"`, `"standard-1"`…, or `{ vcpu, memoryMib, diskMb }`). */
  declare instanceType?: ContainerInstanceType;
  /** Host and path probed for readiness, e.g. `"container/health"`. @default "ping" */
  pingEndpoint: string = DEFAULT_PING_ENDPOINT;
  /** Also intercept outbound HTTPS (outbound interception). @default false */
  interceptHttps = false;
  /** Outbound allow-list; `*` globs. */
  allowedHosts?: string[];
  /** Outbound deny-list; `*` globs; wins over everything. */
  deniedHosts?: string[];
  /**
   * Opt-in readiness: `{ path, status }` (a port is ready when `GET path` answers an accepted
   * status, default 2xx), or a list of checks that must all pass, replacing the port waits.
   * @example readyOn = [portResponding(8080), isHealthy("/health"), async () => warmUp()];
   */
  // The opt-in fields below are `declare`d: no own property is defined on the instance, so a
  // subclass's method or getter of the same name is never hidden (the original has none of them).
  declare readyOn?: ReadyOn | ReadinessCheck[];
  /**
   * Opt-in restart policy for exits nobody asked for, with backoff; progress in `getState().restart`.
   * @example restartPolicy = { on: "failure", maxRetries: 5, backoff: { initialMs: 500 } };
   */
  declare restartPolicy?: RestartPolicy;
  /** Opt-in cost cap: stop the container this long after it starts, busy or not (seconds or `"1h"`). */
  declare hardTimeout?: string | number;
  /** Opt-in: snapshot `{ directories }` (or `{ container: true }`) before the library's stops; starts restore it. */
  declare persistDisk?: PersistDisk;
  /** Opt-in `"pass-through"`: WebSocket upgrades get the container's own socket, unrelayed (docs/behaviour.md). */
  declare webSocketProxy?: "relay" | "pass-through";
  /** Accepted for compatibility with older documentation; no effect (containers start on demand). */
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

  /** The collaborators behind the public methods (core.ts). */
  readonly #core: ContainerCore;

  /**
   * @param ctx the Durable Object state; `ctx.container` must be configured
   * @param env the Worker's bindings
   * @param options instance settings (class fields declared by a subclass win)
   * @throws {Error} when `ctx.container` is undefined (no `containers` configuration)
   */
  constructor(ctx: DurableObjectState, env: Env, options?: ContainerOptions) {
    const runtime = runtimeOf(ctx);
    super(ctx, env);
    this.#core = new ContainerCore(ctx, runtime, this, Container.prototype);
    if (options) applyOptions(this, options);
    this.#core.restoreAfterConstruction();
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
   * Called when `sleepAfter` passes with no activity; the default stops the container (SIGTERM).
   * Still running afterwards, or `true` returned: the idle timer renews and this fires again later.
   */
  async onActivityExpired(): Promise<void | boolean> {
    if (this.#core.runtime.running) await this.stop();
  }

  /** Receives every lifecycle event (`start`, `ready`, `stop`, `error`…) with its timings; its errors are logged. */
  onEvent(_event: ContainerEvent): void | Promise<void> {}

  // --- Requests ----------------------------------------------------------------------

  /**
   * Forward an HTTP or WebSocket request to the container, on the port named by `switchPort`
   * (header `cf-container-target-port`; not a port 1–65535: a 400 saying so) or `defaultPort`.
   * Starts the container if needed.
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
   * @example const res = await this.containerFetch("/metrics", { headers: { accept: "text/plain" } }, 9090);
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
    return this.#core.containerFetch(input, initOrPort, maybePort);
  }

  /** Like `fetch`, but only if the container runs: otherwise a 503 with `Retry-After`, nothing started. */
  async fetchIfRunning(request: Request): Promise<Response> {
    const target = targetPort(request.headers, this.defaultPort);
    if (!target.ok) return refuseTarget(target);
    return this.#core.forward(withoutTargetPortHeader(request), target.port, false);
  }

  // --- Starting and stopping ------------------------------------------------------

  /**
   * Start the container without waiting for every port: returns once the
   * runtime has an instance for it (one port is probed: `portToCheck`,
   * `defaultPort`, `requiredPorts[0]`, or 33), then runs `onStart`.
   *
   * @param startOptions per-start overrides of the fields (`envVars`, `entrypoint`, `labels`, `image`…)
   * @param waitOptions probe settings; the default budget is 8 s
   * @throws the runtime's own error when it rate limits the start, or has no
   *   instance to give (each try a fresh start, until the budget runs out)
   */
  async start(startOptions?: ContainerStartConfigOptions, waitOptions?: WaitOptions): Promise<void> {
    await this.#core.start(startOptions, waitOptions);
  }

  /**
   * Start the container (if needed) and wait until its ports accept
   * connections; the state becomes `healthy`, then `onStart` runs. Ports:
   * explicit, else `requiredPorts`, else `defaultPort`, else 33.
   *
   * @throws the runtime's own error when it rate limits the start, or has no
   *   instance to give within `instanceGetTimeoutMS` (each try a fresh start)
   * @example await container.startAndWaitForPorts({ ports: [8080, 9222], startOptions: { envVars } });
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
    await this.#core.startAndWait(normaliseStartArgs(first, cancellationOptions, startOptions));
  }

  /** Poll one port until it accepts connections: the attempts it took; a failure reaches `onError` first. */
  async waitForPort(options: WaitOptions): Promise<number> {
    return this.#core.waitForPort(options);
  }

  /** Add a readiness check to `readyOn` (to the checks the fields imply when it is not a list). */
  addReadinessCheck(check: ReadinessCheck<this>): void {
    this.#core.setReadinessChecks([...this.#core.currentReadinessChecks(), check], "addReadinessCheck");
  }

  /** Replace the readiness checks (`[]`: ready as soon as the container runs). */
  setReadinessChecks(checks: ReadinessCheck<this>[]): void {
    this.#core.setReadinessChecks(checks, "setReadinessChecks");
  }

  /**
   * Send a signal to the container (default SIGTERM); its exit triggers `onStop`.
   *
   * @param signal `"SIGTERM"`, `"SIGINT"`, `"SIGKILL"` or a signal number
   */
  stop(signal: Signal | SignalInteger = "SIGTERM"): Promise<void> {
    return this.#core.lifecycle.stop(signal);
  }

  /** The running container's image and labels, as the runtime reports them; `null` when none runs. */
  inspect(): Promise<{ image: string; labels: Record<string, string> } | null> {
    return this.#core.inspect();
  }

  /** The running container's image (the original's proposed `image()`), or `null` when none runs. */
  async image(): Promise<string | null> {
    return (await this.inspect())?.image ?? null;
  }

  /** Kill the container now (SIGKILL) and wait until `onStop` has run. */
  destroy(): Promise<void> {
    return this.#core.lifecycle.destroy();
  }

  /**
   * The persisted state: `running`, `healthy`, `stopping`, `stopped` or
   * `stopped_with_code`; with `restart` progress when a restart policy acted.
   */
  getState(): Promise<State> {
    return this.#core.getState();
  }

  // --- Commands in the container ------------------------------------------------

  /**
   * Run a command in the container, starting it first unless `wake: false`. The runtime runs it
   * through the image's `/bin/sh`. Counts as activity until it ends; output nobody reads is drained.
   * @example const { stdout, exitCode } = await (await this.containerExec(["ls", "/data"])).output();
   */
  containerExec(cmd: string[], options?: ExecOptions): Promise<ExecHandle> {
    return this.#core.exec(cmd, options);
  }

  // --- Idle timer and alarm -------------------------------------------------------

  /**
   * Work in flight that keeps the container awake (the library's requests, bodies, WebSockets
   * and commands, plus a subclass's own count): above 0 it never idles out. Writes change the
   * subclass's part; dependents raise it around work: `this.inflightRequests++` … `--`.
   */
  get inflightRequests(): number {
    return this.#core.activity.inflight;
  }

  set inflightRequests(count: number) {
    const activity = this.#core.activity;
    activity.external = count - activity.ownInflight;
  }

  /** Push the idle deadline out by `sleepAfter` (for work that is not a request). */
  renewActivityTimeout(): void {
    this.#core.renewActivity();
  }

  /** Make sure the alarm fires within `ms` milliseconds (default 1000). */
  async scheduleNextAlarm(ms: number = DEFAULT_NEXT_ALARM_MS): Promise<void> {
    await this.#core.alarmWithin(ms);
  }

  /**
   * Runs due schedules, then checks the idle timer, then re-arms. Owned by
   * the class; prefer `schedule()`. An override must call `super.alarm()`.
   */
  override async alarm(_alarmInfo?: AlarmInvocationInfo): Promise<void> {
    await this.#core.alarm();
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
    return this.#core.schedule(when, callback, payload);
  }

  /** One schedule by id, or `undefined`. */
  async getSchedule<T = string>(taskId: string): Promise<Schedule<T> | undefined> {
    return this.#core.schedules.get<T>(taskId);
  }

  /** Every pending schedule of `callbackName`, soonest first. */
  async listSchedules<T = string>(callbackName: string): Promise<Schedule<T>[]> {
    return this.#core.schedules.list<T>(callbackName);
  }

  /** Delete every schedule of `callbackName` (synchronous). */
  deleteSchedules(callbackName: string): void {
    this.#core.schedules.deleteByCallback(callbackName);
  }

  // --- Outbound interception (run time; persisted) -------------------------------------

  // set/removeOutboundByHost(s), setOutboundHandler, set/allow/deny/remove…Host(s): outbound/methods.ts.
  static {
    installOutboundMethods(Container, (self) => (self as Container).#core.outbound);
  }
}

/** `RequestInit` for `containerFetch`, plus `wake: false` to never start the container. */
export type ContainerFetchInit = RequestInit & { wake?: boolean };

// Named outbound handlers merge when assigned, as the original's static setter does.
installNamedHandlerStatics(Container);
