/**
 * @module lifecycle/start
 * Pure pieces of starting a container: the runtime's start options, the
 * argument forms of `start`, `startAndWaitForPorts` and `waitForPort`, and
 * the budgets of a wait.
 */

import {
  DEFAULT_INSTANCE_GET_TIMEOUT_MS,
  DEFAULT_MAX_POLL_INTERVAL_MS,
  DEFAULT_PORT_READY_TIMEOUT_MS,
  DEFAULT_WAIT_INTERVAL_MS,
} from "../constants";
import { describeValue } from "../errors";
import { assertPort } from "../ports";
import type { RuntimeStartOptions } from "../runtime";
import type {
  CancellationOptions,
  ContainerStartConfigOptions,
  StartAndWaitForPortsOptions,
  WaitOptions,
} from "../types";

/** The instance fields a start reads. */
export interface StartDefaults {
  envVars: Record<string, string> | undefined;
  entrypoint: string[] | undefined;
  enableInternet: boolean | undefined;
  labels: Record<string, string> | undefined;
}

/**
 * What to pass to the runtime's `start()`: per-start options replace the
 * instance fields; empty `env`/`labels` and a missing entrypoint are left out
 * (as the original does), `enableInternet` is always sent.
 */
export function runtimeStartOptions(
  defaults: StartDefaults,
  overrides: ContainerStartConfigOptions = {},
): RuntimeStartOptions {
  const env = assertStringRecord(overrides.envVars ?? defaults.envVars, "envVars");
  const entrypoint = assertEntrypoint(overrides.entrypoint ?? defaults.entrypoint);
  const labels = assertStringRecord(overrides.labels ?? defaults.labels, "labels");
  const enableInternet = overrides.enableInternet ?? defaults.enableInternet ?? true;
  if (typeof enableInternet !== "boolean") {
    throw new TypeError(`Invalid enableInternet: ${describeValue(enableInternet)}. Expected true or false.`);
  }
  const options: RuntimeStartOptions = { enableInternet };
  if (env && Object.keys(env).length > 0) options.env = { ...env };
  if (entrypoint && entrypoint.length > 0) options.entrypoint = [...entrypoint];
  if (labels && Object.keys(labels).length > 0) options.labels = { ...labels };
  return options;
}

/** `value` if it is absent or a map of strings to strings, else a TypeError naming the entry. */
function assertStringRecord(value: unknown, what: "envVars" | "labels"): Record<string, string> | undefined {
  if (value === undefined || value === null) return undefined;
  const expected = `Expected an object of string values (${what}: Record<string, string>)`;
  if (typeof value !== "object" || Array.isArray(value)) {
    throw new TypeError(`Invalid ${what}: ${describeValue(value)}. ${expected}.`);
  }
  for (const [key, entry] of Object.entries(value)) {
    if (typeof entry !== "string") {
      throw new TypeError(
        `Invalid ${what}: ${JSON.stringify(key)} is ${describeValue(entry)}. ` +
          `${expected}; convert numbers and booleans with String().`,
      );
    }
  }
  return value as Record<string, string>;
}

/** `value` if it is absent or an array of strings (a string would be split into characters). */
function assertEntrypoint(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || !value.every((part) => typeof part === "string")) {
    throw new TypeError(
      `Invalid entrypoint: ${describeValue(value)}. ` +
        'Expected an array of strings, one per argument, e.g. ["node", "server.js"].',
    );
  }
  return value;
}

/** Both call forms of `startAndWaitForPorts`, normalised. */
export function normaliseStartArgs(
  first?: number | number[] | StartAndWaitForPortsOptions,
  cancellationOptions?: CancellationOptions,
  startOptions?: ContainerStartConfigOptions,
): StartAndWaitForPortsOptions {
  if (first !== null && typeof first === "object" && !Array.isArray(first)) return first;
  const args: StartAndWaitForPortsOptions = {};
  if (first !== undefined) args.ports = first;
  if (cancellationOptions !== undefined) args.cancellationOptions = cancellationOptions;
  if (startOptions !== undefined) args.startOptions = startOptions;
  return args;
}

/** Budgets of one start, in absolute times. */
export interface WaitBudget {
  /** By then an instance must have answered. */
  instanceDeadline: number;
  /** By then every port must be ready. */
  portDeadline: number;
  /** Upper bound of the polling interval (`waitInterval`, else 50 ms). */
  intervalMs: number;
  signal: AbortSignal | undefined;
}

/** Resolve budgets with the documented defaults; rejects nonsense values. */
export function waitBudget(options: CancellationOptions = {}, now: number = Date.now()): WaitBudget {
  const instance = nonNegative(options.instanceGetTimeoutMS, DEFAULT_INSTANCE_GET_TIMEOUT_MS, "instanceGetTimeoutMS");
  const ports = nonNegative(options.portReadyTimeoutMS, DEFAULT_PORT_READY_TIMEOUT_MS, "portReadyTimeoutMS");
  const interval = nonNegative(options.waitInterval, DEFAULT_MAX_POLL_INTERVAL_MS, "waitInterval");
  return {
    instanceDeadline: now + instance,
    // As in the original, the port budget counts from the start of the call
    // (it includes the time to get an instance); each port is probed at least once.
    portDeadline: now + ports,
    intervalMs: Math.max(1, interval),
    signal: options.abort,
  };
}

function nonNegative(value: number | undefined, fallback: number, what: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw new RangeError(`Invalid ${what}: ${String(value)}. Expected a non-negative number of milliseconds.`);
  }
  return value;
}

/** `retries` attempts `interval` apart, as a time budget (the original's `retries` option). */
export function retriesBudget(retries: number, interval: number | undefined): number {
  if (!Number.isInteger(retries) || retries < 0) {
    throw new RangeError(`Invalid retries: ${String(retries)}. Expected a non-negative integer.`);
  }
  return retries * (interval ?? DEFAULT_WAIT_INTERVAL_MS);
}

/**
 * What the public `start(startOptions, waitOptions)` waits on: the port it
 * probes for an instance (`portToCheck`, else `instancePort`) and the budget
 * (`retries` × `waitInterval` replaces the instance timeout).
 */
export function startWait(
  waitOptions: WaitOptions | undefined,
  instancePort: number,
): { probe: number; budget: WaitBudget } {
  const probe = waitOptions?.portToCheck ?? instancePort;
  assertPort(probe, "portToCheck");
  const cancellation: CancellationOptions = {};
  if (waitOptions?.signal) cancellation.abort = waitOptions.signal;
  if (waitOptions?.waitInterval !== undefined) cancellation.waitInterval = waitOptions.waitInterval;
  if (waitOptions?.retries !== undefined) {
    cancellation.instanceGetTimeoutMS = retriesBudget(waitOptions.retries, waitOptions.waitInterval);
  }
  return { probe, budget: waitBudget(cancellation) };
}

/**
 * The deadline and polling cap of the public `waitForPort(options)`: the
 * default port budget, or `retries` × `waitInterval` when `retries` is given.
 */
export function portWait(options: WaitOptions, now: number = Date.now()): { deadline: number; intervalMs: number } {
  assertPort(options.portToCheck, "portToCheck");
  const deadline =
    options.retries === undefined
      ? waitBudget({}, now).portDeadline
      : now + retriesBudget(options.retries, options.waitInterval);
  return { deadline, intervalMs: Math.max(1, options.waitInterval ?? DEFAULT_MAX_POLL_INTERVAL_MS) };
}
