/**
 * @module lifecycle/state
 * The persisted container {@link State}, stored under the original's key so a
 * Durable Object keeps its state across the switch of library.
 */

import { STATE_STORAGE_KEY } from "../constants";
import type { State } from "../types";

/** Status values a stored state may hold. */
const STATUSES = new Set(["running", "healthy", "stopping", "stopped", "stopped_with_code"]);

/** Reads and writes the container state, caching it in memory. */
export class StateStore {
  readonly #storage: DurableObjectStorage;
  readonly #now: () => number;
  #cached: State | undefined;

  // `Date.now()` is looked up on each use, so fake timers installed later (a user's test) are seen.
  constructor(storage: DurableObjectStorage, now: () => number = () => Date.now()) {
    this.#storage = storage;
    this.#now = now;
  }

  /** The current state; `stopped` when nothing valid was stored. */
  async get(): Promise<State> {
    if (this.#cached) return { ...this.#cached };
    const stored = await this.#storage.get<unknown>(STATE_STORAGE_KEY);
    const state = isState(stored) ? stored : { status: "stopped" as const, lastChange: this.#now() };
    this.#cached ??= state;
    return { ...this.#cached };
  }

  /** Record a new status (with its exit code for `stopped_with_code`). */
  async set(status: State["status"], exitCode?: number): Promise<State> {
    const state: State =
      status === "stopped_with_code"
        ? exitCode === undefined
          ? { status, lastChange: this.#now() }
          : { status, exitCode, lastChange: this.#now() }
        : { status, lastChange: this.#now() };
    this.#cached = state;
    await this.#storage.put(STATE_STORAGE_KEY, state);
    return { ...state };
  }

  /** Record how the process ended: exit 0 → `stopped`, otherwise `stopped_with_code`. */
  setExited(exitCode: number): Promise<State> {
    return exitCode === 0 ? this.set("stopped") : this.set("stopped_with_code", exitCode);
  }
}

function isState(value: unknown): value is State {
  if (typeof value !== "object" || value === null) return false;
  const { status, lastChange } = value as { status?: unknown; lastChange?: unknown };
  return typeof status === "string" && STATUSES.has(status) && typeof lastChange === "number";
}
