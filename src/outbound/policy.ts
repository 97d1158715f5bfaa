/**
 * @module outbound/policy
 * The decision for one outbound request, as a pure function. First match wins:
 * 1. host in `deniedHosts` → blocked;
 * 2. `allowedHosts` set (even empty) and host not in it → blocked;
 * 3. runtime per-host handler; 4. static per-host handler (exact, then glob);
 * 5. runtime catch-all handler; 6. static `outbound`;
 * 7. host in `allowedHosts` → internet (even with `enableInternet` false);
 * 8. `enableInternet` → internet; 9. otherwise blocked.
 */

import { lookupByHost, matchesHostList, type Destination } from "./host-match";
import type { AnyOutboundHandler, OutboundHandlerOverride } from "./types";

/** Everything the decision depends on. */
export interface OutboundPolicyInput {
  destination: Destination;
  deniedHosts: readonly string[] | undefined;
  allowedHosts: readonly string[] | undefined;
  /** Runtime per-host choices (`setOutboundByHost`). */
  runtimeByHost: Readonly<Record<string, OutboundHandlerOverride>> | undefined;
  /** Static `outboundByHost`. */
  staticByHost: Readonly<Record<string, AnyOutboundHandler>> | undefined;
  /** Runtime catch-all (`setOutboundHandler`). */
  runtimeCatchAll: OutboundHandlerOverride | undefined;
  /** Static `outbound` (or `outboundProxy`). */
  staticCatchAll: AnyOutboundHandler | undefined;
  /** Named handlers runtime choices refer to (`outboundHandlers`). */
  namedHandlers: Readonly<Record<string, AnyOutboundHandler | undefined>>;
  enableInternet: boolean;
}

/** What to do with the request. */
export type OutboundVerdict =
  | { action: "block"; step: 1 | 2 | 9 }
  | { action: "handle"; step: 3 | 4 | 5 | 6; handler: AnyOutboundHandler; params?: unknown }
  | { action: "internet"; step: 7 | 8 };

/** Decide what happens to one outbound request. */
export function decideOutbound(input: OutboundPolicyInput): OutboundVerdict {
  const { destination } = input;
  if (input.deniedHosts && matchesHostList(input.deniedHosts, destination)) return { action: "block", step: 1 };
  if (input.allowedHosts && !matchesHostList(input.allowedHosts, destination)) return { action: "block", step: 2 };

  // A runtime choice naming a handler that no longer exists falls through.
  const runtimeHost = lookupByHost(input.runtimeByHost, destination);
  const runtimeHostHandler = runtimeHost && input.namedHandlers[runtimeHost.method];
  if (runtimeHost && runtimeHostHandler) {
    return { action: "handle", step: 3, handler: runtimeHostHandler, params: runtimeHost.params };
  }
  const staticHost = lookupByHost(input.staticByHost, destination);
  if (staticHost) return { action: "handle", step: 4, handler: staticHost };

  const catchAll = input.runtimeCatchAll;
  const catchAllHandler = catchAll && input.namedHandlers[catchAll.method];
  if (catchAll && catchAllHandler)
    return { action: "handle", step: 5, handler: catchAllHandler, params: catchAll.params };
  if (input.staticCatchAll) return { action: "handle", step: 6, handler: input.staticCatchAll };

  if (input.allowedHosts) return { action: "internet", step: 7 };
  if (input.enableInternet) return { action: "internet", step: 8 };
  return { action: "block", step: 9 };
}
