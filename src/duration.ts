/**
 * @module duration
 * Parse the `sleepAfter` forms the original accepts: a number of seconds, or a
 * string such as `"30s"`, `"5m"`, `"1h"` (a bare number string means seconds).
 */

import { describeValue } from "./errors";

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const;
const DURATION_PATTERN = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/i;

/** What `parseDuration` accepts, quoted in its errors. */
export const ACCEPTED_DURATIONS =
  'a non-negative number of seconds, or a string like "30s", "5m", "1h" (units: ms, s, m, h)';

/**
 * Convert a duration to milliseconds.
 *
 * @param value seconds (number) or a duration string
 * @param what name of the setting, used in the error message
 * @throws {TypeError} when the value is negative, not finite or does not parse
 */
export function parseDuration(value: string | number, what = "duration"): number {
  if (typeof value === "number") {
    if (!Number.isFinite(value) || value < 0) {
      throw new TypeError(`Invalid ${what}: ${String(value)}. Expected ${ACCEPTED_DURATIONS}.`);
    }
    return Math.round(value * 1_000);
  }
  if (typeof value !== "string") {
    throw new TypeError(`Invalid ${what}: ${describeValue(value)}. Expected ${ACCEPTED_DURATIONS}.`);
  }
  const match = DURATION_PATTERN.exec(value);
  if (!match) {
    throw new TypeError(`Invalid ${what}: ${JSON.stringify(value)}. Expected ${ACCEPTED_DURATIONS}.`);
  }
  const unit = (match[2] ?? "s").toLowerCase() as keyof typeof UNIT_MS;
  return Math.round(Number(match[1]) * UNIT_MS[unit]);
}
