/**
 * @module duration
 * Parse durations: a number of seconds, or a string such as `"30s"`, `"5m"`,
 * `"1h"` (the original's forms), `"250ms"`, `"2.5m"`, or compound forms like
 * `"1h30m"` and `"1h 30m 15s"`. A bare number string means seconds.
 */

import { describeValue } from "./errors";

const UNIT_MS = { h: 3_600_000, m: 60_000, s: 1_000, ms: 1 } as const;
type Unit = keyof typeof UNIT_MS;
/** Units in the order a compound duration must list them. */
const UNIT_ORDER: readonly Unit[] = ["h", "m", "s", "ms"];
const BARE_NUMBER = /^\s*(\d+(?:\.\d+)?)\s*$/;
const PART = /\s*(\d+(?:\.\d+)?)\s*(ms|h|m|s)/iy;

/** What `parseDuration` accepts, quoted in its errors. */
export const ACCEPTED_DURATIONS =
  'a non-negative number of seconds, or a string like "30s", "5m", "1h", "250ms", "2.5m" or "1h30m" ' +
  "(units h, m, s, ms, largest first)";

/**
 * Convert a duration to milliseconds.
 *
 * @param value seconds (number) or a duration string
 * @param what name of the setting, used in the error message
 * @throws {TypeError} when the value is negative, not finite or does not parse
 */
export function parseDuration(value: string | number, what = "duration"): number {
  const invalid = () => new TypeError(`Invalid ${what}: ${describeValue(value)}. Expected ${ACCEPTED_DURATIONS}.`);
  if (typeof value === "number") {
    if (!Number.isFinite(value) || value < 0) throw invalid();
    return Math.round(value * 1_000);
  }
  if (typeof value !== "string") throw invalid();
  const bare = BARE_NUMBER.exec(value);
  if (bare) return Math.round(Number(bare[1]) * 1_000);
  let total = 0;
  let lastUnit = -1;
  PART.lastIndex = 0;
  let consumed = 0;
  for (let match = PART.exec(value); match; match = PART.exec(value)) {
    const unit = match[2]!.toLowerCase() as Unit;
    const rank = UNIT_ORDER.indexOf(unit);
    if (rank <= lastUnit) throw invalid(); // repeated or out of order: "1m1m", "30m1h"
    lastUnit = rank;
    total += Number(match[1]) * UNIT_MS[unit];
    consumed = PART.lastIndex;
  }
  if (lastUnit === -1 || value.slice(consumed).trim() !== "") throw invalid();
  return Math.round(total);
}
