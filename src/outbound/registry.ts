/**
 * @module outbound/registry
 * Static outbound configuration, read from the concrete Container subclass
 * when it is needed. Reading (instead of registering through static setters,
 * as the original did) works whether the subclass declares
 * `static outbound = …` with define semantics (TypeScript ≥ ES2022 targets,
 * esbuild, wrangler) or assigns it afterwards.
 *
 * Named handlers (`outboundHandlers`, alias `outboundProxies`) are the one
 * exception, as in the original: assigning them merges into what the class
 * already has, so code that adds a handler at run time
 * (`this.constructor.outboundHandlers = { mine }`) keeps the declared ones.
 * They are accessors on the base class; a subclass field that shadows them is
 * folded in when the class is registered.
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
    // One merged map: `outboundProxies` is an alias of it (installNamedHandlerStatics).
    named: cls.outboundHandlers ?? {},
  };
}

/** Whether the static configuration asks for any interception. */
export function hasStaticOutbound(config: StaticOutboundConfig): boolean {
  return config.catchAll !== undefined || Object.keys(config.byHost ?? {}).length > 0;
}

type NamedHandlers = Record<string, AnyOutboundHandler | undefined>;

/** Named handlers assigned to each class itself (not inherited). */
const ownNamedHandlers = new WeakMap<object, NamedHandlers>();
const NAMED_HANDLER_KEYS = ["outboundHandlers", "outboundProxies"] as const;

/** The classes from the base (where the accessors live) down to `cls`. */
function lineage(cls: object, base: object): object[] {
  const chain: object[] = [];
  for (let current: object | null = cls; current; current = Object.getPrototypeOf(current) as object | null) {
    chain.unshift(current);
    if (current === base) break;
  }
  return chain;
}

/**
 * Make `outboundHandlers` and `outboundProxies` merging accessors on `base`
 * (the Container class): reads give the handlers assigned along the class
 * chain, a subclass's winning; writes merge into the class written to.
 */
export function installNamedHandlerStatics(base: object): void {
  const accessor: PropertyDescriptor = {
    configurable: true,
    enumerable: false,
    get(this: object): NamedHandlers {
      return Object.assign({}, ...lineage(this, base).map((cls) => ownNamedHandlers.get(cls) ?? {}));
    },
    set(this: object, handlers: unknown) {
      mergeNamedHandlers(this, handlers);
      // As the original's setter does: a class that only ever had handlers
      // assigned (never constructed here) can still be named in proxy props.
      if (this !== base) registerByAssignment(this as OutboundStatics & { name: string });
    },
  };
  for (const key of NAMED_HANDLER_KEYS) Object.defineProperty(base, key, accessor);
  namedHandlersBase = base;
}

let namedHandlersBase: object | undefined;

function mergeNamedHandlers(cls: object, handlers: unknown): void {
  if (handlers === undefined || handlers === null) return;
  if (typeof handlers !== "object" || Array.isArray(handlers)) {
    throw new TypeError(
      "outboundHandlers must be an object of handler functions by name, " +
        "e.g. { auth: (request, env, ctx) => fetch(request) }; " +
        `got ${Array.isArray(handlers) ? "an array" : typeof handlers}.`,
    );
  }
  for (const [name, handler] of Object.entries(handlers)) {
    if (handler !== undefined && typeof handler !== "function") {
      throw new TypeError(
        `outboundHandlers.${name} must be a function (request, env, ctx) => Response; got ${typeof handler}.`,
      );
    }
  }
  ownNamedHandlers.set(cls, { ...ownNamedHandlers.get(cls), ...(handlers as NamedHandlers) });
}

/**
 * A class field `static outboundHandlers = …` (define semantics) is an own
 * data property that hides the merging accessor: take its value into the
 * class's handlers and remove it, so later assignments merge.
 */
function foldNamedHandlerFields(cls: object): void {
  if (!namedHandlersBase) return;
  for (const current of lineage(cls, namedHandlersBase)) {
    if (current === namedHandlersBase) continue;
    for (const key of NAMED_HANDLER_KEYS) {
      const descriptor = Object.getOwnPropertyDescriptor(current, key);
      if (!descriptor || !("value" in descriptor)) continue;
      delete (current as Record<string, unknown>)[key];
      mergeNamedHandlers(current, descriptor.value);
    }
  }
}

// ContainerProxy runs in the Worker's isolate and finds the class by name.
// Every Container instance registers its concrete class when constructed; a
// class that is given named handlers by assignment registers then.
const classes = new Map<string, OutboundStatics>();

/** Remember `cls` under its name for ContainerProxy. */
export function registerContainerClass(cls: OutboundStatics & { name: string }): void {
  foldNamedHandlerFields(cls);
  classes.set(cls.name, cls);
}

/** Remember `cls` under its name unless a constructed class already holds that name. */
function registerByAssignment(cls: OutboundStatics & { name: string }): void {
  if (typeof cls.name === "string" && cls.name !== "" && !classes.has(cls.name)) classes.set(cls.name, cls);
}

/** The Container class named `name`, if an instance of it was constructed in this isolate. */
export function containerClassNamed(name: string): OutboundStatics | undefined {
  return classes.get(name);
}
