import { describe, expect, it } from "vitest";
import { destinationOf } from "../../src/outbound/host-match";
import { decideOutbound, type OutboundPolicyInput } from "../../src/outbound/policy";

const handler = (name: string) => Object.assign(() => new Response(name), { handlerName: name });
const named = { runtimeHost: handler("runtimeHost"), runtimeAll: handler("runtimeAll") };
const staticHost = handler("staticHost");
const staticGlob = handler("staticGlob");
const staticAll = handler("staticAll");

function input(url: string, overrides: Partial<OutboundPolicyInput> = {}): OutboundPolicyInput {
  return {
    destination: destinationOf(url),
    deniedHosts: undefined,
    allowedHosts: undefined,
    runtimeByHost: undefined,
    staticByHost: undefined,
    runtimeCatchAll: undefined,
    staticCatchAll: undefined,
    namedHandlers: named,
    enableInternet: false,
    ...overrides,
  };
}

const everything: Partial<OutboundPolicyInput> = {
  runtimeByHost: { "a.test": { method: "runtimeHost", params: { p: 1 } } },
  staticByHost: { "a.test": staticHost, "b.test": staticHost, "*.c.test": staticGlob },
  runtimeCatchAll: { method: "runtimeAll", params: { p: 2 } },
  staticCatchAll: staticAll,
  enableInternet: true,
};

/** The verdict, flattened for comparison. */
function verdict(i: OutboundPolicyInput) {
  const v = decideOutbound(i);
  return v.action === "handle"
    ? {
        step: v.step,
        action: v.action,
        handler: (v.handler as unknown as { handlerName: string }).handlerName,
        params: v.params,
      }
    : { step: v.step, action: v.action };
}

describe("decideOutbound walks SPEC's order; first match wins", () => {
  it.each([
    [
      "1 denied beats everything",
      input("http://a.test/", { ...everything, deniedHosts: ["a.test"], allowedHosts: ["a.test"] }),
      { step: 1, action: "block" },
    ],
    [
      "2 allow-list set, host not in it",
      input("http://z.test/", { ...everything, allowedHosts: ["a.test"] }),
      { step: 2, action: "block" },
    ],
    [
      "2 an empty allow-list blocks",
      input("http://a.test/", { ...everything, allowedHosts: [] }),
      { step: 2, action: "block" },
    ],
    [
      "3 runtime per-host handler",
      input("http://a.test/", everything),
      { step: 3, action: "handle", handler: "runtimeHost", params: { p: 1 } },
    ],
    [
      "4 static per-host, exact",
      input("http://b.test/", everything),
      { step: 4, action: "handle", handler: "staticHost", params: undefined },
    ],
    [
      "4 static per-host, glob",
      input("http://x.c.test/", everything),
      { step: 4, action: "handle", handler: "staticGlob", params: undefined },
    ],
    [
      "5 runtime catch-all",
      input("http://z.test/", everything),
      { step: 5, action: "handle", handler: "runtimeAll", params: { p: 2 } },
    ],
    [
      "6 static catch-all",
      input("http://z.test/", { ...everything, runtimeCatchAll: undefined }),
      { step: 6, action: "handle", handler: "staticAll", params: undefined },
    ],
    [
      "7 allow-listed host reaches the internet even without enableInternet",
      input("http://z.test/", { allowedHosts: ["z.test"] }),
      { step: 7, action: "internet" },
    ],
    ["8 enableInternet", input("http://z.test/", { enableInternet: true }), { step: 8, action: "internet" }],
    ["9 otherwise blocked", input("http://z.test/"), { step: 9, action: "block" }],
    [
      "3 skipped when its handler no longer exists",
      input("http://a.test/", { ...everything, runtimeByHost: { "a.test": { method: "gone" } } }),
      { step: 4, action: "handle", handler: "staticHost", params: undefined },
    ],
    [
      "5 skipped when its handler no longer exists",
      input("http://z.test/", { ...everything, runtimeCatchAll: { method: "gone" } }),
      { step: 6, action: "handle", handler: "staticAll", params: undefined },
    ],
    [
      "allow-list gates per-host handlers too",
      input("http://b.test/", { ...everything, allowedHosts: ["a.test"] }),
      { step: 2, action: "block" },
    ],
    [
      "a handler on an allow-listed host still runs (step 4 before 7)",
      input("http://b.test/", { ...everything, runtimeCatchAll: undefined, allowedHosts: ["b.test"] }),
      { step: 4, action: "handle", handler: "staticHost", params: undefined },
    ],
  ] as const)("%s", (_name, given, expected) => {
    expect(verdict(given)).toEqual(expected);
  });
});
