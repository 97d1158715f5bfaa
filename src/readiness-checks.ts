/**
 * @module readiness-checks
 * Readiness as a list of checks, the shape the original library has
 * proposed: `readyOn = [portResponding(8080), isHealthy("/health"), async
 * (container) => …]`. Every check must pass before the container counts as
 * ready; they run side by side. The two factories are recognised by the
 * lifecycle and polled with its own probes (backoff, deadlines, a process
 * that exits ends the wait); any other function is called and awaited.
 *
 * The object form (`readyOn = { path, status }`) stays; either shape works.
 */

import { CONTAINER_BASE_URL, PROBE_SPACING_MS } from "./constants";
import { describeValue } from "./errors";
import { assertPort } from "./ports";

/** What a readiness check is given besides the container. */
export interface ReadinessCheckOptions {
  /** Aborted when the wait ends without this check: time is up, the process exited, or another check failed. */
  readonly signal: AbortSignal;
  /** When the wait gives up (ms since the epoch). */
  readonly deadline: number;
  /**
   * A request straight to the container (relative URLs resolve against
   * `http://container`), on `port` or `defaultPort`. Use it rather than
   * `containerFetch`, which would wait for this very readiness.
   */
  fetch(input: string | Request, port?: number): Promise<Response>;
}

/**
 * One readiness check: resolves once its part of the container is ready,
 * rejects (or throws) when it cannot become ready. `container` is the
 * Container instance.
 */
// biome-ignore lint/suspicious/noExplicitAny: any Container subclass is passed; `unknown` would reject typed checks
export type ReadinessCheck<C = any> = (container: C, options: ReadinessCheckOptions) => unknown;

/** What the built-in checks ask for: a port that answers, and optionally an HTTP status on a path. */
export interface BuiltInCheck {
  /** The port; `undefined`: `defaultPort` (else the first required port). */
  readonly port: number | undefined;
  /** Path requested; `undefined`: any answer on the port counts. */
  readonly path?: string;
  /** Statuses that count as ready (any 2xx when absent). */
  readonly status?: readonly number[];
}

const BUILT_IN = Symbol("workerd-containers.readinessCheck");

type Marked = ReadinessCheck & { [BUILT_IN]?: BuiltInCheck };

/**
 * Ready once `port` accepts connections (any HTTP answer on the ping
 * endpoint, as for `startAndWaitForPorts`).
 * @example readyOn = [portResponding(8080), portResponding(9090)];
 */
export function portResponding(port: number): ReadinessCheck {
  assertPort(port, "portResponding port");
  return builtIn({ port }, `portResponding(${port})`);
}

/**
 * Ready once `GET path` answers an accepted status (default any 2xx) on
 * `port` (default `defaultPort`). The second argument may also be the port
 * itself, as in the original's proposal (`pathHealthy(path, port)`).
 * @example readyOn = [isHealthy("/health"), isHealthy("/ready", { port: 9090, status: [200, 204] })];
 */
export function isHealthy(
  path: string,
  options?: number | { port?: number; status?: number | number[] },
): ReadinessCheck {
  if (typeof path !== "string" || !path.startsWith("/")) {
    throw new TypeError(`Invalid isHealthy path: ${describeValue(path)}. Expected a path such as "/health".`);
  }
  const { port, status } = typeof options === "number" ? { port: options, status: undefined } : (options ?? {});
  if (port !== undefined) assertPort(port, "isHealthy port");
  const statuses = status === undefined ? undefined : [status].flat();
  if (statuses && !statuses.every((code) => Number.isInteger(code) && code >= 100 && code <= 599)) {
    throw new TypeError(`Invalid isHealthy status: ${describeValue(status)}. Expected an HTTP status or a list.`);
  }
  return builtIn({ port, path, status: statuses }, `isHealthy(${JSON.stringify(path)})`);
}

/** The original's proposed name for {@link isHealthy}: `pathHealthy(path, port?)`. */
export const pathHealthy: (path: string, port?: number) => ReadinessCheck = isHealthy;

/** The built-in request of `check`, or `undefined` for a check of the user's own. */
export function builtInOf(check: ReadinessCheck): BuiltInCheck | undefined {
  return (check as Marked)[BUILT_IN];
}

/** The probe URL and accepted statuses of a built-in check. */
export function builtInProbe(
  check: BuiltInCheck,
  pingUrl: string,
): { url: string; accept?: (status: number) => boolean } {
  if (check.path === undefined) return { url: pingUrl };
  const accepted = check.status && new Set(check.status);
  return {
    url: `${CONTAINER_BASE_URL}${check.path}`,
    accept: (status) => (accepted ? accepted.has(status) : status >= 200 && status < 300),
  };
}

/** Throw a clear error unless `checks` is an array of functions. */
export function assertReadinessChecks(checks: unknown, what = "readyOn"): asserts checks is ReadinessCheck[] {
  if (!Array.isArray(checks)) {
    throw new TypeError(`Invalid ${what}: ${describeValue(checks)}. Expected an array of readiness checks.`);
  }
  checks.forEach((check: unknown, index) => {
    if (typeof check !== "function") {
      throw new TypeError(
        `Invalid ${what}: entry ${index} is ${describeValue(check)}. Expected a function ` +
          '(container, { signal, deadline, fetch }) => Promise, such as portResponding(8080) or isHealthy("/health").',
      );
    }
  });
}

/**
 * A built-in check: the lifecycle reads `spec` and polls with its own
 * probes. Called as a plain function it waits the same way through
 * `options.fetch`, so it also composes inside a check of the user's own.
 */
function builtIn(spec: BuiltInCheck, name: string): ReadinessCheck {
  const check: Marked = async (container: { defaultPort?: number }, options: ReadinessCheckOptions) => {
    const port = spec.port ?? container.defaultPort;
    if (port === undefined) throw new Error(`${name}: no port given and no defaultPort set.`);
    const { url, accept } = builtInProbe(spec, `${CONTAINER_BASE_URL}/`);
    for (let delayMs = PROBE_SPACING_MS; ; delayMs = Math.min(delayMs * 2, 500)) {
      const answer = await options.fetch(url, port).catch(() => undefined);
      await answer?.body?.cancel();
      if (answer && (!accept || accept(answer.status))) return;
      if (options.signal.aborted) throw options.signal.reason;
      if (Date.now() + delayMs >= options.deadline) throw new Error(`${name} was not ready in time.`);
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  };
  Object.defineProperty(check, BUILT_IN, { value: Object.freeze(spec) });
  Object.defineProperty(check, "name", { value: name });
  return check;
}
