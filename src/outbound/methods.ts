/**
 * @module outbound/methods
 * The Container's public methods that change outbound interception while it
 * runs (persisted; they apply to the running container at once). Declared
 * here with their documentation and put on `Container.prototype` by
 * container.ts: ordinary prototype methods, so a subclass overrides them and
 * a Durable Object stub calls them like any other method, and the class keeps
 * the original's shape (it extends `DurableObject` directly).
 */

import type { OutboundController } from "./controller";
import type { OutboundByHostOverrideInput, OutboundParamsArg } from "./types";

/** Outbound interception set at run time: named handlers, per-host handlers, allow- and deny-lists. */
export interface OutboundMethods {
  /**
   * Send every outbound request not handled per host to the named handler of
   * `static outboundHandlers`, with `params`.
   * @throws {Error} when no handler has that name (the message lists the known ones)
   */
  setOutboundHandler<Params = unknown>(methodName: string, ...paramsArg: OutboundParamsArg<Params>): Promise<void>;

  /** Send outbound requests for `hostname` to the named handler, with `params`. */
  setOutboundByHost<Params = unknown>(
    hostname: string,
    methodName: string,
    ...paramsArg: OutboundParamsArg<Params>
  ): Promise<void>;

  /** Several {@link setOutboundByHost} at once: `{ host: "method" | { method, params } }`. */
  setOutboundByHosts<Params = unknown>(handlers: OutboundByHostOverrideInput<Params>): Promise<void>;

  /** Remove a runtime per-host handler; the static one (if any) applies again. */
  removeOutboundByHost(hostname: string): Promise<void>;

  /** Replace the allow-list. Allowed hosts reach the internet even with `enableInternet` false. */
  setAllowedHosts(hosts: string[]): Promise<void>;

  /** Replace the deny-list. Denied hosts are blocked whatever else is configured. */
  setDeniedHosts(hosts: string[]): Promise<void>;

  /** Add one host to the allow-list. */
  allowHost(hostname: string): Promise<void>;

  /** Add one host to the deny-list. */
  denyHost(hostname: string): Promise<void>;

  /** Remove one host from the allow-list (an empty allow-list still blocks everything). */
  removeAllowedHost(hostname: string): Promise<void>;

  /** Remove one host from the deny-list. */
  removeDeniedHost(hostname: string): Promise<void>;
}

type Implementations = {
  [Name in keyof OutboundMethods]: (this: object, ...args: never[]) => Promise<void>;
};

/**
 * Define the {@link OutboundMethods} on `cls.prototype`, as a class body
 * would (writable, configurable, not enumerable), each handing its call to
 * the instance's controller.
 */
export function installOutboundMethods(cls: { prototype: object }, controllerOf: (self: object) => OutboundController) {
  const methods: Implementations = {
    setOutboundHandler(method: string, params?: unknown) {
      return controllerOf(this).setOutboundHandler(method, params);
    },
    setOutboundByHost(host: string, method: string, params?: unknown) {
      return controllerOf(this).setOutboundByHost(host, method, params);
    },
    setOutboundByHosts(handlers: OutboundByHostOverrideInput<unknown>) {
      return controllerOf(this).setOutboundByHosts(handlers);
    },
    removeOutboundByHost(host: string) {
      return controllerOf(this).removeOutboundByHost(host);
    },
    setAllowedHosts(hosts: string[]) {
      return controllerOf(this).setAllowedHosts(hosts);
    },
    setDeniedHosts(hosts: string[]) {
      return controllerOf(this).setDeniedHosts(hosts);
    },
    allowHost(host: string) {
      return controllerOf(this).allowHost(host);
    },
    denyHost(host: string) {
      return controllerOf(this).denyHost(host);
    },
    removeAllowedHost(host: string) {
      return controllerOf(this).removeAllowedHost(host);
    },
    removeDeniedHost(host: string) {
      return controllerOf(this).removeDeniedHost(host);
    },
  };
  for (const [name, value] of Object.entries(methods)) {
    Object.defineProperty(cls.prototype, name, { value, writable: true, configurable: true, enumerable: false });
  }
}
