/**
 * @module lifecycle/monitor
 * Turn the runtime's `monitor()` promise into one settled outcome per process,
 * so `onStop` can be called exactly once for each stop.
 */

import { classifyRuntimeError } from "../errors";
import type { StopParams } from "../types";

/** How a watched process ended. */
export type ExitOutcome =
  /** The process ran and ended; `params` is what `onStop` receives. */
  | { kind: "exited"; params: StopParams }
  /**
   * The runtime never provided an instance, refused the start (rate limited)
   * or could not start the process: nothing ran.
   */
  | { kind: "never-started"; error: unknown }
  /**
   * `monitor()` failed for a reason that carries no exit code. `params`
   * reports exit code 1 so `onStop` still learns the process is gone.
   */
  | { kind: "failed"; params: StopParams; error: unknown };

/** Exit code reported when the runtime's failure names none. */
export const UNKNOWN_EXIT_CODE = 1;

/** Settle with the process's outcome; never rejects. */
export async function watchExit(monitor: () => Promise<void>): Promise<ExitOutcome> {
  try {
    await monitor();
    return { kind: "exited", params: { exitCode: 0, reason: "exit" } };
  } catch (error) {
    const failure = classifyRuntimeError(error);
    if (failure.kind === "exited") {
      return { kind: "exited", params: { exitCode: failure.exitCode, reason: failure.reason } };
    }
    if (failure.kind === "no-instance" || failure.kind === "rate-limited" || failure.kind === "start-failed") {
      return { kind: "never-started", error };
    }
    return { kind: "failed", params: { exitCode: UNKNOWN_EXIT_CODE, reason: "exit" }, error };
  }
}
