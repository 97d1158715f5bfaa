/**
 * @module ports
 * Port validation and resolution of which ports to wait for.
 */

/** Throw a clear error unless `port` is an integer in 1–65535. */
export function assertPort(port: unknown, what = "port"): asserts port is number {
  if (typeof port !== "number" || !Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new RangeError(
      `Invalid ${what}: ${typeof port === "string" ? JSON.stringify(port) : String(port)}. ` +
        "Expected an integer from 1 to 65535.",
    );
  }
}

/**
 * The ports `startAndWaitForPorts` waits for: explicit → `requiredPorts` →
 * `defaultPort` → the fallback port. Validates each and removes duplicates.
 */
export function resolvePortsToWait(
  explicit: number | number[] | undefined,
  requiredPorts: readonly number[] | undefined,
  defaultPort: number | undefined,
  fallback: number,
): number[] {
  let ports: readonly number[];
  // An explicit empty list names no port: fall back as if none was given.
  if (explicit !== undefined && !(Array.isArray(explicit) && explicit.length === 0)) {
    ports = Array.isArray(explicit) ? explicit : [explicit];
  } else if (requiredPorts && requiredPorts.length > 0) ports = requiredPorts;
  else if (defaultPort !== undefined) ports = [defaultPort];
  else ports = [fallback];
  for (const port of ports) assertPort(port);
  return [...new Set(ports)];
}
