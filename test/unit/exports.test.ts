import { describe, expect, it } from "vitest";
// The public surface's runtime values; scripts/check-package.mjs checks its types in dist/.
import { INDEX_VALUES as VALUES } from "../../scripts/lib/public-surface.mjs";
import * as api from "../../src/index";

describe("package exports", () => {
  it("exports exactly the runtime values of @cloudflare/containers", () => {
    expect(Object.keys(api).sort()).toEqual([...VALUES].sort());
  });

  it.each(VALUES)("%s is a function", (name) => {
    expect(typeof (api as Record<string, unknown>)[name]).toBe("function");
  });

  it("outboundParams returns the params it was given", () => {
    const params = { token: "t" };
    expect(api.outboundParams(() => new Response(), params as never)).toBe(params);
  });
});
