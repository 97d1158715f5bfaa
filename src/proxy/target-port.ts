/**
 * @module proxy/target-port
 * Which container port a request to `fetch()` goes to.
 */

import { TARGET_PORT_HEADER } from "../constants";
import { ContainerHttpError } from "../errors";

/**
 * The port a request targets, or why there is none: `badHeader` when the
 * request's own header is not a port (the sender's mistake), otherwise the
 * class has no port configured (the developer's).
 */
export type TargetPort = { ok: true; port: number } | { ok: false; message: string; badHeader: boolean };

const DIGITS = /^\d{1,5}$/;

/**
 * Read the `cf-container-target-port` header (set by `switchPort`), falling
 * back to `defaultPort`. The header must be a plain decimal port 1–65535
 * (the original's `parseInt` accepted `"80abc"`).
 */
export function targetPort(headers: Headers, defaultPort: number | undefined): TargetPort {
  const raw = headers.get(TARGET_PORT_HEADER);
  if (raw !== null) {
    const trimmed = raw.trim();
    const port = DIGITS.test(trimmed) ? Number(trimmed) : Number.NaN;
    if (!(port >= 1 && port <= 65_535)) {
      return {
        ok: false,
        message:
          `Invalid ${TARGET_PORT_HEADER} header: ${JSON.stringify(raw)}. ` +
          "Expected an integer from 1 to 65535 (use switchPort(request, port)).",
        badHeader: true,
      };
    }
    return { ok: true, port };
  }
  if (defaultPort !== undefined) return { ok: true, port: defaultPort };
  return {
    ok: false,
    badHeader: false,
    message:
      "No port specified for container fetch: no port is configured for this container. " +
      "Set `defaultPort` on your Container subclass, " +
      "or pick a port per request with `container.fetch(switchPort(request, port))`.",
  };
}

/**
 * What `fetch` does when there is no target port: a request whose routing
 * header is not a port gets a 400 naming it (it came from whoever sent the
 * request, and must not crash the Worker); a class with no port throws.
 */
export function refuseTarget(target: Extract<TargetPort, { ok: false }>): Response {
  if (!target.badHeader) throw new Error(target.message);
  return new ContainerHttpError(target.message, 400).toResponse();
}

/** `request` without the routing header, which is for this library, not the container. */
export function withoutTargetPortHeader(request: Request): Request {
  if (!request.headers.has(TARGET_PORT_HEADER)) return request;
  const headers = new Headers(request.headers);
  headers.delete(TARGET_PORT_HEADER);
  return new Request(request, { headers });
}
