/**
 * @module outbound/registry
 * Static outbound configuration, read from the concrete Container subclass
 * when it is needed. Reading (instead of registering through static setters,
 * as the original did) works whether the subclass declares
 * `static outbound = …` with define semantics (TypeScript ≥ ES2022 targets,
 * esbuild, wrangler) or assigns it afterwards.
 */

import type { AnyOutboundHandler } from "./types";

/** The static fields a Container subclass may declare. */
export interface OutboundStatics {
  outbound?: AnyOutboundHandler;
  outboundProxy?: AnyOutboundHandler;
  outboundByHost?: Record<string, AnyOutboundHandler>;
  outboundHandlers?: Record<string, AnyOutboundHandler | undefined>;
  outboundProxies?: Record<string, AnyOutboundHandler | undefined>;
}

/** A class's static outbound configuration, aliases folded in. */
export interface StaticOutboundConfig {
  catchAll: AnyOutboundHandler | undefined;
  byHost: Record<string, AnyOutboundHandler> | undefined;
  named: Record<string, AnyOutboundHandler | undefined>;
}

/** Read the static configuration of `cls` (inherited statics included). */
export function staticOutboundConfig(cls: OutboundStatics): StaticOutboundConfig {
  return {
    catchAll: cls.outbound ?? cls.outboundProxy,
    byHost: cls.outboundByHost,
    named: { ...cls.outboundProxies, ...cls.outboundHandlers },
  };
}

/** Whether the static configuration asks for any interception. */
export function hasStaticOutbound(config: StaticOutboundConfig): boolean {
  return config.catchAll !== undefined || Object.keys(config.byHost ?? {}).length > 0;
}

// ContainerProxy runs in the Worker's isolate and finds the class by name.
// Every Container instance registers its concrete class when constructed.
const classes = new Map<string, OutboundStatics>();

/** Remember `cls` under its name for ContainerProxy. */
export function registerContainerClass(cls: OutboundStatics & { name: string }): void {
  classes.set(cls.name, cls);
}

/** The Container class named `name`, if an instance of it was constructed in this isolate. */
export function containerClassNamed(name: string): OutboundStatics | undefined {
  return classes.get(name);
}
