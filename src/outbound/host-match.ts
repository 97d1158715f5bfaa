/**
 * @module outbound/host-match
 * Matching a request's host against allow/deny lists and per-host handler
 * keys. The request side is normalised by the WHATWG URL parser (lower case,
 * IDNA to punycode, percent-decoding, IPv4 in dotted decimal, IPv6 compressed,
 * userinfo separated out), then trailing dots are removed. Patterns are
 * normalised the same way, so every spelling of a host compares equal.
 *
 * Patterns: `example.com` (that host, any port), `example.com:8080` (that
 * port only), `10.0.0.1`, `[::1]:443`, `*` (everything), and globs where `*`
 * stands for any run of characters: `*.example.com` matches every subdomain
 * (`a.example.com`, `a.b.example.com`) but not the apex `example.com`, and
 * never `example.com.evil.com`.
 */

/** A request's destination, normalised. */
export interface Destination {
  /** Host as URL normalises it, trailing dots removed (IPv6 in brackets). */
  host: string;
  /** Port, explicit or the scheme's default. */
  port: number;
}

/** Remove trailing dots (`example.com.` is `example.com`). */
export function stripTrailingDots(host: string): string {
  let end = host.length;
  while (end > 0 && host[end - 1] === ".") end--;
  return host.slice(0, end);
}

const IPV4_MAPPED = /^\[::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})\]$/;

/**
 * A URL hostname in canonical form: trailing dots removed, and an
 * IPv4-mapped IPv6 address (`[::ffff:7f00:1]`) written as the IPv4 address it
 * reaches (`127.0.0.1`), so a deny-list entry cannot be side-stepped with it.
 */
export function canonicalHost(hostname: string): string {
  const host = stripTrailingDots(hostname);
  const mapped = IPV4_MAPPED.exec(host);
  if (!mapped) return host;
  const high = Number.parseInt(mapped[1]!, 16);
  const low = Number.parseInt(mapped[2]!, 16);
  return [high >> 8, high & 255, low >> 8, low & 255].join(".");
}

/** The destination of a request URL. */
export function destinationOf(url: string | URL): Destination {
  const parsed = typeof url === "string" ? new URL(url) : url;
  const port = parsed.port ? Number(parsed.port) : parsed.protocol === "https:" ? 443 : 80;
  return { host: canonicalHost(parsed.hostname), port };
}

/** A compiled pattern. */
interface CompiledPattern {
  /** Exact host, or a regular expression for globs. */
  host: string | RegExp;
  /** Port the pattern is limited to, if any. */
  port: number | undefined;
}

const cache = new Map<string, CompiledPattern | null>();
const GLOB_STAND_IN = "glob-wildcard-";

/** Compile a pattern; `null` when it cannot name a host (never matches). */
export function compilePattern(pattern: string): CompiledPattern | null {
  const cached = cache.get(pattern);
  if (cached !== undefined) return cached;
  const compiled = compile(pattern.trim());
  if (cache.size > 1_000) cache.clear();
  cache.set(pattern, compiled);
  return compiled;
}

function compile(pattern: string): CompiledPattern | null {
  if (pattern === "*") return { host: /^.*$/s, port: undefined };
  if (pattern === "" || /[/?#@\\\s]/.test(pattern)) return null;
  // Parse through URL so the pattern is normalised exactly like requests are.
  // Each `*` becomes a stand-in label first, then turns back into a wildcard.
  let stars = 0;
  const withStandIns = pattern.replace(/\*/g, () => `${GLOB_STAND_IN}${stars++}`);
  let url: URL;
  try {
    url = new URL(`http://${withStandIns}`);
  } catch {
    return null;
  }
  if (url.pathname !== "/" || url.search || url.hash || url.username || url.password) return null;
  // URL drops a port equal to the scheme default (80); the pattern still named it.
  const named = /:(\d+)$/.exec(withStandIns);
  const port = named ? Number(named[1]) : undefined;
  const host = canonicalHost(url.hostname);
  if (stars === 0) return { host, port };
  const source = host
    .split(new RegExp(`${GLOB_STAND_IN}\\d+`))
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
    .join(".*");
  return { host: new RegExp(`^${source}$`, "s"), port };
}

/** Whether `pattern` matches `destination`. */
export function matchesHost(pattern: string, destination: Destination): boolean {
  const compiled = compilePattern(pattern);
  if (!compiled) return false;
  if (compiled.port !== undefined && compiled.port !== destination.port) return false;
  return typeof compiled.host === "string" ? compiled.host === destination.host : compiled.host.test(destination.host);
}

/** Whether any pattern matches. */
export function matchesHostList(patterns: readonly string[], destination: Destination): boolean {
  return patterns.some((pattern) => matchesHost(pattern, destination));
}

/**
 * The entry of `byHost` for `destination`: exact keys first (host with its
 * port, then host alone), then the first glob key that matches.
 */
export function lookupByHost<T>(
  byHost: Readonly<Record<string, T>> | undefined,
  destination: Destination,
): T | undefined {
  if (!byHost) return undefined;
  const keys = Object.keys(byHost);
  const exact = keys.filter((key) => {
    const compiled = compilePattern(key);
    return compiled !== null && typeof compiled.host === "string" && matchesHost(key, destination);
  });
  // A key naming the port is more specific than one naming only the host.
  const best = exact.find((key) => compilePattern(key)!.port !== undefined) ?? exact[0];
  if (best !== undefined) return byHost[best];
  const glob = keys.find((key) => {
    const compiled = compilePattern(key);
    return compiled !== null && typeof compiled.host !== "string" && matchesHost(key, destination);
  });
  return glob === undefined ? undefined : byHost[glob];
}
