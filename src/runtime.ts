/**
 * @module runtime
 * The slice of the runtime's `ctx.container` this library uses. Declared here
 * (not taken from `@cloudflare/workers-types`) so the library type-checks
 * against any types version and the test fake implements exactly this.
 */

/** Options the runtime's `start()` takes. */
export interface RuntimeStartOptions {
  env?: Record<string, string>;
  entrypoint?: string[];
  enableInternet?: boolean;
  labels?: Record<string, string>;
}

/** A TCP port of the container, reachable over HTTP. */
export interface RuntimeTcpPort {
  fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response>;
}

/** The runtime's container handle (`ctx.container`). */
export interface ContainerRuntime {
  /** Whether a container process is running (not whether it is ready). */
  readonly running: boolean;
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
}
