/**
 * @module types
 * Public types of the package. Shapes match `@cloudflare/containers` so code
 * written against it type-checks unchanged.
 */

import type { SnapshotStatus } from "./lifecycle/persist";
import type { RestartStatus } from "./lifecycle/supervisor";
export type { PersistDisk, SnapshotStatus } from "./lifecycle/persist";
export type { RestartPolicy, RestartStatus } from "./lifecycle/supervisor";
export type { ContainerEvent, ContainerEventType } from "./events";

/**
 * HTTP readiness (opt-in): a port counts as ready only when `GET path`
 * answers one of `status`.
 */
export interface ReadyOn {
  /** The port this applies to. @default defaultPort */
  port?: number;
  /** Path requested. @default "/" */
  path?: string;
  /** Accepted status codes. @default any 2xx */
  status?: number | number[];
}

/** A named signal `stop()` accepts. */
export type Signal = "SIGKILL" | "SIGINT" | "SIGTERM";
/** A raw POSIX signal number. */
export type SignalInteger = number;

/** Why and how the container process ended, passed to `onStop`. */
export interface StopParams {
  /** Exit code of the container process. */
  exitCode: number;
  /** `"exit"` when the process ended by itself, `"runtime_signal"` when the runtime stopped it. */
  reason: "exit" | "runtime_signal";
}

/** Persisted container state, as `getState()` returns it. */
export type State = {
  /** When the status last changed, in milliseconds since the epoch. */
  lastChange: number;
  /** Progress of the restart policy, when the class sets `restart` and it acted. */
  restart?: RestartStatus;
  /**
   * The `persistDisk` snapshot the next start restores, when one is stored (kept under its own
   * storage key, not with the rest of the state).
   */
  snapshot?: SnapshotStatus;
} & (
  | {
      /**
       * `running`: started, not yet healthy; `healthy`: ports ready;
       * `stopping`: a stop was requested; `stopped`: not running.
       */
      status: "running" | "healthy" | "stopping" | "stopped";
    }
  | {
      /** The process exited with a non-zero code. */
      status: "stopped_with_code";
      /** The exit code, when known. */
      exitCode?: number;
    }
);

/** A callback scheduled with `schedule()`. */
export type Schedule<T = string> = {
  /** Unique id of the schedule. */
  taskId: string;
  /** Name of the method that runs. */
  callback: string;
  /** Payload passed to the method. */
  payload: T;
} & (
  | {
      /** Runs at an absolute time. */
      type: "scheduled";
      /** When it runs, in seconds since the epoch. */
      time: number;
    }
  | {
      /** Runs after a delay. */
      type: "delayed";
      /** When it runs, in seconds since the epoch. */
      time: number;
      /** The delay it was scheduled with, in seconds. */
      delayInSeconds: number;
    }
);

/** Per-start settings; each overrides the class field of the same meaning. */
export interface ContainerStartConfigOptions {
  /** Environment variables for this start (replace `envVars`). */
  envVars?: Record<string, string>;
  /** Command to run instead of the image's entrypoint. */
  entrypoint?: string[];
  /** Whether the container may reach the internet. */
  enableInternet?: boolean;
  /**
   * Metadata labels attached to the container. Deployed, the runtime refuses a
   * start with more than 10 labels, a name over 16 bytes or a value over 64
   * bytes (UTF-8), an empty name, or a control character; the library checks
   * these first, locally too, so a start that would fail deployed fails here.
   */
  labels?: Record<string, string>;
  /**
   * Image to start instead of the container's default one: a name from the
   * named images configured in wrangler (a `containers` entry's `images` map,
   * which the runtime exposes as `ctx.container.images`) or a full image
   * reference. A non-empty string without whitespace or control characters.
   */
  image?: string;
  /**
   * Instance type of this start: a named type or custom resources. Local
   * `wrangler dev` accepts and ignores it; deployed, it picks the instance.
   */
  instance?: ContainerInstanceType;
}

/**
 * Resources of a custom instance type. `vcpu` may be a fraction (the
 * platform's smallest instances have 1/16 or 1/4 of a vCPU); memory and disk
 * are whole numbers.
 */
export interface InstanceResources {
  /** Virtual CPUs: a positive number, e.g. `0.25`. */
  vcpu: number;
  /** Memory in MiB: a positive integer. */
  memoryMib: number;
  /** Disk in MB: a positive integer. */
  diskMb: number;
}

/**
 * The instance a start asks for: one of the platform's named instance types,
 * or custom resources.
 */
export type ContainerInstanceType =
  | "lite"
  | "basic"
  | "standard-1"
  | "standard-2"
  | "standard-3"
  | "standard-4"
  | InstanceResources;

/** Settings passed to the `Container` constructor. */
export interface ContainerOptions {
  /** Accepted for compatibility; the Durable Object id is used. */
  id?: string;
  /** Port `fetch`/`containerFetch` target. */
  defaultPort?: number;
  /** Idle time before `onActivityExpired` (seconds, or `"30s"`, `"5m"`, `"1h"`). */
  sleepAfter?: string | number;
  /** Environment variables for every start. */
  envVars?: Record<string, string>;
  /** Command to run instead of the image's entrypoint. */
  entrypoint?: string[];
  /** Whether the container may reach the internet. */
  enableInternet?: boolean;
}

/** Options of `waitForPort` (and the probe `start()` makes). */
export interface WaitOptions {
  /** Port to poll. */
  portToCheck: number;
  /** Cancels the wait. */
  signal?: AbortSignal;
  /** How many attempts before giving up. */
  retries?: number;
  /** Milliseconds between attempts (the upper bound; early retries come sooner). */
  waitInterval?: number;
}

/** Budgets and cancellation for `startAndWaitForPorts`. */
export interface CancellationOptions {
  /** Cancels the start and the wait. */
  abort?: AbortSignal;
  /** Budget to obtain an instance and issue the start. @default 8000 */
  instanceGetTimeoutMS?: number;
  /** Budget for all ports to become ready. @default 20000 */
  portReadyTimeoutMS?: number;
  /** Upper bound of the polling interval in milliseconds. @default 300 */
  waitInterval?: number;
}

/** Object form of `startAndWaitForPorts`' arguments. */
export interface StartAndWaitForPortsOptions {
  /** Port or ports to wait for; defaults to `requiredPorts`, then `defaultPort`. */
  ports?: number | number[];
  /** Per-start overrides. */
  startOptions?: ContainerStartConfigOptions;
  /** Budgets and cancellation. */
  cancellationOptions?: CancellationOptions;
}

/** A message exchanged with a container. */
export interface ContainerMessage<T = unknown> {
  /** Message kind. */
  type: string;
  /** Message body. */
  payload?: T;
}

/** A parameterless lifecycle callback. */
export type ContainerEventHandler = () => void | Promise<void>;
