/**
 * @module events
 * Typed lifecycle events, delivered to `Container.onEvent`, so metrics and
 * logs need no override of every hook. Every event carries `at` (ms since
 * the epoch) and its own timings.
 */

/** A lifecycle event. */
export type ContainerEvent =
  /** A container process was launched (`restart`: by the restart policy). */
  | { type: "start"; at: number; restart: boolean }
  /** Every port waited for answered; `startupMs` since the launch. */
  | { type: "ready"; at: number; ports: number[]; startupMs: number }
  /** The process ended; `requested` when stop(), destroy() or the library asked for it. */
  | {
      type: "stop";
      at: number;
      exitCode: number;
      reason: "exit" | "runtime_signal";
      requested: boolean;
      /** How long the process ran, when this instance saw it start. */
      uptimeMs: number | undefined;
    }
  /** A start or readiness error (also passed to `onError`). */
  | { type: "error"; at: number; error: unknown }
  /** `sleepAfter` passed with no activity; `onActivityExpired` runs next. */
  | { type: "activityExpired"; at: number; sleepAfterMs: number }
  /** The restart policy will start the container again after `delayMs`. */
  | { type: "restart"; at: number; attempt: number; maxRetries: number; delayMs: number; exitCode: number }
  /** The restart policy gave up after `attempts` restarts. */
  | { type: "restartGaveUp"; at: number; attempts: number; exitCode: number }
  /** `hardTimeout` passed: the container is being stopped regardless of activity. */
  | { type: "hardTimeout"; at: number; hardTimeoutMs: number }
  /** `persistDisk`: a snapshot was taken before a stop (`bytes` in all, taking it took `ms`) and stored. */
  | { type: "snapshot"; at: number; kind: "directory" | "container"; ids: string[]; bytes: number; ms: number }
  /** `persistDisk`: a start restored the stored snapshot and the container is reachable. */
  | { type: "restore"; at: number; ids: string[] };

/** The `type` of a {@link ContainerEvent}. */
export type ContainerEventType = ContainerEvent["type"];
