/**
 * @module schedules
 * The `container_schedules` SQLite table: create, read, list, delete, and
 * pick the rows that are due. Same table and columns as the original, so
 * schedules written by it keep running after the switch.
 */

import { SCHEDULES_TABLE } from "./constants";
import { describeValue } from "./errors";
import type { Schedule } from "./types";

/** When a schedule runs, as stored. */
export type ScheduleTiming =
  | { type: "scheduled"; time: number }
  | { type: "delayed"; time: number; delayInSeconds: number };

// Do not change the column layout: existing Durable Objects hold this table.
const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS ${SCHEDULES_TABLE} (
  id TEXT PRIMARY KEY NOT NULL DEFAULT (randomblob(9)),
  callback TEXT NOT NULL,
  payload TEXT,
  type TEXT NOT NULL CHECK(type IN ('scheduled', 'delayed')),
  time INTEGER NOT NULL,
  delayInSeconds INTEGER,
  created_at INTEGER DEFAULT (unixepoch())
)`;

/** A row as stored. */
interface ScheduleRow extends Record<string, SqlStorageValue> {
  id: string;
  callback: string;
  payload: string | null;
  type: string;
  time: number;
  delayInSeconds: number | null;
}

const ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** A 9-character id like the original's (62-letter alphabet). */
export function newTaskId(length = 9): string {
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  let id = "";
  for (const byte of bytes) id += ID_ALPHABET[byte % ID_ALPHABET.length];
  return id;
}

/** Reads and writes schedules in the Durable Object's SQLite storage. */
export class ScheduleStore {
  readonly #sql: SqlStorage;

  constructor(sql: SqlStorage) {
    this.#sql = sql;
    this.#sql.exec(CREATE_TABLE);
  }

  /** Insert a schedule and return it; `json` is the payload as {@link encodePayload} stored it. */
  add<T>(callback: string, when: ScheduleTiming, payload: T, json: string | null): Schedule<T> {
    const taskId = newTaskId();
    const delay = when.type === "delayed" ? when.delayInSeconds : null;
    this.#sql.exec(
      `INSERT OR REPLACE INTO ${SCHEDULES_TABLE} (id, callback, payload, type, time, delayInSeconds) ` +
        "VALUES (?, ?, ?, ?, ?, ?)",
      taskId,
      callback,
      json,
      when.type,
      when.time,
      delay,
    );
    return { taskId, callback, payload, ...when } as Schedule<T>;
  }

  /** One schedule by id. */
  get<T>(taskId: string): Schedule<T> | undefined {
    const row = this.#sql.exec<ScheduleRow>(`SELECT * FROM ${SCHEDULES_TABLE} WHERE id = ?`, taskId).toArray()[0];
    return row ? toSchedule<T>(row) : undefined;
  }

  /** Every schedule for `callback`, soonest first. */
  list<T>(callback: string): Schedule<T>[] {
    return this.#sql
      .exec<ScheduleRow>(`SELECT * FROM ${SCHEDULES_TABLE} WHERE callback = ? ORDER BY time, created_at`, callback)
      .toArray()
      .map((row) => toSchedule<T>(row));
  }

  /** Schedules due at or before `nowSeconds`, soonest first. */
  due(nowSeconds: number): Schedule<unknown>[] {
    return this.#sql
      .exec<ScheduleRow>(`SELECT * FROM ${SCHEDULES_TABLE} WHERE time <= ? ORDER BY time, created_at`, nowSeconds)
      .toArray()
      .map((row) => toSchedule<unknown>(row));
  }

  /** Time (seconds) of the soonest schedule after `afterSeconds`, if any. */
  nextAfter(afterSeconds: number): number | undefined {
    const row = this.#sql
      .exec<{ next: number | null }>(`SELECT MIN(time) AS next FROM ${SCHEDULES_TABLE} WHERE time > ?`, afterSeconds)
      .toArray()[0];
    return row?.next ?? undefined;
  }

  /** Remove one schedule. */
  delete(taskId: string): void {
    this.#sql.exec(`DELETE FROM ${SCHEDULES_TABLE} WHERE id = ?`, taskId);
  }

  /** Remove every schedule for `callback`. */
  deleteByCallback(callback: string): void {
    this.#sql.exec(`DELETE FROM ${SCHEDULES_TABLE} WHERE callback = ?`, callback);
  }
}

function toSchedule<T>(row: ScheduleRow): Schedule<T> {
  let payload: unknown;
  try {
    payload = row.payload === null ? undefined : JSON.parse(row.payload);
  } catch {
    // A payload that is not JSON (written by hand) is handed over as stored.
    payload = row.payload;
  }
  const base = { taskId: row.id, callback: row.callback, payload: payload as T, time: row.time };
  return row.type === "delayed"
    ? { ...base, type: "delayed", delayInSeconds: row.delayInSeconds ?? 0 }
    : { ...base, type: "scheduled" };
}

/** The latest time a `Date` can hold, in seconds (ECMAScript's ±8.64e15 ms). */
const LATEST_DATE_SECONDS = 8.64e12;

/**
 * The timing of `schedule(when, …)`: a `Date` runs at that second, a number
 * of seconds after `nowMs`.
 * @throws {TypeError} for anything else (an invalid Date, a negative or non-finite number)
 * @throws {RangeError} for a delay past the latest representable date
 */
export function scheduleTiming(when: unknown, nowMs: number): ScheduleTiming {
  if (when instanceof Date) {
    if (Number.isNaN(when.getTime())) throw new TypeError("schedule(): `when` is an invalid Date.");
    return { type: "scheduled", time: Math.floor(when.getTime() / 1000) };
  }
  if (typeof when === "number" && Number.isFinite(when) && when >= 0) {
    const time = Math.floor(nowMs / 1000 + when);
    if (time > LATEST_DATE_SECONDS) {
      throw new RangeError(
        `schedule(): \`when\` is ${when} seconds from now, after the latest date JavaScript can represent ` +
          `(${new Date(LATEST_DATE_SECONDS * 1000).toISOString()}).`,
      );
    }
    return { type: "delayed", time, delayInSeconds: when };
  }
  throw new TypeError(
    `schedule(): \`when\` must be a Date or a non-negative number of seconds; got ${describeValue(when)}.`,
  );
}

/**
 * Largest payload, in UTF-8 bytes of its JSON, that `schedule()` stores.
 * A schedule is one SQLite row and Durable Object SQLite rows are limited to
 * 2 MB; 1 KB is kept for the row's other columns. Local workerd stores larger
 * rows, so without this check a big payload works in development and fails
 * once deployed.
 */
export const MAX_SCHEDULE_PAYLOAD_BYTES = 2_000_000 - 1_024;

/**
 * The JSON a payload is stored as (`null` for `undefined`), or a TypeError
 * naming what cannot be stored. Plain JSON would silently turn a function or
 * symbol into nothing and a Map or Set into `{}`, so the callback would get
 * something other than what was scheduled; those are refused, with the path
 * to the offending value.
 */
export function encodePayload(payload: unknown): string | null {
  if (payload === undefined) return null;
  let refused: TypeError | undefined;
  const refuse = (path: string, what: string): TypeError =>
    (refused = new TypeError(
      `schedule(): payload${path} is ${what}, which JSON cannot store; a payload must be JSON-serialisable ` +
        "(plain objects, arrays, strings, numbers, booleans, null).",
    ));
  // The path of every object visited, so a refusal can say where it is. The
  // root's holder ({"": payload}) is never visited, so its path is "".
  const paths = new Map<object, string>();
  let json: string | undefined;
  try {
    json = JSON.stringify(payload, function (this: object, key: string, value: unknown) {
      const parentPath = paths.get(this);
      const path = parentPath === undefined ? "" : `${parentPath}${Array.isArray(this) ? `[${key}]` : `.${key}`}`;
      if (typeof value === "function") throw refuse(path, "a function");
      if (typeof value === "symbol") throw refuse(path, "a symbol");
      if (typeof value === "bigint") throw refuse(path, "a bigint");
      if (value instanceof Map || value instanceof Set) throw refuse(path, `a ${value.constructor.name}`);
      if (value !== null && typeof value === "object") paths.set(value, path);
      return value;
    });
  } catch (error) {
    if (error === refused) throw error;
    throw new TypeError(`schedule(): payload must be JSON-serialisable (${(error as Error).message}).`, {
      cause: error,
    });
  }
  if (json === undefined) return null;
  const bytes = new TextEncoder().encode(json).byteLength;
  if (bytes > MAX_SCHEDULE_PAYLOAD_BYTES) {
    throw new RangeError(
      `schedule(): payload is ${bytes} bytes as JSON; at most ${MAX_SCHEDULE_PAYLOAD_BYTES} fit in one schedule ` +
        "(Durable Object SQLite rows are limited to 2 MB). " +
        "Store the data elsewhere (storage.put, R2, KV) and schedule its key.",
    );
  }
  return json;
}

/**
 * Throw unless `callback` names a method of `target` and `payload` can be
 * stored; returns the payload's JSON (see {@link encodePayload}).
 */
export function assertSchedulable(target: object, callback: unknown, payload: unknown): string | null {
  if (typeof callback !== "string" || typeof (target as Record<string, unknown>)[callback] !== "function") {
    throw new TypeError(
      `schedule(): callback must be the name of a method of ${target.constructor.name}; ` +
        `got ${describeValue(callback)}.`,
    );
  }
  return encodePayload(payload);
}

/**
 * Run every due schedule on `target`, soonest first. A callback that throws
 * is logged and its schedule removed; a schedule whose method is gone is kept
 * (a later deploy may bring the method back).
 */
export async function runDueSchedules(store: ScheduleStore, target: object, nowSeconds: number): Promise<void> {
  for (const schedule of store.due(nowSeconds)) {
    const method = (target as Record<string, unknown>)[schedule.callback];
    if (typeof method !== "function") {
      console.error(
        `workerd-containers: scheduled callback "${schedule.callback}" is not a method; ` +
          `schedule ${schedule.taskId} kept.`,
      );
      continue;
    }
    try {
      await method.call(target, schedule.payload, schedule);
    } catch (error) {
      console.error(`workerd-containers: scheduled callback "${schedule.callback}" threw:`, error);
    }
    store.delete(schedule.taskId);
  }
}
