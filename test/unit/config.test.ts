import { describe, expect, it } from "vitest";
import { ConfigCache, resolveConfig, type ConfigFields } from "../../src/config";

const base = (): ConfigFields => ({
  sleepAfter: "10m",
  pingEndpoint: "ping",
  envVars: {},
  labels: {},
  enableInternet: true,
});

describe("resolveConfig", () => {
  it("parses durations and picks the port that proves an instance exists", () => {
    const durations = new ConfigCache(() => ({ ...base(), sleepAfter: "1m30s", hardTimeout: 5 }));
    expect({ sleepAfterMs: durations.sleepAfterMs(), hardTimeoutMs: durations.hardTimeoutMs() }).toEqual({
      sleepAfterMs: 90_000,
      hardTimeoutMs: 5_000,
    });
    expect(resolveConfig({ ...base(), defaultPort: 8080, requiredPorts: [9000] }).instancePort).toBe(8080);
    expect(resolveConfig({ ...base(), requiredPorts: [9000, 9001] }).instancePort).toBe(9000);
    expect(resolveConfig(base()).instancePort).toBe(33);
  });

  it("is frozen", () => {
    const config = resolveConfig({ ...base(), requiredPorts: [9000] });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.requiredPorts)).toBe(true);
  });

  it.each([
    ["sleepAfter", { sleepAfter: "10 minutes" }, /sleepAfter/],
    ["hardTimeout", { hardTimeout: -1 }, /hardTimeout/],
    ["defaultPort", { defaultPort: 70_000 }, /Invalid defaultPort: 70000\. Expected an integer from 1 to 65535/],
    ["requiredPorts", { requiredPorts: [8080, 0] }, /Invalid requiredPorts entry: 0/],
    ["readyOn.path", { readyOn: { path: "health" } }, /Invalid readyOn: path "health" does not start with "\/"/],
    ["readyOn.status", { readyOn: { status: 42 } }, /Invalid readyOn: status 42 is not an HTTP status/],
  ] as const)("a bad %s is refused, naming it", (_field, fields, message) => {
    expect(() => resolveConfig({ ...base(), ...fields } as ConfigFields)).toThrow(message);
  });

  it("probes readyOn's port with its HTTP check and every other port plainly", () => {
    const config = resolveConfig({ ...base(), defaultPort: 8080, readyOn: { path: "/healthz", status: [200, 204] } });
    const checked = config.probeFor(8080);
    expect(checked.url).toBe("http://container/healthz");
    expect([200, 204, 500].map((s) => checked.accept!(s))).toEqual([true, true, false]);
    expect(config.probeFor(9090)).toEqual({ url: "http://ping" });
    const anyTwoHundred = resolveConfig({ ...base(), readyOn: { port: 9090 } }).probeFor(9090);
    expect([204, 301].map((s) => anyTwoHundred.accept!(s))).toEqual([true, false]);
  });
});

describe("ConfigCache", () => {
  it("resolves once per value, and again when a field changes (in place, for requiredPorts)", () => {
    const fields = { ...base(), requiredPorts: [8080] };
    const cache = new ConfigCache(() => fields);
    const first = cache.get();
    expect(cache.get()).toBe(first);
    fields.requiredPorts.push(9090);
    const second = cache.get();
    expect(second).not.toBe(first);
    expect(second.requiredPorts).toEqual([8080, 9090]);
    fields.sleepAfter = "5s";
    expect(cache.get()).not.toBe(second);
    expect(cache.sleepAfterMs()).toBe(5_000);
  });

  it("keeps refusing a bad field on every read (nothing stale is served)", () => {
    const fields = base();
    const cache = new ConfigCache(() => fields);
    cache.get();
    fields.sleepAfter = "soon";
    expect(() => cache.get()).toThrow(/sleepAfter/);
    expect(() => cache.get()).toThrow(/sleepAfter/);
  });

  it(
    "gives sleepAfter to the idle timer even while another field is bad " + "(the start that needs it refuses that)",
    () => {
      const fields: ConfigFields = { ...base(), sleepAfter: "2s", hardTimeout: "soon" };
      const cache = new ConfigCache(() => fields);
      expect(cache.sleepAfterMs()).toBe(2_000);
      expect(() => cache.get()).toThrow(/hardTimeout/);
    },
  );
});
