/**
 * @module lifecycle/supervisor
 * Opt-in supervision beyond the original: a restart policy (restart a
 * container that exits, with exponential backoff and jitter, giving up after
 * `maxRetries`) and `hardTimeout` (stop a container after a fixed time,
 * whatever its activity). Both are persisted and driven by the alarm, so they
 * survive an eviction of the Durable Object.
 */

import {
  DEFAULT_BACKOFF_FACTOR,
  DEFAULT_BACKOFF_INITIAL_MS,
  DEFAULT_BACKOFF_JITTER,
  DEFAULT_BACKOFF_MAX_MS,
  DEFAULT_RESTART_MAX_RETRIES,
  HARD_DEADLINE_KEY,
  HARD_TIMEOUT_KILL_GRACE_MS,
  RESTART_STATUS_KEY,
} from "../constants";
import type { ContainerEvent } from "../events";
import type { Launch } from "./lifecycle";
import { describeValue } from "../errors";
import type { StopParams } from "../types";

/** When and how often a container that exits is started again. */
export interface RestartPolicy {
  /**
   * `"failure"`: after a non-zero exit; `"always"`: after any exit; `"never"`.
   * Exits asked for (stop(), destroy(), idle, hardTimeout) never restart.
   */
  on: "failure" | "always" | "never";
  /** Restarts before giving up. @default 3 */
  maxRetries?: number;
  /** Delay before restart n: `initialMs × factor^(n-1)`, at most `maxMs`, ± `jitter` (a fraction). */
  backoff?: { initialMs?: number; maxMs?: number; factor?: number; jitter?: number };
}

/** Progress of the restart policy, as `getState().restart` shows it. */
export interface RestartStatus {
  /** Restarts since the last start that was not a restart. */
  attempts: number;
  /** When the next restart is due (ms since epoch), if one is pending. */
  nextAt?: number;
  /** The policy gave up after `maxRetries`. */
  gaveUp?: boolean;
  /** Exit code of the last exit the policy saw. */
  lastExitCode?: number;
}

/** What the policy decides after an exit. */
export type RestartDecision =
  | { action: "none" }
  | { action: "restart"; attempt: number; delayMs: number }
  | { action: "give-up" };

const ON_VALUES = new Set(["failure", "always", "never"]);

/** Throw a clear error unless `policy` is a valid {@link RestartPolicy}. */
export function assertRestartPolicy(policy: unknown): asserts policy is RestartPolicy {
  const fail = (what: string) => {
    throw new TypeError(
      `Invalid restart policy: ${what}. ` +
        'Expected { on: "failure" | "always" | "never", maxRetries?: integer ≥ 0, ' +
        "backoff?: { initialMs?, maxMs?, factor? ≥ 1, jitter? in 0..1 } }.",
    );
  };
  if (typeof policy !== "object" || policy === null) return fail(describeValue(policy));
  const { on, maxRetries, backoff } = policy as RestartPolicy;
  if (!ON_VALUES.has(on)) fail(`on = ${describeValue(on)}`);
  if (maxRetries !== undefined && (!Number.isInteger(maxRetries) || maxRetries < 0))
    fail(`maxRetries = ${describeValue(maxRetries)}`);
  if (backoff === undefined) return;
  if (typeof backoff !== "object" || backoff === null) return fail(`backoff = ${describeValue(backoff)}`);
  for (const key of ["initialMs", "maxMs"] as const) {
    const value = backoff[key];
    if (value !== undefined && (!Number.isFinite(value) || value < 0)) fail(`backoff.${key} = ${describeValue(value)}`);
  }
  if (backoff.factor !== undefined && (!Number.isFinite(backoff.factor) || backoff.factor < 1))
    fail(`backoff.factor = ${describeValue(backoff.factor)}`);
  if (backoff.jitter !== undefined && (!Number.isFinite(backoff.jitter) || backoff.jitter < 0 || backoff.jitter > 1)) {
    fail(`backoff.jitter = ${describeValue(backoff.jitter)}`);
  }
}

/** Delay before restart `attempt` (1-based); `random` in [0, 1). */
export function backoffDelayMs(
  backoff: RestartPolicy["backoff"],
  attempt: number,
  random: number = Math.random(),
): number {
  const initial = backoff?.initialMs ?? DEFAULT_BACKOFF_INITIAL_MS;
  const max = backoff?.maxMs ?? DEFAULT_BACKOFF_MAX_MS;
  const factor = backoff?.factor ?? DEFAULT_BACKOFF_FACTOR;
  const jitter = backoff?.jitter ?? DEFAULT_BACKOFF_JITTER;
  const base = Math.min(max, initial * factor ** (attempt - 1));
  return Math.max(0, Math.round(base * (1 + jitter * (2 * random - 1))));
}

/** Decide what follows an exit. */
export function restartDecision(
  policy: RestartPolicy | undefined,
  exit: { exitCode: number; requested: boolean; attempts: number },
  random?: number,
): RestartDecision {
  if (!policy || policy.on === "never" || exit.requested) return { action: "none" };
  if (policy.on === "failure" && exit.exitCode === 0) return { action: "none" };
  const maxRetries = policy.maxRetries ?? DEFAULT_RESTART_MAX_RETRIES;
  if (exit.attempts >= maxRetries) return { action: "give-up" };
  const attempt = exit.attempts + 1;
  return { action: "restart", attempt, delayMs: backoffDelayMs(policy.backoff, attempt, random) };
}

/** What the supervisor needs from its Container. */
export interface SupervisorHost {
  readonly storage: DurableObjectStorage;
  isRunning(): boolean;
  policy(): RestartPolicy | undefined;
  hardTimeoutMs(): number | undefined;
  emit(event: ContainerEvent): void;
  /** Make sure the alarm fires by `time`. */
  armBy(time: number): Promise<void>;
}

/**
 * What the alarm must do for the supervisor now: nothing, ask the process to
 * stop (the hard timeout is reached), kill it (it ignored that for the grace
 * period), or start it again (a restart is due). The supervisor has recorded
 * the step already; the Container carries it out.
 */
export type SupervisorAction = "none" | "stop" | "kill" | "restart";

/** Restart policy and hard timeout for one Durable Object. */
export class Supervisor {
  readonly #host: SupervisorHost;
  #status: RestartStatus | undefined;
  #hardDeadline: number | undefined;
  #terminating = false;
  /** Whether the process of the latest launch has exited (and `afterExit` decided). */
  #exitSeen = false;

  constructor(host: SupervisorHost) {
    this.#host = host;
  }

  /** Read persisted progress (once, at start-up). */
  async load(): Promise<void> {
    this.#status = await this.#host.storage.get<RestartStatus>(RESTART_STATUS_KEY);
    this.#hardDeadline = await this.#host.storage.get<number>(HARD_DEADLINE_KEY);
  }

  /** The restart policy's progress, if it has any. */
  get status(): RestartStatus | undefined {
    return this.#status && { ...this.#status };
  }

  /** A process is being launched: reset the policy unless this is its restart; start the hard timeout. */
  async noteLaunch({ restart, at }: Launch): Promise<void> {
    if (!restart && this.#status) {
      this.#status = undefined;
      await this.#host.storage.delete(RESTART_STATUS_KEY);
    }
    this.#terminating = false;
    this.#exitSeen = false;
    const hardTimeoutMs = this.#host.hardTimeoutMs();
    if (hardTimeoutMs === undefined) return;
    this.#hardDeadline = at + hardTimeoutMs;
    await this.#host.storage.put(HARD_DEADLINE_KEY, this.#hardDeadline);
    await this.#host.armBy(this.#hardDeadline);
  }

  /** A process ended: clear its hard deadline; restart or give up as the policy says. */
  async afterExit(exit: { params: StopParams; requested: boolean }): Promise<void> {
    this.#exitSeen = true;
    if (this.#hardDeadline !== undefined) {
      this.#hardDeadline = undefined;
      await this.#host.storage.delete(HARD_DEADLINE_KEY);
    }
    const attempts = this.#status?.attempts ?? 0;
    const decision = restartDecision(this.#host.policy(), { ...exit.params, requested: exit.requested, attempts });
    const at = Date.now();
    if (decision.action === "none") return;
    if (decision.action === "give-up") {
      this.#status = { attempts, gaveUp: true, lastExitCode: exit.params.exitCode };
      this.#host.emit({ type: "restartGaveUp", at, attempts, exitCode: exit.params.exitCode });
    } else {
      const nextAt = at + decision.delayMs;
      this.#status = { attempts: decision.attempt, nextAt, lastExitCode: exit.params.exitCode };
      this.#host.emit({
        type: "restart",
        at,
        attempt: decision.attempt,
        maxRetries: this.#host.policy()?.maxRetries ?? DEFAULT_RESTART_MAX_RETRIES,
        delayMs: decision.delayMs,
        exitCode: exit.params.exitCode,
      });
      await this.#host.armBy(nextAt);
    }
    await this.#host.storage.put(RESTART_STATUS_KEY, this.#status);
  }

  /**
   * A restart's start failed and no process exited (rate limited, no
   * instance): count it as a failed attempt, so the policy backs off and
   * tries again or gives up, instead of waiting for an exit that never comes.
   */
  async restartFailed(): Promise<void> {
    if (this.#exitSeen) return;
    await this.afterExit({ params: { exitCode: this.#status?.lastExitCode ?? 1, reason: "exit" }, requested: false });
  }

  /** When the supervisor next needs the alarm (ms), if at all. */
  dueAt(): number | undefined {
    const restartAt = this.#host.isRunning() ? undefined : this.#status?.nextAt;
    const hard = this.#host.isRunning() ? this.#hardDeadline : undefined;
    if (restartAt === undefined) return hard;
    if (hard === undefined) return restartAt;
    return Math.min(restartAt, hard);
  }

  /**
   * Decide what is due at `now`: the hard timeout (stop, then kill after the
   * grace period), or a pending restart. Records the step before returning it.
   */
  async due(now: number = Date.now()): Promise<SupervisorAction> {
    if (this.#host.isRunning() && this.#hardDeadline !== undefined && now >= this.#hardDeadline) {
      if (this.#terminating) return "kill";
      // Read before any state changes: a throw here must not skip the SIGTERM step.
      const hardTimeoutMs = this.#host.hardTimeoutMs() ?? 0;
      this.#terminating = true;
      this.#host.emit({ type: "hardTimeout", at: now, hardTimeoutMs });
      this.#hardDeadline = now + HARD_TIMEOUT_KILL_GRACE_MS;
      await this.#host.storage.put(HARD_DEADLINE_KEY, this.#hardDeadline);
      return "stop";
    }
    const status = this.#status;
    if (!this.#host.isRunning() && status?.nextAt !== undefined && now >= status.nextAt) {
      this.#status = {
        attempts: status.attempts,
        ...(status.lastExitCode === undefined ? {} : { lastExitCode: status.lastExitCode }),
      };
      await this.#host.storage.put(RESTART_STATUS_KEY, this.#status);
      return "restart";
    }
    return "none";
  }
}
