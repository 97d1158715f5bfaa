/**
 * @module proxy/target-port
 * Which container port a request to `fetch()` goes to.
 */

import { TARGET_PORT_HEADER } from "../constants";

/** The port a request targets, or an error message saying why there is none. */
export type TargetPort = { ok: true; port: number } | { ok: false; message: string };

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
        message: `Invalid ${TARGET_PORT_HEADER} header: ${JSON.stringify(raw)}. Expected an integer from 1 to 65535 (use switchPort(request, port)).`,
      };
    }
    return { ok: true, port };
  }
  if (defaultPort !== undefined) return { ok: true, port: defaultPort };
  return {
    ok: false,
    message:
      "No port configured for this container. Set `defaultPort` on your Container subclass, or pick a port per request with `container.fetch(switchPort(request, port))`.",
  };
}
