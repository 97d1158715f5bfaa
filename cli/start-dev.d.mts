// Types of `workerd-containers/dev` (cli/start-dev.mjs), written by hand.

export interface StartDevOptions {
  /** wrangler.jsonc, wrangler.json or wrangler.toml: a path (relative to `cwd`) or a file: URL. */
  config: string | URL;
  /** Where wrangler runs and keeps .wrangler/ (default: process.cwd()). */
  cwd?: string;
  /** Port on 127.0.0.1 (default: a free one). */
  port?: number;
  /** Added to wrangler's environment (over process.env). */
  env?: Record<string, string>;
  /**
   * Progress lines: what was detected and done, and wrangler's build and ready lines.
   * Default: console.log with a "[startDev]" prefix; false: none.
   */
  log?: ((line: string) => void) | false;
  /** Every line wrangler prints, instead of the few `log` gets. */
  output?: (line: string) => void;
  /** More `wrangler dev` arguments, e.g. ["--persist-to", dir] or ["--var", "KEY:value"]. */
  args?: string[];
  /** Do not try to pull the networking sidecar image (build the local stand-in when it is absent). */
  offline?: boolean;
  /** How long a pull of the sidecar image may take (default 60 000 ms). */
  pullTimeoutMs?: number;
  /** How long wrangler may take to say "Ready on" (default 180 000 ms; image builds come first). */
  readyTimeoutMs?: number;
}

/** A container of this run, as `docker ps` reports it. */
export interface DevContainer {
  id: string;
  /** workerd-<session>-<worker>-<class>-<id>, with "-proxy" for the networking sidecar. */
  name: string;
  /** Docker's state: "running", "exited", … */
  state: string;
  /** Whether it is the networking sidecar of an app container. */
  sidecar: boolean;
  /** The session id workerd labels it with (dev.workerd.session). */
  session: string;
}

export interface DevServer {
  /** http://127.0.0.1:<port> */
  url: string;
  port: number;
  /** PID of wrangler (it leads its own process group). */
  pid: number | undefined;
  /** fetch() relative to `url`. */
  fetch(path?: string, init?: RequestInit): Promise<Response>;
  /** Stops wrangler (SIGTERM, then SIGKILL to its process group after 10 s) and removes this run's containers. */
  stop(): Promise<void>;
  /** The containers of this run (sidecars included), in every state. */
  containers(): Promise<DevContainer[]>;
  /** The last 200 lines wrangler printed. */
  output(): string[];
}

/** Runs the project's `wrangler dev` on real containers, prepared as `workerd-containers dev` prepares it. */
export function startDev(options: StartDevOptions): Promise<DevServer>;
