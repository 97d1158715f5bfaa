/**
 * @module exec/errors
 * What goes wrong with `exec`, in words that say what to do: the runtime's
 * failure texts, the error classes, and the errors made from them.
 */

import { ContainerTimeoutError, classifyRuntimeError, messageOf } from "../errors";

/** Exit code of a command the container could not run at all (no `/bin/sh`, for one). */
export const EXEC_CANNOT_RUN_EXIT_CODE = 126;

/** Texts of the runtime's exec failures (compared case-insensitively). */
export const EXEC_MESSAGES = {
  // "exec() cannot be called on a container that is not running"
  notRunning: "cannot be called on a container that is not running",
  // Written on the output, with exit code 126: "OCI runtime exec failed: exec failed: unable to start
  // container process: exec: "/bin/sh": stat /bin/sh: no such file or directory"
  ociExecFailed: "oci runtime exec failed",
  shell: "/bin/sh",
} as const;

/** Raised when `exec` needs a running container and there is none. */
export class ContainerNotRunningError extends Error {
  override readonly name = "ContainerNotRunningError";
}

/** Raised when the container image has no `/bin/sh`, through which the runtime runs every command. */
export class ExecShellMissingError extends Error {
  override readonly name = "ExecShellMissingError";
}

/**
 * The error for `exec` with `{ wake: false }` while the container is stopped
 * (`Container.exec` throws it instead of starting the container).
 */
export function execWithoutWakeError(cmd: readonly string[]): ContainerNotRunningError {
  return new ContainerNotRunningError(
    `Cannot exec ${describeCommand(cmd)}: the container is not running, and exec with { wake: false } does not ` +
      "start it. Start it first (start() or startAndWaitForPorts()), or leave wake at its default (true).",
  );
}

/** The error of a command killed because it ran past its `timeout`. */
export function execTimeoutError(cmd: readonly string[], timeoutMs: number): ContainerTimeoutError {
  return new ContainerTimeoutError(
    `exec ${describeCommand(cmd)} timed out after ${timeoutMs} ms; the process was killed (SIGKILL).`,
  );
}

/** `output()` of `cmd` met more than `maxBytes` on one stream: the command was killed. */
export function execOutputTooLargeError(cmd: readonly string[], stream: string, maxBytes: number): Error {
  return new RangeError(
    `exec ${describeCommand(cmd)}: output() keeps at most ${maxBytes} bytes of each stream and ${stream} went ` +
      `past it, so the command was killed (SIGKILL). Read the ${stream} stream instead for output this large.`,
  );
}

/** What an error the runtime threw or rejected with, starting or running `cmd`, means for the caller. */
export function execRuntimeError(cmd: readonly string[], error: unknown): Error {
  const message = messageOf(error);
  if (isShellMissingText(message)) return shellMissingError(cmd, message);
  if (message.toLowerCase().includes(EXEC_MESSAGES.notRunning) || classifyRuntimeError(error).kind === "not-running") {
    return new ContainerNotRunningError(
      `Cannot exec ${describeCommand(cmd)}: the container is not running (it stopped before or while the ` +
        "command ran). Start it again and retry.",
      { cause: error },
    );
  }
  return new Error(`exec ${describeCommand(cmd)} failed: ${message}`, { cause: error });
}

/** Whether `text` is the runtime's "no /bin/sh" failure. */
export function isShellMissingText(text: string): boolean {
  const lower = text.toLowerCase();
  return lower.includes(EXEC_MESSAGES.ociExecFailed) && lower.includes(EXEC_MESSAGES.shell);
}

/** The error for an image without `/bin/sh`, quoting the first line of what the runtime said. */
export function shellMissingError(cmd: readonly string[], runtimeText: string): ExecShellMissingError {
  const said = runtimeText.trim().split("\n")[0]!.slice(0, 300);
  return new ExecShellMissingError(
    `Cannot exec ${describeCommand(cmd)}: the container image has no ${EXEC_MESSAGES.shell}. The runtime runs ` +
      `every exec command through ${EXEC_MESSAGES.shell}, so the image needs one (scratch and distroless images ` +
      `have none: add a shell such as busybox, or use a base image that ships it). The runtime said: ${said}`,
  );
}

function describeCommand(cmd: readonly string[]): string {
  const text = JSON.stringify(cmd);
  return text.length > 200 ? `${text.slice(0, 199)}…` : text;
}
