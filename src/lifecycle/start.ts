/**
 * @module lifecycle/start
 * Pure pieces of starting a container: the runtime's start options (checked
 * against the limits the deployed runtime enforces), the argument forms of `start`,
 * `startAndWaitForPorts` and `waitForPort`, and the budgets of a wait.
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
  InstanceResources,
  ContainerInstanceType,
  StartAndWaitForPortsOptions,
  WaitOptions,
} from "../types";

/** Most labels one start may carry: the deployed runtime refuses the start otherwise. */
export const MAX_LABELS = 10;
/** Longest label name in UTF-8 bytes (deployed runtime limit). */
export const MAX_LABEL_NAME_BYTES = 16;
/** Longest label value in UTF-8 bytes (deployed runtime limit). */
export const MAX_LABEL_VALUE_BYTES = 64;
/** The named instance types `instance` accepts. */
export const INSTANCE_TYPE_NAMES: readonly Extract<ContainerInstanceType, string>[] = Object.freeze([
  "lite",
  "basic",
  "standard-1",
  "standard-2",
  "standard-3",
  "standard-4",
]);
// Names the platform used before (its docs still show them), to point at the current one.
const RENAMED_INSTANCE_TYPES: Readonly<Record<string, string>> = { dev: "lite", standard: "standard-1" };
const REFUSED = "(the runtime refuses the start otherwise)";
// What the runtime refuses in labels: C0 controls (DEL and C1 controls pass).
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL_CHARACTER = /[\u0000-\u001f]/;
const WHITESPACE_OR_CONTROL = /[\s\p{Cc}]/u;

/** The instance fields a start reads. */
export interface StartDefaults {
  envVars: Record<string, string> | undefined;
  entrypoint: string[] | undefined;
  enableInternet: boolean | undefined;
  labels: Record<string, string> | undefined;
  image: string | undefined;
  instance: ContainerInstanceType | undefined;
}

/**
 * What to pass to the runtime's `start()`: per-start options replace the
 * instance fields; empty `env`/`labels` and a missing entrypoint, image or
 * instance are left out (as the original does), `enableInternet` is always
 * sent. `image` is passed as given: resolve a name with {@link resolveImage}.
 *
 * @throws TypeError or RangeError naming the option and what is accepted, for
 * values the runtime would refuse (labels over the deployed limits included)
 */
export function runtimeStartOptions(
  defaults: StartDefaults,
  overrides: ContainerStartConfigOptions = {},
): RuntimeStartOptions {
  const env = assertStringRecord(overrides.envVars ?? defaults.envVars, "envVars");
  const entrypoint = assertEntrypoint(overrides.entrypoint ?? defaults.entrypoint);
  const labels = assertStringRecord(overrides.labels ?? defaults.labels, "labels");
  if (labels) assertLabelLimits(labels);
  const image = assertImage(overrides.image ?? defaults.image);
  const instance = assertInstance(overrides.instance ?? defaults.instance);
  const enableInternet = overrides.enableInternet ?? defaults.enableInternet ?? true;
  if (typeof enableInternet !== "boolean") {
    throw new TypeError(`Invalid enableInternet: ${describeValue(enableInternet)}. Expected true or false.`);
  }
  const options: RuntimeStartOptions = { enableInternet };
  if (env && Object.keys(env).length > 0) options.env = { ...env };
  if (entrypoint && entrypoint.length > 0) options.entrypoint = [...entrypoint];
  if (labels && Object.keys(labels).length > 0) options.labels = { ...labels };
  if (image !== undefined) options.image = image;
  if (instance !== undefined) options.instance = instance;
  return options;
}

/** Labels within the deployed runtime's limits, else an error naming the label and the limit. */
function assertLabelLimits(labels: Record<string, string>): void {
  const entries = Object.entries(labels);
  if (entries.length > MAX_LABELS) {
    throw new RangeError(`Invalid labels: ${entries.length} labels; a start takes at most ${MAX_LABELS} ${REFUSED}.`);
  }
  for (const [name, value] of entries) {
    if (name.length === 0) {
      throw new TypeError(
        `Invalid labels: a label name is empty; names are 1 to ${MAX_LABEL_NAME_BYTES} bytes ${REFUSED}.`,
      );
    }
    const shown = quoteShort(name);
    const nameControl = CONTROL_CHARACTER.exec(name);
    if (nameControl) {
      throw new TypeError(
        `Invalid labels: ${shown} contains the control character ${codePoint(nameControl[0])}; ` +
          `label names and values may not contain control characters ${REFUSED}.`,
      );
    }
    const nameBytes = utf8Length(name);
    if (nameBytes > MAX_LABEL_NAME_BYTES) {
      throw new RangeError(
        // workerd's own words for this limit, which code may match: "Label names cannot exceed 16 bytes".
        `Invalid labels: ${shown} is ${nameBytes} bytes. Label names cannot exceed ${MAX_LABEL_NAME_BYTES} bytes ` +
          `${REFUSED}.`,
      );
    }
    const valueControl = CONTROL_CHARACTER.exec(value);
    if (valueControl) {
      throw new TypeError(
        `Invalid labels: the value of ${shown} contains the control character ${codePoint(valueControl[0])}; ` +
          `label names and values may not contain control characters ${REFUSED}.`,
      );
    }
    const valueBytes = utf8Length(value);
    if (valueBytes > MAX_LABEL_VALUE_BYTES) {
      throw new RangeError(
        `Invalid labels: the value of ${shown} is ${valueBytes} bytes; label values are at most ` +
          `${MAX_LABEL_VALUE_BYTES} bytes ${REFUSED}.`,
      );
    }
  }
}

/** `value` if absent or a non-empty string without whitespace or control characters. */
function assertImage(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string" || value.length === 0 || WHITESPACE_OR_CONTROL.test(value)) {
    throw new TypeError(
      `Invalid image: ${describeValue(value)}. Expected a named image of this container (wrangler's ` +
        'containers[].images) or an image reference such as "registry.example.com/app:1.2", ' +
        "without whitespace or control characters.",
    );
  }
  return value;
}

/**
 * `value` if absent, a named instance type, or custom resources: `vcpu` a
 * positive number (fractions allowed: the platform sells 1/16 and 1/4 of a
 * vCPU), `memoryMib` and `diskMb` positive integers, and no other keys.
 * Returns a copy of an object.
 */
function assertInstance(value: unknown): ContainerInstanceType | undefined {
  if (value === undefined || value === null) return undefined;
  const names = INSTANCE_TYPE_NAMES.map((name) => JSON.stringify(name)).join(", ");
  const expected = `Expected one of ${names}, or { vcpu, memoryMib, diskMb }`;
  if (typeof value === "string") {
    if ((INSTANCE_TYPE_NAMES as readonly string[]).includes(value)) return value as ContainerInstanceType;
    const renamed = Object.hasOwn(RENAMED_INSTANCE_TYPES, value) ? RENAMED_INSTANCE_TYPES[value] : undefined;
    const hint = renamed === undefined ? "" : ` (${JSON.stringify(value)} is now ${JSON.stringify(renamed)})`;
    throw new TypeError(`Invalid instance: ${describeValue(value)}${hint}. ${expected}.`);
  }
  if (typeof value !== "object" || Array.isArray(value)) {
    throw new TypeError(`Invalid instance: ${describeValue(value)}. ${expected}.`);
  }
  const resources = value as Record<string, unknown>;
  const unknown = Object.keys(resources).filter((key) => !["vcpu", "memoryMib", "diskMb"].includes(key));
  if (unknown.length > 0) {
    throw new TypeError(
      `Invalid instance: unknown key ${JSON.stringify(unknown[0])}. Custom resources are exactly ` +
        "{ vcpu, memoryMib, diskMb }.",
    );
  }
  const { vcpu, memoryMib, diskMb } = resources;
  if (typeof vcpu !== "number" || !Number.isFinite(vcpu) || vcpu <= 0) {
    throw new RangeError(`Invalid instance: vcpu is ${describeValue(vcpu)}. Expected a positive number, e.g. 0.25.`);
  }
  for (const [key, amount] of [
    ["memoryMib", memoryMib],
    ["diskMb", diskMb],
  ] as const) {
    if (typeof amount !== "number" || !Number.isSafeInteger(amount) || amount <= 0) {
      throw new RangeError(`Invalid instance: ${key} is ${describeValue(amount)}. Expected a positive integer.`);
    }
  }
  return { vcpu, memoryMib, diskMb } as InstanceResources;
}

function utf8Length(text: string): number {
  return new TextEncoder().encode(text).byteLength;
}

/** A label name quoted for a message, cut after 40 characters. */
function quoteShort(text: string): string {
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);
}

function codePoint(character: string): string {
  return `U+${character.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`;
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
