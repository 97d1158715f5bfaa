/**
 * @module runtime
 * The slice of the runtime's `ctx.container` this library uses. Declared here
 * (not taken from `@cloudflare/workers-types`) so the library type-checks
 * against any types version and the test fake implements exactly this.
 */

import type { ContainerInstanceType } from "./types";

/** Options the runtime's `start()` takes. */
export interface RuntimeStartOptions {
  env?: Record<string, string>;
  entrypoint?: string[];
  enableInternet?: boolean;
  labels?: Record<string, string>;
  /** An image reference to start instead of the default one (newer runtimes). */
  image?: string;
  /** A named instance type or custom resources (newer runtimes; local workerd ignores it). */
  instance?: ContainerInstanceType;
  /** Directory snapshots to restore before the process starts (newer runtimes; `persistDisk`). */
  directorySnapshots?: { snapshot: RuntimeDirectorySnapshot; mountPoint?: string }[];
  /** A whole-filesystem snapshot to start from instead of `image` (newer runtimes; `persistDisk`). */
  containerSnapshot?: { id: string };
}

/** A snapshot of one directory of a running container (`snapshotDirectory()`). */
export interface RuntimeDirectorySnapshot {
  id: string;
  /** Bytes. */
  size: number;
  dir: string;
  name?: string;
}

/** A snapshot of a running container's whole filesystem (`snapshotContainer()`). */
export interface RuntimeContainerSnapshot {
  id: string;
  /** Bytes. */
  size: number;
  name?: string;
}

/** Options the runtime's `exec()` takes (the part the library passes). */
export interface RuntimeExecOptions {
  cwd?: string;
  env?: Record<string, string>;
  user?: string;
  signal?: AbortSignal;
  /** A stream the process reads as its stdin, or `"pipe"` for a writable `stdin` on the process. */
  stdin?: ReadableStream<Uint8Array> | "pipe";
  stdout?: "pipe" | "ignore";
  /** `"combined"` sends stderr into stdout (the process's `stderr` is then `null`). */
  stderr?: "pipe" | "ignore" | "combined";
}

/**
 * A process `exec()` started. Its output streams must be read (or ignored
 * through the options) to the end: the runtime does not end the process
 * while one of them is left unread.
 */
export interface RuntimeExecProcess {
  readonly pid: number;
  /** `null` when the option said `"ignore"`. */
  readonly stdout: ReadableStream<Uint8Array> | null;
  /** `null` when the option said `"ignore"` or `"combined"`. */
  readonly stderr: ReadableStream<Uint8Array> | null;
  /** Resolves just after the output streams end. */
  readonly exitCode: Promise<number>;
  /** Send a POSIX signal to the process. */
  kill(signal?: number): void;
}

/** What `inspect()` tells about the running container. */
export interface RuntimeContainerInfo {
  image: string;
  labels: Record<string, string>;
}

/** A TCP port of the container, reachable over HTTP. */
export interface RuntimeTcpPort {
  fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response>;
}

/** The runtime's container handle (`ctx.container`). */
export interface ContainerRuntime {
  /** Whether a container process is running (not whether it is ready). */
  readonly running: boolean;
  /**
   * The named images configured for this container (wrangler's
   * `containers[].images`), name → image reference (newer runtimes).
   */
  readonly images?: Record<string, string>;
  /** Boot the container; synchronous; throws if it is already running. */
  start(options?: RuntimeStartOptions): void;
  /** Settles when the process ends: resolves on exit 0, rejects otherwise. */
  monitor(): Promise<void>;
  /** Kill the container; `reason` reaches `monitor()`'s rejection. */
  destroy(reason?: unknown): Promise<void>;
  /** Send a POSIX signal to the process. */
  signal(signo: number): void;
  /** A TCP port of the container. */
  getTcpPort(port: number): RuntimeTcpPort;
  /** Send the container's outbound HTTP to `host` through `fetcher`. */
  interceptOutboundHttp?(host: string, fetcher: Fetcher): Promise<void>;
  /** Send all of the container's outbound HTTP through `fetcher`. */
  interceptAllOutboundHttp?(fetcher: Fetcher): Promise<void>;
  /** Send the container's outbound HTTPS to `host` (`"*"`: all) through `fetcher` (newer runtimes). */
  interceptOutboundHttps?(host: string, fetcher: Fetcher): Promise<void>;
  /**
   * Run a command in the running container, through its `/bin/sh` (newer
   * runtimes). Throws when the container is not running.
   */
  exec?(cmd: string[], options?: RuntimeExecOptions): Promise<RuntimeExecProcess>;
  /** The running container's image and labels (newer runtimes). */
  inspect?(): Promise<RuntimeContainerInfo | null>;
  /** Snapshot one directory of the running container (newer runtimes; locally behind `experimental`). */
  snapshotDirectory?(options: { dir: string; name?: string }): Promise<RuntimeDirectorySnapshot>;
  /** Snapshot the running container's whole filesystem (newer runtimes). */
  snapshotContainer?(options?: { name?: string }): Promise<RuntimeContainerSnapshot>;
}
