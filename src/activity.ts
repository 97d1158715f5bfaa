/**
 * @module activity
 * The `sleepAfter` idle deadline. Renewing only moves a number in memory; the
 * alarm loop reads it when the alarm fires, so steady traffic costs no alarm
 * writes, and an idle object none at all (the original keeps an alarm loop
 * that wakes every few minutes, busy or idle: see bench/results).
 */

/** Tracks the idle deadline and the work in flight that keeps a container busy. */
export class ActivityTracker {
  readonly #sleepAfterMs: () => number;
  readonly #now: () => number;
  #deadline: number | undefined;
  #inflight = 0;
  #external = 0;

  /**
   * @param sleepAfterMs read on every renewal, so subclass fields and later
   *   changes to `sleepAfter` apply
   * @param now the clock; by default `Date.now()` looked up on each use, so
   *   fake timers a test installs after the object exists are seen
   */
  constructor(sleepAfterMs: () => number, now: () => number = () => Date.now()) {
    this.#sleepAfterMs = sleepAfterMs;
    this.#now = now;
  }

  /** The idle deadline (ms since epoch), or `undefined` when none is set. */
  get deadline(): number | undefined {
    return this.#deadline;
  }

  /** Work in flight: the library's own (requests, response bodies, WebSockets) and the caller's. */
  get inflight(): number {
    return this.#inflight + this.#external;
  }

  /**
   * Work in flight that the caller counts itself (the public
   * `inflightRequests` counter, which dependents of the original raise while
   * a session or stream of theirs is busy). Clamped at 0; dropping to 0 starts
   * a fresh idle window, as the end of a request does.
   */
  get external(): number {
    return this.#external;
  }

  set external(count: number) {
    const next = Number.isFinite(count) ? Math.max(0, Math.floor(count)) : 0;
    const wasBusy = this.#external > 0;
    this.#external = next;
    if (wasBusy && next === 0) this.renew();
  }

  /** The library's own work in flight (without the caller's). */
  get ownInflight(): number {
    return this.#inflight;
  }

  /** Push the deadline to `now + sleepAfter`; returns the new deadline. */
  renew(): number {
    this.#deadline = this.#now() + this.#sleepAfterMs();
    return this.#deadline;
  }

  /** Adopt a deadline read back from storage, unless one is already known. */
  restore(deadline: number | undefined): void {
    if (this.#deadline === undefined && typeof deadline === "number") this.#deadline = deadline;
  }

  /** Forget the deadline (the container stopped). */
  clear(): void {
    this.#deadline = undefined;
  }

  /**
   * Count a unit of work as activity until the returned function is called.
   * Ending renews the deadline, so idleness is measured from the end of the
   * last piece of work. Calling the returned function twice is harmless.
   */
  begin(): () => void {
    this.#inflight++;
    this.renew();
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.#inflight--;
      this.renew();
    };
  }

  /** Whether the container has been idle past its deadline. */
  isExpired(): boolean {
    return this.inflight === 0 && this.#deadline !== undefined && this.#now() >= this.#deadline;
  }
}
