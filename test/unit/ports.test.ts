import { afterEach, describe, expect, it, vi } from "vitest";
import { FALLBACK_PORT, PROBE_SPACING_MS } from "../../src/constants";
import { ContainerTimeoutError } from "../../src/errors";
import { assertPort, resolvePortsToWait } from "../../src/ports";
import { pollUntilReady, probeSpacing, settleWithin } from "../../src/readiness";
import type { ContainerRuntime } from "../../src/runtime";

describe("assertPort", () => {
  it.each([1, 80, 8080, 65535])("accepts %d", (port) => {
    expect(() => assertPort(port)).not.toThrow();
  });

  const invalid: Array<[unknown, string]> = [
    [0, "0"],
    [-1, "-1"],
    [65536, "65536"],
    [80.5, "80.5"],
    [Number.NaN, "NaN"],
    [Number.POSITIVE_INFINITY, "Infinity"],
    ["8080", '"8080"'],
    [undefined, "undefined"],
    [null, "null"],
  ];

  it.each(invalid)("rejects %j with a RangeError quoting it", (port, quoted) => {
    expect(() => assertPort(port)).toThrow(RangeError);
    expect(() => assertPort(port)).toThrow(`Invalid port: ${quoted}. Expected an integer from 1 to 65535.`);
  });

  it("names the setting in the message", () => {
    expect(() => assertPort(0, "portToCheck")).toThrow(/^Invalid portToCheck: 0\..*1 to 65535/);
  });
});

describe("resolvePortsToWait", () => {
  type Args = Parameters<typeof resolvePortsToWait>;
  const cases: Array<[string, Args, number[]]> = [
    ["explicit number wins", [9000, [1, 2], 8080, FALLBACK_PORT], [9000]],
    ["explicit array wins", [[9000, 9001], [1, 2], 8080, FALLBACK_PORT], [9000, 9001]],
    ["requiredPorts when nothing explicit", [undefined, [8080, 9222], 3000, FALLBACK_PORT], [8080, 9222]],
    ["empty requiredPorts falls through to defaultPort", [undefined, [], 3000, FALLBACK_PORT], [3000]],
    ["defaultPort when no requiredPorts", [undefined, undefined, 3000, FALLBACK_PORT], [3000]],
    ["an explicit empty list falls back like no ports given", [[], [8080], 3000, FALLBACK_PORT], [8080]],
    ["fallback when nothing is configured", [undefined, undefined, undefined, FALLBACK_PORT], [33]],
    [
      "duplicates in explicit ports removed, order kept",
      [[9000, 8080, 9000, 8080], undefined, undefined, 33],
      [9000, 8080],
    ],
    ["duplicates in requiredPorts removed", [undefined, [8080, 8080, 9222], undefined, 33], [8080, 9222]],
  ];

  it.each(cases)("%s", (_name, args, expected) => {
    expect(resolvePortsToWait(...args)).toEqual(expected);
  });

  it("does not modify the arrays it is given", () => {
    const explicit = [1, 1, 2];
    const required = [3, 3];
    resolvePortsToWait(explicit, undefined, undefined, 33);
    resolvePortsToWait(undefined, required, undefined, 33);
    expect(explicit).toEqual([1, 1, 2]);
    expect(required).toEqual([3, 3]);
  });

  const invalid: Array<[string, Args]> = [
    ["explicit 0", [0, undefined, undefined, 33]],
    ["explicit array with 70000", [[8080, 70000], undefined, undefined, 33]],
    ["requiredPorts with a fraction", [undefined, [8080, 1.5], undefined, 33]],
    ["defaultPort -1", [undefined, undefined, -1, 33]],
    ["fallback NaN", [undefined, undefined, undefined, Number.NaN]],
  ];

  it.each(invalid)("%s throws a RangeError", (_name, args) => {
    expect(() => resolvePortsToWait(...args)).toThrow(RangeError);
    expect(() => resolvePortsToWait(...args)).toThrow(/1 to 65535/);
  });
});

describe("pollUntilReady: the reason it reports", () => {
  /** A runtime whose port refuses `refusals` times, then accepts connections that never answer. */
  function refusingThenHanging(refusals: number): ContainerRuntime {
    let calls = 0;
    const port = {
      fetch(_url: string, init?: RequestInit): Promise<Response> {
        calls++;
        if (calls <= refusals) return Promise.reject(new Error("the container is not listening to port 8080"));
        return new Promise((_resolve, reject) => {
          init?.signal?.addEventListener("abort", () => reject(init.signal!.reason), { once: true });
        });
      },
    };
    return { getTcpPort: () => port } as unknown as ContainerRuntime;
  }

  async function failureOf(runtime: ContainerRuntime, budgetMs: number): Promise<string> {
    const error = await pollUntilReady(runtime, 8080, "http://container/", {
      deadline: Date.now() + budgetMs,
      maxIntervalMs: 10,
      what: "Port 8080",
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ContainerTimeoutError);
    return (error as Error).message;
  }

  it("keeps the earlier 'not listening' when the last probe is only cut short by the budget", async () => {
    const message = await failureOf(refusingThenHanging(3), 150);
    expect(message).toMatch(/^Port 8080 was not ready in time \(last error: .*not listening to port 8080\)$/);
  });

  it("names a closed port with the original's phrase, whatever the runtime's wording", async () => {
    // Local workerd says "Container is not listening to port 8080"; dependents
    // of the original look for "the container is not listening".
    const runtime = {
      getTcpPort: () => ({ fetch: () => Promise.reject(new Error("Container is not listening to port 8080")) }),
    } as unknown as ContainerRuntime;
    const message = await failureOf(runtime, 50);
    expect(message.toLowerCase()).toContain("the container is not listening");
    expect(message).toContain("Container is not listening to port 8080");
  });

  it("reports the timeout when no probe ever said anything else", async () => {
    const message = await failureOf(refusingThenHanging(0), 60);
    expect(message).toMatch(/last error: probe of port 8080 timed out after \d+ ms/);
  });
});

describe("pollUntilReady: the probe schedule", () => {
  it.each([
    // [ms since the wait began, previous spacing, cap, spacing]
    [0, undefined, 50, 20],
    [1_900, 20, 50, 20],
    [2_100, 20, 50, 40],
    [2_200, 40, 50, 50],
    [5_000, 50, 50, 50],
    [2_100, 20, 300, 40],
    [9_000, 160, 300, 300],
    [0, undefined, 5, 5],
    [9_000, 5, 5, 5],
    [9_000, 20, 1, 1],
  ])(
    "%d ms in, after a %s ms gap, with cap %d ms: the next probe comes %d ms after the last",
    (since, previous, cap, expected) => {
      expect(probeSpacing(since, previous, cap)).toBe(expected);
    },
  );

  /** A port that refuses until `opensAfterMs`, recording when each probe started. */
  function opensLate(opensAfterMs: number) {
    const began = Date.now();
    const probes: number[] = [];
    const port = {
      async fetch(): Promise<Response> {
        probes.push(Date.now());
        if (Date.now() - began < opensAfterMs) throw new Error("the container is not listening to port 8080");
        return new Response("ok");
      },
    };
    return { runtime: { getTcpPort: () => port } as unknown as ContainerRuntime, probes };
  }

  const poll = (runtime: ContainerRuntime) =>
    pollUntilReady(runtime, 8080, "http://container/", {
      deadline: Date.now() + 5_000,
      maxIntervalMs: 50,
      what: "Port 8080",
    });

  it(`starts probes at least ${PROBE_SPACING_MS} ms apart, and sees a late port`, async () => {
    const { runtime, probes } = opensLate(150);
    const attempts = await poll(runtime);
    expect(attempts).toBe(probes.length);
    expect(probes.length).toBeGreaterThan(1);
    for (let i = 1; i < probes.length; i++)
      expect(probes[i]! - probes[i - 1]!).toBeGreaterThanOrEqual(PROBE_SPACING_MS);
  });

  it("concurrent waits on a port share its probes: still at most one per gap, and all see it open", async () => {
    const { runtime, probes } = opensLate(150);
    const attempts = await Promise.all(Array.from({ length: 10 }, () => poll(runtime)));
    expect(attempts.every((n) => n >= 1)).toBe(true);
    for (let i = 1; i < probes.length; i++)
      expect(probes[i]! - probes[i - 1]!).toBeGreaterThanOrEqual(PROBE_SPACING_MS);
    // The port opens after 150 ms: shared, about 8 probes; ten waits probing alone would send about 80.
    expect(probes.length).toBeLessThan(20);
  });

  it("a short wait right after another keeps half its budget for its first probe", async () => {
    // The port answers 5 ms after each connection: a probe squeezed to the last 2 ms of the budget would time out.
    const port = {
      fetch: () => new Promise<Response>((resolve) => setTimeout(() => resolve(new Response("ok")), 5)),
    };
    const runtime = { getTcpPort: () => port } as unknown as ContainerRuntime;
    await poll(runtime);
    const short = { deadline: Date.now() + 22, maxIntervalMs: 20, what: "Port 8080" };
    await expect(pollUntilReady(runtime, 8080, "http://container/", short)).resolves.toBe(1);
  });

  it("keeps the spacing from one wait to the next on the same port (the instance, then its port)", async () => {
    const { runtime, probes } = opensLate(0);
    await poll(runtime);
    await poll(runtime);
    expect(probes).toHaveLength(2);
    expect(probes[1]! - probes[0]!).toBeGreaterThanOrEqual(PROBE_SPACING_MS);
  });
});

describe("settleWithin", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("leaves no timer behind when the promise settles first (a pending one would keep the object alive)", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    await settleWithin(Promise.resolve("done"), 10_000);
    await settleWithin(Promise.reject(new Error("failed")), 10_000);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("gives up after its bound when the promise never settles", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    let done = false;
    const waiting = settleWithin(new Promise(() => {}), 10_000).then(() => {
      done = true;
    });
    await vi.advanceTimersByTimeAsync(9_999);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await waiting;
    expect(done).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });
});
