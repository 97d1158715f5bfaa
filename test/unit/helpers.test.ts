import { env } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { getContainer, getRandom, loadBalance, switchPort } from "../../src";

describe("getContainer", () => {
  it("defaults to the cf-singleton-container instance and otherwise uses the name", () => {
    expect(getContainer(env.TEST).id.equals(env.TEST.idFromName("cf-singleton-container"))).toBe(true);
    expect(getContainer(env.TEST, "tenant-42").id.equals(env.TEST.idFromName("tenant-42"))).toBe(true);
  });
});

describe("getRandom", () => {
  it("returns a Promise of a stub named instance-<n>, n uniform in [0, instances)", async () => {
    const ids = Array.from({ length: 5 }, (_, n) => env.TEST.idFromName(`instance-${n}`).toString());
    const seen = new Map<string, number>();
    for (let i = 0; i < 500; i++) {
      const pending = getRandom(env.TEST, 5);
      expect(pending).toBeInstanceOf(Promise);
      const id = (await pending).id.toString();
      expect(ids).toContain(id);
      seen.set(id, (seen.get(id) ?? 0) + 1);
    }
    expect(seen.size).toBe(5);
    for (const count of seen.values()) expect(count).toBeGreaterThan(50); // expected 100 each
  });

  it("defaults to 3 instances", async () => {
    const allowed = [0, 1, 2].map((n) => env.TEST.idFromName(`instance-${n}`).toString());
    for (let i = 0; i < 50; i++) expect(allowed).toContain((await getRandom(env.TEST)).id.toString());
  });

  it("refuses a pool size that is not a positive integer", async () => {
    for (const bad of [0, -1, 2.5, Number.NaN]) {
      await expect(getRandom(env.TEST, bad)).rejects.toThrow(/Invalid instances: .*Expected a positive integer/);
    }
  });
});

describe("loadBalance", () => {
  it("is getRandom under its old name and warns once", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const allowed = [0, 1].map((n) => env.TEST.idFromName(`instance-${n}`).toString());
    expect(allowed).toContain((await loadBalance(env.TEST, 2)).id.toString());
    await loadBalance(env.TEST, 2);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0]?.[0]).toMatch(/deprecated.*getRandom/);
    warn.mockRestore();
  });
});

describe("switchPort", () => {
  it("copies the request with the target-port header, keeping method, headers and body", async () => {
    const original = new Request("http://x/a", { method: "POST", headers: { "x-a": "1" }, body: "hi" });
    const switched = switchPort(original, 9090);
    expect(switched).not.toBe(original);
    expect(switched.headers.get("cf-container-target-port")).toBe("9090");
    expect(switched.headers.get("x-a")).toBe("1");
    expect(switched.method).toBe("POST");
    expect(await switched.text()).toBe("hi");
    expect(original.headers.has("cf-container-target-port")).toBe(false);
  });

  it("refuses a port that is not an integer from 1 to 65535", () => {
    for (const bad of [0, 65536, 1.5, Number.NaN, -80]) {
      expect(() => switchPort(new Request("http://x/"), bad)).toThrow(/Expected an integer from 1 to 65535/);
    }
  });
});
