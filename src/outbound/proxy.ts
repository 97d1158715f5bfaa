/**
 * @module outbound/proxy
 * `ContainerProxy`: the entrypoint the runtime sends a container's outbound
 * requests to. The Worker must re-export it. It asks the pure policy what to
 * do and does it: call a handler, go to the internet, or block (520).
 */

import { WorkerEntrypoint } from "cloudflare:workers";
import { messageOf } from "../errors";
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
    const cls = containerClassNamed(props.className);
    if (!cls) {
      return new Response(`ContainerProxy: no Container class named "${props.className}" is loaded in this Worker.`, {
        status: 500,
      });
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
    if (verdict.action === "block") return new Response(BLOCKED_BODY, { status: BLOCKED_STATUS });
    if (verdict.action === "internet") return fetch(request);
    const context = { containerId: props.containerId, className: props.className, params: verdict.params };
    try {
      return await verdict.handler(request, this.env, context);
    } catch (error) {
      console.error(`workerd-containers: outbound handler for ${request.url} threw:`, error);
      return new Response(`Outbound handler failed: ${messageOf(error)}`, { status: 502 });
    }
  }
}
