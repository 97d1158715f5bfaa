import { describe, expect, it } from "vitest";
import * as api from "../../src/index";

// SPEC's list of runtime values; types are checked by scripts/check-package.mjs.
const VALUES = ["Container", "ContainerProxy", "getContainer", "getRandom", "loadBalance", "outboundParams", "switchPort"] as const;

describe("package exports", () => {
  it("exports exactly the runtime values of @cloudflare/containers", () => {
    expect(Object.keys(api).sort()).toEqual([...VALUES].sort());
  });

  it.each(VALUES)("%s is a function", (name) => {
    expect(typeof api[name]).toBe("function");
  });

  it("outboundParams returns the params it was given", () => {
    const params = { token: "t" };
    expect(api.outboundParams(() => new Response(), params as never)).toBe(params);
  });
});
