import { describe, expect, it } from "vitest";
import { normaliseStartArgs, runtimeStartOptions, waitBudget, type StartDefaults } from "../../src/lifecycle/start";
import type { RuntimeStartOptions } from "../../src/runtime";
import type { CancellationOptions, ContainerStartConfigOptions } from "../../src/types";

const NONE: StartDefaults = { envVars: undefined, entrypoint: undefined, enableInternet: undefined, labels: undefined };
const FULL: StartDefaults = {
  envVars: { NODE_ENV: "production" },
  entrypoint: ["npm", "start"],
  enableInternet: false,
  labels: { team: "a" },
};

describe("runtimeStartOptions", () => {
  const cases: Array<[string, StartDefaults, ContainerStartConfigOptions | undefined, RuntimeStartOptions]> = [
    ["nothing configured: only enableInternet (true)", NONE, undefined, { enableInternet: true }],
    [
      "class fields are passed",
      FULL,
      undefined,
      { enableInternet: false, env: { NODE_ENV: "production" }, entrypoint: ["npm", "start"], labels: { team: "a" } },
    ],
    [
      "per-start overrides replace each field (not merged)",
      FULL,
      { envVars: { API_KEY: "k" }, entrypoint: ["node", "job.js"], enableInternet: true, labels: { team: "b" } },
      { enableInternet: true, env: { API_KEY: "k" }, entrypoint: ["node", "job.js"], labels: { team: "b" } },
    ],
    [
      "an override of one field keeps the others",
      FULL,
      { envVars: { ONLY: "1" } },
      { enableInternet: false, env: { ONLY: "1" }, entrypoint: ["npm", "start"], labels: { team: "a" } },
    ],
    [
      "enableInternet false in an override wins over a true default",
      { ...NONE, enableInternet: true },
      { enableInternet: false },
      { enableInternet: false },
    ],
    [
      "empty env and labels, empty entrypoint are omitted",
      { envVars: {}, entrypoint: [], enableInternet: undefined, labels: {} },
      undefined,
      { enableInternet: true },
    ],
    [
      "an empty override replaces the default and is then omitted",
      FULL,
      { envVars: {}, labels: {}, entrypoint: [] },
      { enableInternet: false },
    ],
    ["an empty overrides object changes nothing", NONE, {}, { enableInternet: true }],
  ];

  it.each(cases)("%s", (_name, defaults, overrides, expected) => {
    expect(runtimeStartOptions(defaults, overrides)).toStrictEqual(expected);
  });

  it("always has an enableInternet key", () => {
    for (const [, defaults, overrides] of cases) {
      const options = runtimeStartOptions(defaults, overrides);
      expect(typeof options.enableInternet).toBe("boolean");
    }
  });

  it("copies env, entrypoint and labels so later changes to the fields do not leak", () => {
    const defaults: StartDefaults = {
      envVars: { A: "1" },
      entrypoint: ["a"],
      enableInternet: true,
      labels: { l: "1" },
    };
    const options = runtimeStartOptions(defaults);
    defaults.envVars!.A = "2";
    defaults.entrypoint!.push("b");
    defaults.labels!.l = "2";
    expect(options).toStrictEqual({ enableInternet: true, env: { A: "1" }, entrypoint: ["a"], labels: { l: "1" } });
  });
});

describe("normaliseStartArgs", () => {
  const signal = new AbortController().signal;
  const cancellation: CancellationOptions = { portReadyTimeoutMS: 30_000, abort: signal };
  const start: ContainerStartConfigOptions = { envVars: { A: "1" } };

  const cases: Array<[string, Parameters<typeof normaliseStartArgs>, ReturnType<typeof normaliseStartArgs>]> = [
    ["no arguments", [], {}],
    [
      "object form is returned as given",
      [{ ports: [1, 2], startOptions: start }],
      { ports: [1, 2], startOptions: start },
    ],
    ["empty object form", [{}], {}],
    ["positional single port", [8080], { ports: 8080 }],
    ["positional array is ports, not options", [[8080, 9222]], { ports: [8080, 9222] }],
    ["positional empty array is ports", [[]], { ports: [] }],
    [
      "positional with all three",
      [[8080], cancellation, start],
      { ports: [8080], cancellationOptions: cancellation, startOptions: start },
    ],
    ["positional without ports", [undefined, cancellation], { cancellationOptions: cancellation }],
    ["positional with only startOptions", [undefined, undefined, start], { startOptions: start }],
  ];

  it.each(cases)("%s", (_name, args, expected) => {
    expect(normaliseStartArgs(...args)).toStrictEqual(expected);
  });

  it("the object form ignores later positional arguments", () => {
    const args = { ports: 1 };
    expect(normaliseStartArgs(args, cancellation, start)).toBe(args);
  });
});

describe("waitBudget", () => {
  const now = 1_000_000;

  // Polling backs off up to 50 ms unless waitInterval says otherwise (the
  // documented 300 ms default remains the unit of `retries` budgets).
  it("uses the defaults 8000 / 20000 / 50 relative to now", () => {
    expect(waitBudget({}, now)).toStrictEqual({
      instanceDeadline: now + 8_000,
      portDeadline: now + 20_000,
      intervalMs: 50,
      signal: undefined,
    });
  });

  it("without options at all uses the defaults", () => {
    const budget = waitBudget(undefined, now);
    expect([budget.instanceDeadline - now, budget.portDeadline - now, budget.intervalMs]).toEqual([8_000, 20_000, 50]);
  });

  it("defaults now to the current time", () => {
    const before = Date.now();
    const budget = waitBudget();
    const after = Date.now();
    expect(budget.instanceDeadline).toBeGreaterThanOrEqual(before + 8_000);
    expect(budget.instanceDeadline).toBeLessThanOrEqual(after + 8_000);
  });

  const explicit: Array<[string, CancellationOptions, Partial<ReturnType<typeof waitBudget>>]> = [
    ["instanceGetTimeoutMS", { instanceGetTimeoutMS: 1_500 }, { instanceDeadline: now + 1_500 }],
    ["portReadyTimeoutMS", { portReadyTimeoutMS: 30_000 }, { portDeadline: now + 30_000 }],
    ["waitInterval", { waitInterval: 50 }, { intervalMs: 50 }],
    ["instanceGetTimeoutMS 0", { instanceGetTimeoutMS: 0 }, { instanceDeadline: now }],
    ["portReadyTimeoutMS 0", { portReadyTimeoutMS: 0 }, { portDeadline: now }],
    // A zero interval would busy-poll; it is raised to the 1 ms minimum.
    ["waitInterval 0 (minimum 1 ms)", { waitInterval: 0 }, { intervalMs: 1 }],
  ];

  it.each(explicit)("honours explicit %s", (_name, options, expected) => {
    expect(waitBudget(options, now)).toMatchObject(expected);
  });

  it("passes the abort signal through", () => {
    const signal = new AbortController().signal;
    expect(waitBudget({ abort: signal }, now).signal).toBe(signal);
  });

  const invalid: Array<[keyof CancellationOptions, unknown]> = [
    ["instanceGetTimeoutMS", -1],
    ["instanceGetTimeoutMS", Number.NaN],
    ["portReadyTimeoutMS", -100],
    ["portReadyTimeoutMS", Number.NaN],
    ["portReadyTimeoutMS", Number.POSITIVE_INFINITY],
    ["waitInterval", -5],
    ["waitInterval", Number.NaN],
    ["waitInterval", "300"],
  ];

  it.each(invalid)("%s = %j throws a RangeError naming the option", (option, value) => {
    const options = { [option]: value } as CancellationOptions;
    expect(() => waitBudget(options, now)).toThrow(RangeError);
    expect(() => waitBudget(options, now)).toThrow(new RegExp(`^Invalid ${option}: `));
  });
});
