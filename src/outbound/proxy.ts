/**
 * @module outbound/proxy
 * `ContainerProxy`: the entrypoint the runtime sends a container's outbound
 * requests to. The Worker must re-export it. It asks the pure policy what to
 * do and does it: call a handler, go to the internet, or block (520).
 */

import { WorkerEntrypoint } from "cloudflare:workers";
import { ContainerHttpError, messageOf } from "../errors";
import { destinationOf } from "./host-match";
import { decideOutbound } from "./policy";
import { containerClassNamed, staticOutboundConfig } from "./registry";
import type { OutboundHandlerOverride } from "./types";

/** What a Container passes to its ContainerProxy (entrypoint props). */
export interface ContainerProxyProps {
  containerId: string;
  className: string;
  enableInternet: boolean;
  allowedHosts?: string[];
  deniedHosts?: string[];
  outboundByHostOverrides?: Record<string, OutboundHandlerOverride>;
  outboundHandlerOverride?: OutboundHandlerOverride;
  interceptAll?: boolean;
}

const PROPS_SHAPE =
  "{ className: string, containerId: string, enableInternet: boolean, " +
  "allowedHosts?: string[], deniedHosts?: string[], " +
  "outboundByHostOverrides?: { [host]: { method: string, params? } }, " +
  "outboundHandlerOverride?: { method: string, params? }, interceptAll?: boolean }";

const isOverride = (value: unknown): boolean =>
  typeof value === "object" && value !== null && typeof (value as { method?: unknown }).method === "string";
const isStringList = (value: unknown): boolean =>
  Array.isArray(value) && value.every((item) => typeof item === "string");

/**
 * What is wrong with `props`, or `undefined` when they have the shape this
 * package builds and the original built (a Worker may build them itself:
 * `ctx.exports.ContainerProxy({ props })`). Unknown keys are left alone.
 */
export function propsProblem(props: unknown): string | undefined {
  if (typeof props !== "object" || props === null || Array.isArray(props))
    return `props must be an object, got ${props === null ? "null" : typeof props}`;
  const p = props as Record<string, unknown>;
  if (typeof p.className !== "string" || p.className === "")
    return `props.className must be the Container class's name, got ${JSON.stringify(p.className)}`;
  if (typeof p.containerId !== "string")
    return `props.containerId must be a string (the Durable Object id), got ${typeof p.containerId}`;
  if (p.enableInternet !== undefined && typeof p.enableInternet !== "boolean")
    return `props.enableInternet must be a boolean, got ${typeof p.enableInternet}`;
  for (const key of ["allowedHosts", "deniedHosts"] as const) {
    if (p[key] !== undefined && !isStringList(p[key])) return `props.${key} must be an array of host patterns`;
  }
  if (p.outboundByHostOverrides !== undefined) {
    if (typeof p.outboundByHostOverrides !== "object" || p.outboundByHostOverrides === null)
      return "props.outboundByHostOverrides must be an object by host";
    for (const [host, value] of Object.entries(p.outboundByHostOverrides)) {
      if (!isOverride(value))
        return `props.outboundByHostOverrides[${JSON.stringify(host)}] must be { method: string, params? }`;
    }
  }
  if (p.outboundHandlerOverride !== undefined && !isOverride(p.outboundHandlerOverride))
    return "props.outboundHandlerOverride must be { method: string, params? }";
  if (p.interceptAll !== undefined && typeof p.interceptAll !== "boolean")
    return `props.interceptAll must be a boolean, got ${typeof p.interceptAll}`;
  return undefined;
}

/** Status and body of a blocked request (as the original answers). */
export const BLOCKED_STATUS = 520;
const BLOCKED_BODY = "Origin is disallowed";

/**
 * Receives the HTTP(S) requests a container makes when outbound interception
 * is configured. Re-export it from your Worker's main module:
 *
 * @example
 * ```ts
 * export { ContainerProxy } from "workerd-containers";
 * ```
 */
export class ContainerProxy extends WorkerEntrypoint<Cloudflare.Env, ContainerProxyProps> {
  /** Decide and act on one outbound request. */
  override async fetch(request: Request): Promise<Response> {
    const props = this.ctx.props;
    const problem = propsProblem(props);
    if (problem) {
      return new ContainerHttpError(
        `ContainerProxy: invalid props: ${problem}. Expected ${PROPS_SHAPE}.`,
        500,
      ).toResponse();
    }
    const cls = containerClassNamed(props.className);
    if (!cls) {
      return new ContainerHttpError(
        `ContainerProxy: no Container class named "${props.className}" is loaded in this Worker.`,
        500,
      ).toResponse();
    }
    const statics = staticOutboundConfig(cls);
    const verdict = decideOutbound({
      destination: destinationOf(request.url),
      deniedHosts: props.deniedHosts,
      allowedHosts: props.allowedHosts,
      runtimeByHost: props.outboundByHostOverrides,
      staticByHost: statics.byHost,
      runtimeCatchAll: props.outboundHandlerOverride,
      staticCatchAll: statics.catchAll,
      namedHandlers: statics.named,
      enableInternet: props.enableInternet,
    });
    if (verdict.action === "block") return new ContainerHttpError(BLOCKED_BODY, BLOCKED_STATUS).toResponse();
    if (verdict.action === "internet") return fetch(request);
    const context = { containerId: props.containerId, className: props.className, params: verdict.params };
    try {
      return await verdict.handler(request, this.env, context);
    } catch (error) {
      console.error(`workerd-containers: outbound handler for ${request.url} threw:`, error);
      return new ContainerHttpError(`Outbound handler failed: ${messageOf(error)}`, 502, { cause: error }).toResponse();
    }
  }
}
