/**
 * @module outbound/controller
 * The instance side of outbound interception: the runtime setters, and
 * registering a ContainerProxy with the runtime when a container starts (and
 * again after a restart or a configuration change while it runs).
 */

import type { ContainerRuntime } from "../runtime";
import type { OutboundConfigStore } from "./config";
import { compilePattern } from "./host-match";
import type { ContainerProxyProps } from "./proxy";
import { hasStaticOutbound, staticOutboundConfig, type OutboundStatics, type StaticOutboundConfig } from "./registry";
import type { OutboundByHostOverrideInput, OutboundHandlerOverride } from "./types";

/** Thrown when interception is needed but the Worker does not export ContainerProxy. */
export const MISSING_PROXY_MESSAGE =
  "Outbound interception needs the ContainerProxy entrypoint, and this Worker does not export it. " +
  'Add `export { ContainerProxy } from "workerd-containers";` to your Worker\'s main module ' +
  "(and use a compatibility date that provides ctx.exports).";

/** The Container fields interception reads: the instance itself, read when needed. */
export interface OutboundFields {
  /** The concrete class: its name and static outbound configuration. */
  readonly constructor: object & { name: string };
  readonly allowedHosts?: string[];
  readonly deniedHosts?: string[];
  readonly interceptHttps: boolean;
  readonly enableInternet: boolean;
}

/** What the controller needs from its Container. */
export interface OutboundHost {
  readonly runtime: ContainerRuntime;
  readonly config: OutboundConfigStore;
  readonly ctx: DurableObjectState;
  readonly fields: OutboundFields;
}

type LoopbackEntrypoint = (options: { props: ContainerProxyProps }) => Fetcher;

/** Runtime outbound configuration and its registration with the runtime. */
export class OutboundController {
  readonly #host: OutboundHost;
  #enableInternet: boolean | undefined;

  constructor(host: OutboundHost) {
    this.#host = host;
  }

  /** The class's static configuration, read when needed (it may be assigned after construction). */
  #staticConfig(): StaticOutboundConfig {
    return staticOutboundConfig(this.#host.fields.constructor as OutboundStatics);
  }

  /** Effective allow-list: the runtime replacement, else the field. */
  get allowedHosts(): string[] | undefined {
    return this.#host.config.current.allowedHosts ?? this.#host.fields.allowedHosts;
  }

  /** Effective deny-list: the runtime replacement, else the field. */
  get deniedHosts(): string[] | undefined {
    return this.#host.config.current.deniedHosts ?? this.#host.fields.deniedHosts;
  }

  /** Whether any outbound rule or handler exists. */
  isNeeded(): boolean {
    return (
      hasStaticOutbound(this.#staticConfig()) ||
      !this.#host.config.isEmpty ||
      this.allowedHosts !== undefined ||
      this.deniedHosts !== undefined
    );
  }

  /**
   * Register the ContainerProxy for every outbound request of the container
   * (and HTTPS when `interceptHttps`). Called before each start.
   *
   * @param enableInternet the value the start uses (kept for re-registration)
   * @throws when ContainerProxy is not exported, or HTTPS interception is asked
   *   of a runtime that lacks it
   */
  async apply(enableInternet?: boolean): Promise<void> {
    if (enableInternet !== undefined) this.#enableInternet = enableInternet;
    if (!this.isNeeded()) return;
    const { runtime } = this.#host;
    const wantsHttps = this.#host.fields.interceptHttps;
    if (wantsHttps && typeof runtime.interceptOutboundHttps !== "function") {
      throw new Error(
        "interceptHttps is set, but this runtime cannot intercept outbound HTTPS " +
          "(ctx.container.interceptOutboundHttps is missing). " +
          "Update workerd/wrangler and the compatibility date, or set interceptHttps = false.",
      );
    }
    if (typeof runtime.interceptAllOutboundHttp !== "function") {
      throw new Error(
        "This runtime cannot intercept outbound HTTP (ctx.container.interceptAllOutboundHttp is missing). " +
          "Update workerd/wrangler.",
      );
    }
    const fetcher = this.#proxyEntrypoint()({ props: this.#props() });
    await runtime.interceptAllOutboundHttp(fetcher);
    if (wantsHttps) await runtime.interceptOutboundHttps!("*", fetcher);
  }

  // --- runtime setters (persisted; re-registered when the container runs) ---

  async setOutboundHandler(method: string, params?: unknown): Promise<void> {
    this.#assertMethod(method);
    await this.#change((c) => (c.outboundHandlerOverride = override(method, params)));
  }

  async setOutboundByHost(host: string, method: string, params?: unknown): Promise<void> {
    assertHostPattern(host);
    this.#assertMethod(method);
    await this.#change(
      (c) => (c.outboundByHostOverrides = { ...c.outboundByHostOverrides, [host]: override(method, params) }),
    );
  }

  async setOutboundByHosts(handlers: OutboundByHostOverrideInput<unknown>): Promise<void> {
    if (typeof handlers !== "object" || handlers === null) {
      throw new TypeError(
        "setOutboundByHosts() expects an object mapping hosts to a handler name or { method, params }.",
      );
    }
    const entries = Object.entries(handlers).map(([host, choice]) => {
      assertHostPattern(host);
      const chosen =
        typeof choice === "string" ? override(choice, undefined) : override(choice?.method, choice?.params);
      this.#assertMethod(chosen.method);
      return [host, chosen] as const;
    });
    await this.#change(
      (c) => (c.outboundByHostOverrides = { ...c.outboundByHostOverrides, ...Object.fromEntries(entries) }),
    );
  }

  async removeOutboundByHost(host: string): Promise<void> {
    await this.#change((c) => {
      if (c.outboundByHostOverrides) delete c.outboundByHostOverrides[host];
    });
  }

  async setAllowedHosts(hosts: string[]): Promise<void> {
    assertHostList(hosts, "setAllowedHosts");
    await this.#change((c) => (c.allowedHosts = [...hosts]));
  }

  async setDeniedHosts(hosts: string[]): Promise<void> {
    assertHostList(hosts, "setDeniedHosts");
    await this.#change((c) => (c.deniedHosts = [...hosts]));
  }

  async allowHost(host: string): Promise<void> {
    assertHostPattern(host);
    const current = this.allowedHosts ?? [];
    await this.#change((c) => (c.allowedHosts = current.includes(host) ? [...current] : [...current, host]));
  }

  async denyHost(host: string): Promise<void> {
    assertHostPattern(host);
    const current = this.deniedHosts ?? [];
    await this.#change((c) => (c.deniedHosts = current.includes(host) ? [...current] : [...current, host]));
  }

  async removeAllowedHost(host: string): Promise<void> {
    const current = this.allowedHosts ?? [];
    await this.#change((c) => (c.allowedHosts = current.filter((h) => h !== host)));
  }

  async removeDeniedHost(host: string): Promise<void> {
    const current = this.deniedHosts ?? [];
    await this.#change((c) => (c.deniedHosts = current.filter((h) => h !== host)));
  }

  // --- internals ---------------------------------------------------------------

  async #change(change: Parameters<OutboundConfigStore["update"]>[0]): Promise<void> {
    await this.#host.config.update(change);
    // A running container gets the new rules now; a stopped one at its next start.
    if (this.#host.runtime.running) await this.apply();
  }

  #assertMethod(method: unknown): void {
    const named = this.#staticConfig().named;
    if (typeof method !== "string" || typeof named[method] !== "function") {
      const known = Object.keys(named).filter((name) => typeof named[name] === "function");
      throw new Error(
        `Outbound handler ${JSON.stringify(method)} not found in ` +
          `${this.#host.fields.constructor.name}.outboundHandlers. ` +
          (known.length ? `Known handlers: ${known.join(", ")}.` : "No outboundHandlers are declared on the class."),
      );
    }
  }

  #props(): ContainerProxyProps {
    const config = this.#host.config.current;
    const props: ContainerProxyProps = {
      containerId: this.#host.ctx.id.toString(),
      className: this.#host.fields.constructor.name,
      enableInternet: this.#enableInternet ?? this.#host.fields.enableInternet,
      interceptAll: true,
    };
    const allowed = this.allowedHosts;
    const denied = this.deniedHosts;
    if (allowed !== undefined) props.allowedHosts = [...allowed];
    if (denied !== undefined) props.deniedHosts = [...denied];
    if (config.outboundByHostOverrides) props.outboundByHostOverrides = config.outboundByHostOverrides;
    if (config.outboundHandlerOverride) props.outboundHandlerOverride = config.outboundHandlerOverride;
    return props;
  }

  #proxyEntrypoint(): LoopbackEntrypoint {
    let exports: Record<string, unknown> | undefined;
    try {
      exports = (this.#host.ctx as unknown as { exports?: Record<string, unknown> }).exports;
    } catch {
      exports = undefined;
    }
    const entrypoint = exports?.ContainerProxy;
    if (typeof entrypoint !== "function") throw new Error(MISSING_PROXY_MESSAGE);
    return entrypoint as LoopbackEntrypoint;
  }
}

function override(method: string, params: unknown): OutboundHandlerOverride {
  return params === undefined ? { method } : ({ method, params } as OutboundHandlerOverride);
}

/** Throw a clear error unless `host` is a usable host pattern. */
export function assertHostPattern(host: unknown): asserts host is string {
  if (typeof host !== "string" || compilePattern(host) === null) {
    throw new TypeError(
      `Invalid host pattern: ${JSON.stringify(host)}. ` +
        'Expected a host name ("api.example.com"), optionally with a port ("api.example.com:8443"), ' +
        'an IP ("10.0.0.1", "[::1]"), or a glob ("*.example.com", "*").',
    );
  }
}

function assertHostList(hosts: unknown, what: string): asserts hosts is string[] {
  if (!Array.isArray(hosts)) throw new TypeError(`${what}() expects an array of host patterns; got ${typeof hosts}.`);
  for (const host of hosts) assertHostPattern(host);
}
