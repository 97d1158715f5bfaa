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
  accept?: (status: number) => boolean,
): Promise<ProbeResult> {
  const controller = new AbortController();
  const timeoutError = probeTimeoutError(port, timeoutMs);
  const timer = setTimeout(() => controller.abort(timeoutError), timeoutMs);
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
    const timedOut = controller.signal.reason === timeoutError;
    return { ready: false, failure: classifyRuntimeError(error), error, timedOut };
  } finally {
    clearTimeout(timer);
  }
}

function probeTimeoutError(port: number, ms: number): Error {
  return new Error(`probe of port ${port} timed out after ${ms} ms`);
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
 * `promise`'s outcome, or `onTimeout()` once `ms` pass first. The timer is
 * cleared when the promise wins: a pending timer would keep the Durable
 * Object from being evicted (and its container's sidecar from going) for
 * that long after the work is done.
 */
export async function within<T>(promise: Promise<T>, ms: number, onTimeout: () => T): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const bound = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(onTimeout()), ms);
  });
  try {
    return await Promise.race([promise, bound]);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}

/** Wait for `promise` to settle, at most `ms`; never rejects (see {@link within}). */
export function settleWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  const settled = promise.then(
    () => undefined,
    () => undefined,
  );
  return within(settled, ms, () => undefined);
}

/** `promise`, or an abort error as soon as `signal` aborts (the promise itself keeps going). */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(abortError(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError(signal));
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
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
 * The probes of one port of one runtime, shared by every wait on it (the
 * instance wait, then the port wait; concurrent callers' waits; a readiness
 * check on the port): when the last one began, and the ones in flight, by
 * URL and accepted statuses. A wait that finds a probe in flight with its own
 * URL takes that probe's answer instead of sending another one.
 */
interface PortProbes {
  lastAt: number | undefined;
  readonly inflight: Map<string, Promise<SharedProbe>>;
}

/** A probe's answer, and the timeout it was sent with (a shorter one than usual can cut it short). */
interface SharedProbe {
  readonly result: ProbeResult;
  readonly timeoutMs: number;
}

const probesByRuntime = new WeakMap<ContainerRuntime, Map<number, PortProbes>>();
const acceptIds = new WeakMap<(status: number) => boolean, number>();
let nextAcceptId = 1;

function probesOf(runtime: ContainerRuntime, port: number): PortProbes {
  const ports = probesByRuntime.get(runtime) ?? new Map<number, PortProbes>();
  probesByRuntime.set(runtime, ports);
  const probes = ports.get(port) ?? { lastAt: undefined, inflight: new Map<string, Promise<SharedProbe>>() };
  ports.set(port, probes);
  return probes;
}

/** Which probes answer the same question: the URL, and the accept rule by identity. */
function probeKey(url: string, accept: ((status: number) => boolean) | undefined): string {
  if (!accept) return url;
  const id = acceptIds.get(accept) ?? nextAcceptId++;
  acceptIds.set(accept, id);
  return `${url} #${id}`;
}

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
 * One attempt of a wait: join the probe in flight with the same URL, or
 * wait until `gap` ms after the port's last probe began and send one. The
 * probe is not cancelled by this wait's signal (others may share it); the
 * wait itself stops at once on its signal, and at its deadline.
 */
async function attemptProbe(
  runtime: ContainerRuntime,
  port: number,
  url: string,
  gap: number,
  first: boolean,
  options: PollOptions,
  now: () => number,
): Promise<SharedProbe> {
  const probes = probesOf(runtime, port);
  const key = probeKey(url, options.accept);
  // Stalls of a clock that does not move (a test's frozen Date) are counted, so they cannot stall the wait.
  let frozen = 0;
  for (;;) {
    if (options.signal?.aborted) throw abortError(options.signal);
    const joined = probes.inflight.get(key);
    if (joined) return joinWithin(joined, port, Math.max(1, options.deadline - now()), options.signal);
    // A gap carried over from an earlier wait leaves this one at least half its budget for its first probe.
    const room = first ? (options.deadline - now()) / 2 : options.deadline - now();
    const wait = Math.min((probes.lastAt ?? Number.NEGATIVE_INFINITY) + gap - now(), room);
    if (wait <= 0 || frozen >= 3) break;
    const before = now();
    // workerd's clock moves in whole milliseconds at I/O: a sleep may end a millisecond short.
    await sleep(Math.max(1, wait), options.signal);
    if (now() === before) frozen++;
  }
  const timeoutMs = Math.max(1, Math.min(PROBE_TIMEOUT_MS, options.deadline - now()));
  const sent = sendProbe(runtime, port, url, timeoutMs, options.accept);
  // Stamped once the request is issued (sendProbe sends it before its first await), so the next
  // probe is a full gap after this one even when the clock moved while it was being sent.
  probes.lastAt = now();
  const probe = sent.then((result) => ({ result, timeoutMs }));
  probes.inflight.set(key, probe);
  void probe.finally(() => {
    if (probes.inflight.get(key) === probe) probes.inflight.delete(key);
  });
  return joinWithin(probe, port, timeoutMs + 1, options.signal);
}

/** A shared probe's answer, or a cut-short one when `ms` pass first; rejects when `signal` aborts. */
function joinWithin(
  probe: Promise<SharedProbe>,
  port: number,
  ms: number,
  signal: AbortSignal | undefined,
): Promise<SharedProbe> {
  const cutShort = (): SharedProbe => ({
    result: { ready: false, failure: { kind: "unknown" }, error: probeTimeoutError(port, ms), timedOut: true },
    timeoutMs: ms,
  });
  return raceAbort(within(probe, ms, cutShort), signal);
}

/**
 * Probe `port` until it answers. Probes of a port start at least
 * {@link probeSpacing} apart, whoever waits on it: concurrent waits share
 * one probe (a probe that takes longer than the gap is followed at once).
 * Never outlives `deadline`; the port is probed at least once.
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
  let spacing: number | undefined;
  let last: Extract<ProbeResult, { ready: false }> | undefined;
  // The first attempt keeps the spacing from a wait just before on this port too.
  let gap = Math.min(PROBE_SPACING_MS, options.maxIntervalMs);
  for (let attempt = 1; ; attempt++) {
    if (attempt > 1 && options.deadline - now() <= 0) break;
    const { result, timeoutMs } = await attemptProbe(runtime, port, url, gap, attempt === 1, options, now);
    if (result.ready) return attempt;
    if (options.signal?.aborted) throw abortError(options.signal);
    // A probe cut short by the end of the budget says only that time ran
    // out; the failure before it (say, "not listening") is the better reason.
    const cutShort = result.timedOut === true && timeoutMs < PROBE_TIMEOUT_MS;
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
