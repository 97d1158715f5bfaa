import { describe, expect, it } from "vitest";
import { ACCEPTED_DURATIONS, parseDuration } from "../../src/duration";

describe("parseDuration: accepted forms", () => {
  const cases: Array<[string | number, number]> = [
    // Numbers are seconds.
    [0, 0],
    [1.5, 1_500],
    [30, 30_000],
    // Strings with a unit.
    ["30s", 30_000],
    ["5m", 300_000],
    ["1h", 3_600_000],
    ["250ms", 250],
    ["2.5m", 150_000],
    ["0s", 0],
    // A bare number string means seconds.
    ["45", 45_000],
    ["0.5", 500],
    // Whitespace and case are ignored.
    ["  10s  ", 10_000],
    ["5 m", 300_000],
    ["\t2h\n", 7_200_000],
    ["30S", 30_000],
    ["5M", 300_000],
    ["1H", 3_600_000],
    ["250MS", 250],
    ["250Ms", 250],
    // Compound forms.
    ["1h30m", 5_400_000],
    ["1h 30m 15s", 5_415_000],
    ["90s", 90_000],
    ["2m500ms", 120_500],
    ["1.5h15m", 6_300_000],
  ];

  it.each(cases)("%j → %d ms", (input, expected) => {
    expect(parseDuration(input)).toBe(expected);
  });
});

describe("parseDuration: rejected values", () => {
  // [value, text the error message must quote]
  const cases: Array<[unknown, string]> = [
    ["", '""'],
    ["abc", '"abc"'],
    ["5x", '"5x"'],
    ["-1s", '"-1s"'],
    ["30m1h", '"30m1h"'], // compound parts must go from the largest unit down
    ["1m1m", '"1m1m"'], // a unit may appear once
    ["1h30", '"1h30"'], // every part needs a unit
    ["1h-30m", '"1h-30m"'],
    ["s", '"s"'],
    ["1.s", '"1.s"'],
    [".5s", '".5s"'],
    [-1, "-1"],
    [Number.NaN, "NaN"],
    [Number.POSITIVE_INFINITY, "Infinity"],
    [Number.NEGATIVE_INFINITY, "-Infinity"],
    [null, "null"],
    [{}, "{}"],
    [undefined, "undefined"],
    [true, "true"],
  ];

  it.each(cases)("%j throws a TypeError quoting %s", (value, quoted) => {
    let thrown: unknown;
    try {
      parseDuration(value as string | number);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(TypeError);
    const message = (thrown as TypeError).message;
    expect(message).toContain(quoted);
    expect(message).toContain(ACCEPTED_DURATIONS);
    // The accepted forms are spelled out for the reader.
    expect(message).toMatch(/"30s".*"5m".*"1h"/);
  });

  it("names the setting in the message when given", () => {
    expect(() => parseDuration("soon", "sleepAfter")).toThrow(/^Invalid sleepAfter: "soon"\./);
  });

  it('defaults the setting name to "duration"', () => {
    expect(() => parseDuration("soon")).toThrow(/^Invalid duration: "soon"\./);
  });
});
