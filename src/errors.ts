/**
 * @module errors
 * Classify the runtime's error messages once, and the error types the library
 * raises. The runtime reports failures as `Error`s whose message is most of
 * what survives, so classification reads the message (and its `cause` chain)
 * with patterns kept here, never scattered through the class. Where an error
 * carries a structured field (a numeric `exitCode`), that wins over the text:
 * wording drifts between runtime versions, a number does not.
 */

import { NO_INSTANCE_RETRY_AFTER_S, RATE_LIMITED_RETRY_AFTER_S } from "./constants";

/** Message fragments the runtime uses (compared case-insensitively). */
export const RUNTIME_MESSAGES = {
  noInstance: "there is no container instance that can be provided to this durable object",
  rateLimited: "you are requesting too many containers per second",
  runtimeSignalled: "runtime signalled the container to exit",
  unexpectedExit: "container exited with unexpected exit code",
  // "the container is not listening" (deployed), "Container is not listening to port 8080" (local workerd)
  notListening: "container is not listening",
  connectionLost: "network connection lost",
  notRunning: "container is not running",
  // monitor() when the runtime could not create or start the process (local
  // workerd after a Docker daemon restart, for one): nothing ran.
  startFailed: "container failed to start",
  // start() with an image the runtime does not have: "No such image available named <reference>".
  noImage: "no such image available named",
} as const;

/** What a runtime error means to the library. */
export type RuntimeFailure =
  | { kind: "no-instance" }
  | { kind: "rate-limited" }
  | { kind: "exited"; exitCode: number; reason: "exit" | "runtime_signal" }
  | { kind: "not-listening" }
  | { kind: "not-running" }
  | { kind: "start-failed" }
  /** The image asked for is not available; `image` is the reference the message names, if any. */
  | { kind: "no-image"; image: string | undefined }
  | { kind: "connection-lost" }
  | { kind: "unknown" };

// The code is the first number after the fragment: "…exit code: 1" (deployed
// runtime), "…exit code 137" (local workerd, no colon), "…to exit due to a new
// version rollout: 0".
const FIRST_NUMBER = /(-?\d+)/;
// The image reference after the fragment, as the runtime wrote it (the fragment has no special characters).
const NO_IMAGE_NAMED = new RegExp(`${RUNTIME_MESSAGES.noImage}\\s+(\\S+)`, "i");

/**
 * `error` and every `cause` beneath it (at most 8), ending at the first link
 * that is not an `Error` (or no longer an object).
 */
function causeChain(error: unknown): unknown[] {
  const chain: unknown[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 8; depth++) {
    chain.push(current);
    if (!(current instanceof Error) && typeof current !== "object") break;
    current = (current as { cause?: unknown }).cause;
  }
  return chain;
}

/** Classify an error thrown or rejected by `ctx.container`. */
export function classifyRuntimeError(error: unknown): RuntimeFailure {
  const chain = causeChain(error);
  const texts = chain.map((link) => (link instanceof Error ? link.message : String(link)));
  const messages = texts.map((text) => text.toLowerCase());
  // The first numeric `exitCode` along the chain, if any.
  const exitCode = chain
    .map((link) => (typeof link === "object" ? (link as { exitCode?: unknown }).exitCode : undefined))
    .find((code): code is number => typeof code === "number" && Number.isInteger(code));
  if (exitCode !== undefined) {
    const signalled = messages.some((message) => message.includes(RUNTIME_MESSAGES.runtimeSignalled));
    return { kind: "exited", exitCode, reason: signalled ? "runtime_signal" : "exit" };
  }
  for (const [index, message] of messages.entries()) {
    if (message.includes(RUNTIME_MESSAGES.noInstance)) return { kind: "no-instance" };
    if (message.includes(RUNTIME_MESSAGES.noImage)) {
      // The reference keeps its case: read it from the message as written.
      return { kind: "no-image", image: NO_IMAGE_NAMED.exec(texts[index]!)?.[1] };
    }
    if (message.includes(RUNTIME_MESSAGES.rateLimited)) return { kind: "rate-limited" };
    const signalled = message.indexOf(RUNTIME_MESSAGES.runtimeSignalled);
    const exited = message.indexOf(RUNTIME_MESSAGES.unexpectedExit);
    if (signalled !== -1 || exited !== -1) {
      const fragmentEnd =
        signalled !== -1
          ? signalled + RUNTIME_MESSAGES.runtimeSignalled.length
          : exited + RUNTIME_MESSAGES.unexpectedExit.length;
      const code = FIRST_NUMBER.exec(message.slice(fragmentEnd));
      return {
        kind: "exited",
        exitCode: code ? Number(code[1]) : 1,
        reason: signalled !== -1 ? "runtime_signal" : "exit",
      };
    }
    if (message.includes(RUNTIME_MESSAGES.notListening)) return { kind: "not-listening" };
    if (message.includes(RUNTIME_MESSAGES.connectionLost)) return { kind: "connection-lost" };
    if (message.includes(RUNTIME_MESSAGES.notRunning)) return { kind: "not-running" };
    if (message.includes(RUNTIME_MESSAGES.startFailed)) return { kind: "start-failed" };
  }
  return { kind: "unknown" };
}

/** A short, quoted description of a value for error messages ("what was given"). */
export function describeValue(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (value instanceof Date) return `Date(${value.toString()})`;
  if (typeof value === "object" && value !== null) {
    try {
      return `${Array.isArray(value) ? "array" : "object"} ${JSON.stringify(value)}`;
    } catch {
      return "object";
    }
  }
  return `${typeof value} ${String(value)}`;
}

/** The message of any thrown value. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * A failure that has an HTTP meaning: `containerFetch` turns it into a
 * response with {@link ContainerHttpError.toResponse}. Internal: not exported
 * from the package.
 */
export class ContainerHttpError extends Error {
  override readonly name: string = "ContainerHttpError";
  /** HTTP status of the response this error becomes. */
  readonly status: number;
  /** Seconds for a `Retry-After` header, when a retry makes sense. */
  readonly retryAfterSeconds: number | undefined;

  constructor(message: string, status: number, options?: { cause?: unknown; retryAfterSeconds?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.status = status;
    this.retryAfterSeconds = options?.retryAfterSeconds;
  }

  /** The plain-text response this error stands for. */
  toResponse(): Response {
    const headers = new Headers({ "content-type": "text/plain; charset=utf-8" });
    if (this.retryAfterSeconds !== undefined) headers.set("retry-after", String(this.retryAfterSeconds));
    return new Response(this.message, { status: this.status, headers });
  }
}

/**
 * Map a start or readiness failure to the error `containerFetch` answers with:
 * no instance → 503, rate limited → 429 (both with `Retry-After`), anything
 * else → 500 "Failed to start container: …".
 */
export function startFailureToHttpError(error: unknown): ContainerHttpError {
  if (error instanceof ContainerHttpError) return error;
  const failure = classifyRuntimeError(error);
  if (failure.kind === "no-instance") {
    return new ContainerHttpError(
      "There is no Container instance available at this time. The class may be at its max_instances limit, or its " +
        "container may still be provisioning; try again shortly.",
      503,
      { cause: error, retryAfterSeconds: NO_INSTANCE_RETRY_AFTER_S },
    );
  }
  if (failure.kind === "rate-limited") {
    // The runtime's own words, as the original answers (dependents match them).
    return new ContainerHttpError(messageOf(error), 429, {
      cause: error,
      retryAfterSeconds: RATE_LIMITED_RETRY_AFTER_S,
    });
  }
  return new ContainerHttpError(`Failed to start container: ${messageOf(error)}`, 500, { cause: error });
}

/** Raised when a readiness wait runs out of budget or retries. */
export class ContainerTimeoutError extends Error {
  override readonly name = "ContainerTimeoutError";
}

/** Raised when a start or wait is cancelled through an `AbortSignal`. */
export class ContainerAbortedError extends Error {
  override readonly name = "ContainerAbortedError";
}

/** What a request that must not wake the container (`wake: false`) gets while it is stopped. */
export function notRunningError(): ContainerHttpError {
  return new ContainerHttpError("The container is not running (not started: wake is false).", 503, {
    retryAfterSeconds: NO_INSTANCE_RETRY_AFTER_S,
  });
}
