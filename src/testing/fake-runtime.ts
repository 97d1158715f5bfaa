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
 * stderr is left unread (`testing/fake-exec`). Images: `start({ image })`
 * accepts the default image and the named images' references, and
 * `inspect()` reports the running image and labels. Snapshots:
 * `snapshotDirectory()` / `snapshotContainer()` hand out ids and record
 * them, and a start that restores one records what it restored (failures of
 * either can be queued).
 *
 * It lives in the Worker's isolate, keyed by Durable Object id, so it
 * outlives an eviction of the object just as a real container does.
 */

import { RUNTIME_MESSAGES } from "../errors";
import type {
  ContainerRuntime,
  RuntimeContainerInfo,
  RuntimeContainerSnapshot,
  RuntimeDirectorySnapshot,
  RuntimeExecOptions,
  RuntimeStartOptions,
  RuntimeTcpPort,
} from "../runtime";
import {
  EXEC_NOT_RUNNING,
  type ExecHandler,
  type FakeExecProcess,
  type FakeExecRecord,
  FakeExecTable,
} from "./fake-exec";

export type {
  ExecHandler,
  FakeExecBehaviour,
  FakeExecOptions,
  FakeExecOutput,
  FakeExecProcess,
  FakeExecRecord,
} from "./fake-exec";

/** The image a fake container runs when a start names none. */
export const FAKE_DEFAULT_IMAGE = "workerd-containers-fixture/app";
// The runtime's words when it has no image by the reference a start names.
const NO_SUCH_IMAGE = "No such image available named ";
// Snapshot ids are numbered across every fake of the isolate, so two objects never share one.
let snapshotCounter = 0;

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
  /** The named images, name → reference (see {@link FakeContainer.images}). @default {} */
  images?: Record<string, string>;
  /** The image a start without `image` runs. @default "workerd-containers-fixture/app" */
  defaultImage?: string;
  /** Size a snapshot reports, by directory (`"/"`: the whole container). @default 0 */
  snapshotBytes?: Record<string, number>;
}

/** One snapshot the fake took. */
export interface FakeSnapshotRecord {
  kind: "directory" | "container";
  id: string;
  /** The directory (a directory snapshot). */
  dir?: string;
  size: number;
}

/** What one start restored: the snapshot ids, with the directory each went to. */
export interface FakeRestoreRecord {
  directories: { id: string; dir: string; mountPoint: string }[];
  /** The id of a whole-container snapshot it started from. */
  container?: string;
}

/** One start of the fake container. */
interface FakeProcess {
  readonly startedAt: number;
  readonly options: RuntimeStartOptions;
  /** The image reference it runs. */
  readonly image: string;
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
  /**
   * The named images, name → image reference, as the runtime's `images`
   * exposes wrangler's `containers[].images`. `start({ image })` accepts
   * their references (not their names: the library resolves names first).
   *
   * @example
   * ```ts
   * fake.images = { tools: "registry.example.com/tools:2" };
   * ```
   */
  images: Record<string, string> = {};
  /**
   * The image a start without `image` runs; `start({ image })` accepts it
   * too. Any other image fails as the runtime's does ("No such image
   * available named <image>").
   */
  defaultImage = FAKE_DEFAULT_IMAGE;

  /** See {@link FakeContainerOptions.snapshotBytes}. */
  snapshotBytes: Record<string, number> = {};
  /** Errors the next `snapshotDirectory()` / `snapshotContainer()` calls reject with, in order. */
  readonly snapshotErrors: Error[] = [];
  /**
   * Errors the next starts that restore a snapshot fail with, in order, as a
   * launch that never ran (see {@link launchFailures}). A restore of an id this
   * fake never handed out fails the same way.
   *
   * @example
   * ```ts
   * fake.restoreErrors.push(new Error("Container failed to start: cp: can't stat '/snapshot'"));
   * ```
   */
  readonly restoreErrors: Error[] = [];
  /** Every snapshot taken, in order. */
  readonly snapshots: FakeSnapshotRecord[] = [];
  /** What each start that restored something restored, in order. */
  readonly restores: FakeRestoreRecord[] = [];

  /** Options of every `start()` that launched a process. */
  readonly starts: RuntimeStartOptions[] = [];
  /** Signals received, in order. */
  readonly signals: number[] = [];
  /** How many times `destroy()` was called. */
  destroys = 0;
  /** Requests that reached a listening port (probes included). */
  readonly requests: FakeRequestRecord[] = [];
  /** Every connection attempt to a port while the process ran, with its time and whether a server took it. */
  readonly connectAttempts: { port: number; at: number; listening: boolean }[] = [];
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
  readonly #snapshotIds = new Set<string>();
  #waiters: MonitorWaiter[] = [];
  readonly #execs = new FakeExecTable(this.execCalls);
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
    if (options.images !== undefined) this.images = { ...options.images };
    if (options.defaultImage !== undefined) this.defaultImage = options.defaultImage;
    if (options.snapshotBytes !== undefined) this.snapshotBytes = { ...options.snapshotBytes };
  }

  // --- The runtime API ------------------------------------------------------------

  get running(): boolean {
    return this.#process?.alive === true;
  }

  start(options: RuntimeStartOptions = {}): void {
    if (this.running) throw new Error("start() cannot be called on a container that is already running.");
    const error = this.startErrors.shift();
    if (error) throw error;
    if (options.containerSnapshot && options.image !== undefined) {
      throw new TypeError("start(): containerSnapshot and image cannot both be given.");
    }
    const image = options.image ?? this.defaultImage;
    if (image !== this.defaultImage && !Object.values(this.images).includes(image)) {
      throw new Error(`${NO_SUCH_IMAGE}${image}`);
    }
    this.starts.push(structuredClone(options));
    const failure = this.#restore(options) ?? this.launchFailures.shift();
    this.#process = { startedAt: Date.now(), options, image, alive: failure === undefined, error: failure };
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
    if (!this.running) throw new Error(EXEC_NOT_RUNNING);
    const process = this.#process!;
    return this.#execs.run(cmd, options, {
      handler: this.execHandler,
      hasShell: this.hasShell,
      alive: () => process.alive,
    });
  }

  /**
   * The running container's image (the one its start named, else
   * {@link defaultImage}) and the labels it was started with; `null` when
   * nothing is running.
   */
  async inspect(): Promise<RuntimeContainerInfo | null> {
    const process = this.#process;
    if (!process?.alive) return null;
    return { image: process.image, labels: { ...(process.options.labels ?? {}) } };
  }

  /** Snapshot one directory of the running container (an id, a size from {@link snapshotBytes}). */
  async snapshotDirectory(options: { dir: string; name?: string }): Promise<RuntimeDirectorySnapshot> {
    const size = this.#snapshot("snapshotDirectory", options.dir);
    const dir = options.dir;
    if (!dir.startsWith("/")) {
      throw new TypeError("snapshotDirectory() requires an absolute directory path (starting with '/').");
    }
    const id = `fake-dir-snap-${++snapshotCounter}`;
    this.snapshots.push({ kind: "directory", id, dir, size });
    this.#snapshotIds.add(id);
    return options.name === undefined ? { id, size, dir } : { id, size, dir, name: options.name };
  }

  /** Snapshot the running container's whole filesystem (its size is `snapshotBytes["/"]`). */
  async snapshotContainer(options: { name?: string } = {}): Promise<RuntimeContainerSnapshot> {
    const size = this.#snapshot("snapshotContainer", "/");
    const id = `fake-container-snap-${++snapshotCounter}`;
    this.snapshots.push({ kind: "container", id, size });
    this.#snapshotIds.add(id);
    return options.name === undefined ? { id, size } : { id, size, name: options.name };
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

  /** The size of the snapshot about to be taken of `dir`; throws as the runtime does, or a queued error. */
  #snapshot(method: string, dir: string): number {
    if (!this.running) throw new Error(`${method}() cannot be called on a container that is not running.`);
    const error = this.snapshotErrors.shift();
    if (error) throw error;
    return this.snapshotBytes[dir] ?? 0;
  }

  /** Record what a start restores; the error it fails with (queued, or an id never handed out). */
  #restore(options: RuntimeStartOptions): Error | undefined {
    const directories = (options.directorySnapshots ?? []).flatMap(({ snapshot, mountPoint }) =>
      snapshot ? [{ id: snapshot.id, dir: snapshot.dir, mountPoint: mountPoint ?? snapshot.dir }] : [],
    );
    const container = options.containerSnapshot?.id;
    if (directories.length === 0 && container === undefined) return undefined;
    this.restores.push(container === undefined ? { directories } : { directories, container });
    const queued = this.restoreErrors.shift();
    if (queued) return queued;
    const unknown = [...directories.map((entry) => entry.id), ...(container === undefined ? [] : [container])].find(
      (id) => !this.#snapshotIds.has(id),
    );
    return unknown === undefined ? undefined : new Error(`Container failed to start: no snapshot ${unknown}`);
  }

  #end(error: Error | undefined): void {
    const process = this.#process;
    if (!process?.alive) return;
    process.alive = false;
    process.error = error;
    this.#execs.stopAll();
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
    const attempt = { port, at: Date.now(), listening: false };
    this.connectAttempts.push(attempt);
    // Let the caller's code run first, as real network I/O would.
    await Promise.resolve();
    const elapsed = Date.now() - process.startedAt;
    if (elapsed < this.instanceDelayMs) throw new Error(RUNTIME_MESSAGES.noInstance);
    const handler = this.ports.get(port);
    if (!handler || elapsed < this.#listenDelay(port)) {
      throw new Error(`connect(): ${RUNTIME_MESSAGES.notListening} on port ${port}`);
    }
    attempt.listening = true;
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
