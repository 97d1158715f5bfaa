import { describe, expect, it } from "vitest";
import { nextAlarmTime, type AlarmInputs } from "../../src/alarm";

describe("nextAlarmTime", () => {
  const cases: Array<[string, AlarmInputs, number | undefined]> = [
    ["nothing pending → no alarm", { idleDeadline: undefined, nextSchedule: undefined }, undefined],
    ["only an idle deadline", { idleDeadline: 5_000, nextSchedule: undefined }, 5_000],
    ["only a schedule", { idleDeadline: undefined, nextSchedule: 7_000 }, 7_000],
    ["idle deadline sooner", { idleDeadline: 5_000, nextSchedule: 7_000 }, 5_000],
    ["schedule sooner", { idleDeadline: 9_000, nextSchedule: 7_000 }, 7_000],
    ["both at the same time", { idleDeadline: 7_000, nextSchedule: 7_000 }, 7_000],
    ["a schedule in the past still wins", { idleDeadline: 9_000, nextSchedule: 1 }, 1],
    ["zero is a time, not 'nothing'", { idleDeadline: 0, nextSchedule: undefined }, 0],
    ["zero schedule against an idle deadline", { idleDeadline: 9_000, nextSchedule: 0 }, 0],
    ["zero idle deadline against a schedule", { idleDeadline: 0, nextSchedule: 9_000 }, 0],
  ];

  it.each(cases)("%s", (_name, inputs, expected) => {
    expect(nextAlarmTime(inputs)).toBe(expected);
  });
});
