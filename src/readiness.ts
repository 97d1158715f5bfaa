/**
 * @module readiness
 * Readiness polling: one probe of a port (`sendProbe`), and probing until it
 * answers within a budget (`pollUntilReady`), with cancellable waits.
 */

import { FAST_POLL_WINDOW_MS, PROBE_SPACING_MS } from "./constants";
import { ContainerAbortedError, ContainerTimeoutError, classifyRuntimeError, messageOf } from "./errors";
import type { RuntimeFailure } from "./errors";
import type { ContainerRuntime } from "./runtime";

/** Upper bound for one probe, so a port that accepts but never answers cannot stall a wait. */
export const PROBE_TIMEOUT_MS = 5_000;

/** What one probe of a port found. */
export type ProbeResult =
  | { ready: true }
  | { ready: false; failure: RuntimeFailure; error: unknown; timedOut?: boolean };

/**
 * Send one request to `url` on `port`. Any HTTP response means the port is
 * ready, unless `accept` is given: then only a status it accepts does.
 */
export async function sendProbe(
  runtime: ContainerRuntime,
  port: number,
  url: string,
  timeoutMs: number,
  signal?: AbortSignal,
  accept?: (status: number) => boolean,
): Promise<ProbeResult> {
  const controller = new AbortController();
  const timeoutError = new Error(`probe of port ${port} timed out after ${timeoutMs} ms`);
  const timer = setTimeout(() => controller.abort(timeoutError), timeoutMs);
  const onAbort = () => controller.abort(signal?.reason);
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    const response = await runtime.getTcpPort(port).fetch(url, { signal: controller.signal });
    // Only the status line matters; release the body so the connection is freed.
    response.body?.cancel().catch(() => {});
    if (accept && !accept(response.status)) {
      const error = new Error(`${url} on port ${port} answered ${response.status}, which readyOn does not accept`);
      return { ready: false, failure: { kind: "unknown" }, error };
    }
    return { ready: true };
  } catch (error) {
    const timedOut = controller.signal.reason === timeoutError && !signal?.aborted;
    return { ready: false, failure: classifyRuntimeError(error), error, timedOut };
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener("abort", onAbort);
  }
}

/**
 * The last probe's error for a timeout message. A port nobody listens on is
 * named with the original's phrase, "the container is not listening", which
 * dependents match by substring; local workerd words it differently
 * ("Container is not listening to port 8080").
 */
function lastErrorText(last: Extract<ProbeResult, { ready: false }>, port: number): string {
  const message = messageOf(last.error);
  if (last.failure.kind !== "not-listening" || message.toLowerCase().includes(ORIGINAL_NOT_LISTENING)) return message;
  return `${ORIGINAL_NOT_LISTENING} on port ${port}: ${message}`;
}

const ORIGINAL_NOT_LISTENING = "the container is not listening";

/**
 * Wait for `promise` to settle, at most `ms`; never rejects. The timer is
 * cleared when the promise wins: a pending timer would keep the Durable
 * Object from being evicted (and its container's sidecar from going) for
 * that long after the work is done.
 */
export async function settleWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const bound = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  try {
    await Promise.race([
      promise.then(
        () => undefined,
        () => undefined,
      ),
      bound,
    ]);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}

/** Wait `ms`, or reject with a {@link ContainerAbortedError} when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError(signal));
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError(signal!));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** The error a cancelled wait rejects with. */
export function abortError(signal: AbortSignal): ContainerAbortedError {
  const reason: unknown = signal.reason;
  return new ContainerAbortedError(
    `Container start was aborted${reason === undefined ? "" : `: ${messageOf(reason)}`}`,
    { cause: reason },
  );
}

/** Settings for {@link pollUntilReady}. */
export interface PollOptions {
  /** Absolute time (ms since epoch) after which the wait fails. */
  deadline: number;
  /** Largest gap between probes; early probes come sooner (see {@link probeSpacing}). */
  maxIntervalMs: number;
  /** Cancels the wait. */
  signal?: AbortSignal;
  /**
   * Decide whether a failed probe ends the wait early: return an error to
   * fail with, `"ready"` to end it as ready (the failure says enough, e.g.
   * "not listening" proves an instance exists), or `undefined` to keep polling.
   */
  giveUp?: (result: Extract<ProbeResult, { ready: false }>) => Error | "ready" | undefined;
  /** What the wait is for, used in the timeout message. */
  what: string;
  /**
   * Opens the timeout message: the original's phrase for this wait
   * ("Failed to verify port 8080 is available", "Container did not start"),
   * which dependents of the original match by substring.
   */
  headline?: string;
  /** Statuses that count as ready (any response when absent). */
  accept?: (status: number) => boolean;
  now?: () => number;
}

/**
 * When each port of a runtime was last probed, so that waits one after the
 * other (the instance, then its ports) keep the spacing between them too.
 */
const lastProbeAt = new WeakMap<ContainerRuntime, Map<number, number>>();

/**
 * The gap between the starts of two probes of a port: {@link PROBE_SPACING_MS}
 * (or a smaller cap) for the first {@link FAST_POLL_WINDOW_MS} of a wait,
 * then doubling up to the cap. The original polled at a flat 300 ms.
 */
export function probeSpacing(sinceStartMs: number, previousMs: number | undefined, capMs: number): number {
  const base = Math.min(PROBE_SPACING_MS, capMs);
  if (previousMs === undefined || sinceStartMs < FAST_POLL_WINDOW_MS) return base;
  return Math.min(Math.max(previousMs * 2, base), Math.max(capMs, base));
}

/**
 * Wait until `gap` ms have passed since `previous` (by the clock the probes
 * are stamped with: workerd's moves in whole milliseconds at I/O, so one
 * sleep may end a millisecond short), or until the deadline.
 */
async function untilGap(
  previous: number | undefined,
  gap: number,
  options: PollOptions,
  now: () => number,
): Promise<void> {
  if (options.signal?.aborted) throw abortError(options.signal);
  if (previous === undefined) return;
  // A few tries only: a clock that does not move (a test's frozen Date) must not stall the wait.
  for (let tries = 0; tries < 3; tries++) {
    const wait = Math.min(previous + gap - now(), options.deadline - now());
    if (wait <= 0) return;
    await sleep(Math.max(1, wait), options.signal);
  }
}

/**
 * Probe `port` until it answers, at most one probe per {@link probeSpacing}
 * (a probe that takes longer is followed at once). Never outlives `deadline`.
 *
 * @returns how many attempts it took
 */
export async function pollUntilReady(
  runtime: ContainerRuntime,
  port: number,
  url: string,
  options: PollOptions,
): Promise<number> {
  const now = options.now ?? Date.now;
  const began = now();
  const ports = lastProbeAt.get(runtime) ?? new Map<number, number>();
  lastProbeAt.set(runtime, ports);
  let spacing: number | undefined;
  let last: Extract<ProbeResult, { ready: false }> | undefined;
  // The gap before the first probe keeps the spacing from a wait just before on this port.
  let gap = Math.min(PROBE_SPACING_MS, options.maxIntervalMs);
  for (let attempt = 1; ; attempt++) {
    await untilGap(ports.get(port), gap, options, now);
    const remaining = options.deadline - now();
    if (remaining <= 0 && attempt > 1) break;
    const timeout = Math.max(1, Math.min(PROBE_TIMEOUT_MS, remaining));
    ports.set(port, now());
    const result = await sendProbe(runtime, port, url, timeout, options.signal, options.accept);
    if (result.ready) return attempt;
    if (options.signal?.aborted) throw abortError(options.signal);
    // A probe cut short by the end of the budget says only that time ran
    // out; the failure before it (say, "not listening") is the better reason.
    const cutShort = result.timedOut === true && timeout < PROBE_TIMEOUT_MS;
    if (!(cutShort && last)) last = result;
    const verdict = options.giveUp?.(result);
    if (verdict === "ready") return attempt;
    if (verdict) throw verdict;
    if (options.deadline - now() <= 0) break;
    spacing = probeSpacing(now() - began, spacing, options.maxIntervalMs);
    gap = spacing;
  }
  throw new ContainerTimeoutError(
    `${options.headline ? `${options.headline}: ` : ""}${options.what} was not ready in time` +
      (last ? ` (last error: ${lastErrorText(last, port)})` : ""),
    { cause: last?.error },
  );
}
