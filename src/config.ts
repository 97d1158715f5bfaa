/**
 * @module config
 * The Container fields the library reads, resolved once per value into one
 * validated, frozen object: durations parsed, ports checked, the port that
 * proves an instance exists chosen, readiness probes built. Nobody else
 * parses `sleepAfter` or picks ports. Re-resolved only when a field changes
 * (compared by identity; `requiredPorts` and `readyOn` also by content, since
 * code mutates them in place).
 */

import { CONTAINER_BASE_URL, FALLBACK_PORT } from "./constants";
import { parseDuration } from "./duration";
import { describeValue } from "./errors";
import { resolvePersist, type PersistDisk, type ResolvedPersist } from "./lifecycle/persist";
import type { StartDefaults } from "./lifecycle/start";
import { assertPort } from "./ports";
import { assertReadinessChecks, type ReadinessCheck } from "./readiness-checks";
import type { ContainerOptions, ReadyOn } from "./types";

/** The instance fields a configuration is resolved from. */
export interface ConfigFields extends Partial<Omit<StartDefaults, "image" | "instance">> {
  /** The start option `image`, as a field (named so as not to clash with an `image()` method). */
  containerImage?: string;
  /** The start option `instance`, as a field (named so as not to clash with an `instance()` method). */
  instanceType?: StartDefaults["instance"];
  sleepAfter: string | number;
  hardTimeout?: string | number;
  defaultPort?: number;
  requiredPorts?: number[];
  pingEndpoint: string;
  readyOn?: ReadyOn | ReadinessCheck[];
  persistDisk?: PersistDisk;
  webSocketProxy?: WebSocketProxyMode;
}

/**
 * How a WebSocket upgrade reaches the container: `"relay"` (the default; both
 * ends accepted in the Durable Object, every message forwarded) or
 * `"pass-through"` (the container's own upgrade response handed back).
 */
export type WebSocketProxyMode = "relay" | "pass-through";

/** How one port is probed for readiness. */
export interface ReadinessProbe {
  url: string;
  /** Statuses that count as ready; any response when absent. */
  accept?: (status: number) => boolean;
}

/**
 * A validated, frozen view of the fields. The durations are checked here but
 * read through {@link ConfigCache.sleepAfterMs} and
 * {@link ConfigCache.hardTimeoutMs}, which do not fail over other fields.
 */
export interface ResolvedConfig {
  readonly defaultPort: number | undefined;
  readonly requiredPorts: readonly number[];
  /** The port probed to learn that the runtime gave the container an instance. */
  readonly instancePort: number;
  /** URL of the plain readiness probe (`http://<pingEndpoint>`). */
  readonly pingUrl: string;
  /** The values a start uses unless its options replace them. */
  readonly startDefaults: StartDefaults;
  /** The probe for `port`: `readyOn`'s HTTP check on its port, else the plain one. */
  probeFor(port: number): ReadinessProbe;
  /**
   * `readyOn` as a list of checks (readiness-checks.ts), which replace the
   * ports a start would otherwise wait for; `undefined` for the object form.
   */
  readonly readinessChecks: readonly ReadinessCheck[] | undefined;
  /** `persistDisk`, checked; `undefined` when the class does not set it. */
  readonly persist: ResolvedPersist | undefined;
  /** `webSocketProxy`, checked; `"relay"` when the class does not set it. */
  readonly webSocketProxy: WebSocketProxyMode;
}

/** Resolve `fields`; throws naming the field and what is accepted. */
export function resolveConfig(fields: ConfigFields): ResolvedConfig {
  parseDuration(fields.sleepAfter, "sleepAfter");
  const hardTimeout = optional(fields.hardTimeout);
  if (hardTimeout !== undefined) parseDuration(hardTimeout, "hardTimeout");
  if (fields.defaultPort !== undefined) assertPort(fields.defaultPort, "defaultPort");
  const requiredPorts = Object.freeze([...(fields.requiredPorts ?? [])]);
  for (const port of requiredPorts) assertPort(port, "requiredPorts entry");
  const readyOn = optional(fields.readyOn);
  const readinessChecks = Array.isArray(readyOn) ? readyOn : undefined;
  if (readinessChecks) assertReadinessChecks(readinessChecks);
  const form = readinessChecks ? undefined : (readyOn as ReadyOn | undefined);
  if (form !== undefined) assertReadyOn(form);
  const persist = resolvePersist(fields.persistDisk);
  const webSocketProxy = resolveWebSocketProxy(fields.webSocketProxy);
  const pingUrl = `http://${fields.pingEndpoint}`;
  const plain: ReadinessProbe = { url: pingUrl };
  const checked = form === undefined ? undefined : httpCheck(form);
  const checkedPort = form?.port ?? fields.defaultPort;
  const { envVars, entrypoint, enableInternet, labels } = fields;
  const image = optional(fields.containerImage);
  const instance = optional(fields.instanceType);
  return Object.freeze({
    defaultPort: fields.defaultPort,
    requiredPorts,
    instancePort: fields.defaultPort ?? requiredPorts[0] ?? FALLBACK_PORT,
    pingUrl,
    startDefaults: Object.freeze({ envVars, entrypoint, enableInternet, labels, image, instance }),
    probeFor: (port: number) => (checked && port === checkedPort ? checked : plain),
    readinessChecks: readinessChecks && Object.freeze([...readinessChecks]),
    persist,
    webSocketProxy,
  });
}

/** Keeps the last resolved configuration until a field changes. */
export class ConfigCache {
  readonly #read: () => ConfigFields;
  #key: unknown[] | undefined;
  #config: ResolvedConfig | undefined;
  readonly #durations = new Map<"sleepAfter" | "hardTimeout", { value: string | number; ms: number }>();

  constructor(read: () => ConfigFields) {
    this.#read = read;
  }

  /** The configuration for the fields' current values. */
  get(): ResolvedConfig {
    const fields = this.#read();
    const key = keyOf(fields);
    const known = this.#key;
    if (this.#config && known?.length === key.length && key.every((part, i) => Object.is(part, known[i]))) {
      return this.#config;
    }
    const config = resolveConfig(fields);
    this.#key = key;
    this.#config = config;
    return config;
  }

  /**
   * `sleepAfter` in ms, parsed once per value, for the idle timer (it runs on
   * every request): a bad field elsewhere (say `readyOn`) is refused by the
   * start that needs it, not by each renewal of a running container.
   */
  sleepAfterMs(): number {
    return this.#duration("sleepAfter", this.#read().sleepAfter);
  }

  /**
   * `hardTimeout` in ms (or `undefined`), read alone for the same reason: a
   * running container's hard timeout must not fail over another field.
   */
  hardTimeoutMs(): number | undefined {
    const value = optional(this.#read().hardTimeout);
    return value === undefined ? undefined : this.#duration("hardTimeout", value);
  }

  /**
   * `webSocketProxy`, read alone for each upgrade, so a bad field elsewhere does not refuse it (a bad
   * `webSocketProxy` is also refused by every start, as any bad field is).
   */
  webSocketProxy(): WebSocketProxyMode {
    return resolveWebSocketProxy(this.#read().webSocketProxy);
  }

  #duration(field: "sleepAfter" | "hardTimeout", value: string | number): number {
    const known = this.#durations.get(field);
    if (known?.value === value) return known.ms;
    const ms = parseDuration(value, field);
    this.#durations.set(field, { value, ms });
    return ms;
  }
}

/**
 * An opt-in field's value, or `undefined` when the name holds a function: a
 * subclass's method of that name (these fields are declared, not defined,
 * so they never hide one) is not configuration.
 */
export function optional<T>(value: T): Exclude<T, (...args: never[]) => unknown> | undefined {
  return typeof value === "function" ? undefined : (value as Exclude<T, (...args: never[]) => unknown>);
}

/** `webSocketProxy` checked: `"relay"` when unset; throws naming what is accepted. */
export function resolveWebSocketProxy(value: unknown): WebSocketProxyMode {
  const mode = optional(value);
  if (mode === undefined) return "relay";
  if (mode === "relay" || mode === "pass-through") return mode;
  throw new TypeError(
    `Invalid webSocketProxy: ${describeValue(mode)}. Expected "relay" (the default) or "pass-through".`,
  );
}

function keyOf(f: ConfigFields): unknown[] {
  // A list of checks is compared entry by entry (addReadinessCheck pushes to it).
  const checks = Array.isArray(f.readyOn) ? f.readyOn : undefined;
  const form = checks ? undefined : (f.readyOn as ReadyOn | undefined);
  return [
    f.sleepAfter,
    f.hardTimeout,
    f.defaultPort,
    f.requiredPorts,
    f.requiredPorts?.join(","),
    f.pingEndpoint,
    f.readyOn,
    form?.port,
    form?.path,
    form?.status,
    String(form?.status),
    f.envVars,
    f.entrypoint,
    f.enableInternet,
    f.labels,
    f.containerImage,
    f.instanceType,
    f.persistDisk,
    f.webSocketProxy,
    // Compared by content too: code may change the object or push to its list in place.
    ...persistKey(f.persistDisk),
    ...(checks ?? []),
  ];
}

function persistKey(persist: unknown): unknown[] {
  if (typeof persist !== "object" || persist === null) return [];
  const { directories, container, restoreFailure } = persist as Record<string, unknown>;
  return [container, restoreFailure, Array.isArray(directories) ? directories.join("\0") : directories];
}

function httpCheck(readyOn: ReadyOn): ReadinessProbe {
  const accepted = readyOn.status === undefined ? undefined : new Set([readyOn.status].flat());
  return {
    url: `${CONTAINER_BASE_URL}${readyOn.path ?? "/"}`,
    accept: (status) => (accepted ? accepted.has(status) : status >= 200 && status < 300),
  };
}

function assertReadyOn(readyOn: ReadyOn): void {
  const problem =
    typeof readyOn !== "object" || readyOn === null
      ? "it is not an object"
      : readyOn.path !== undefined && (typeof readyOn.path !== "string" || !readyOn.path.startsWith("/"))
        ? `path ${JSON.stringify(readyOn.path)} does not start with "/"`
        : readyOn.status !== undefined &&
            ![readyOn.status].flat().every((code) => Number.isInteger(code) && code >= 100 && code <= 599)
          ? `status ${JSON.stringify(readyOn.status)} is not an HTTP status or a list of them`
          : undefined;
  if (problem) {
    throw new TypeError(
      `Invalid readyOn: ${problem}. Expected { port?: number, path?: "/…", status?: number | number[] }.`,
    );
  }
  if (readyOn.port !== undefined) assertPort(readyOn.port, "readyOn.port");
}

/** The fields `ContainerOptions` (the constructor's third argument) may set. */
export interface OptionFields {
  defaultPort?: number;
  sleepAfter: string | number;
  envVars: Record<string, string>;
  entrypoint?: string[];
  enableInternet: boolean;
}

/** Copy constructor options onto the instance (checked values only). */
export function applyOptions(target: OptionFields, options: ContainerOptions): void {
  if (options.defaultPort !== undefined) target.defaultPort = options.defaultPort;
  if (options.sleepAfter !== undefined) {
    parseDuration(options.sleepAfter, "sleepAfter");
    target.sleepAfter = options.sleepAfter;
  }
  if (options.envVars !== undefined) target.envVars = options.envVars;
  if (options.entrypoint !== undefined) target.entrypoint = options.entrypoint;
  if (options.enableInternet !== undefined) target.enableInternet = options.enableInternet;
}
