import { describe, expect, it } from "vitest";
import * as api from "../../src/index";

describe("package exports", () => {
  it("exports exactly the runtime values of @cloudflare/containers implemented so far", () => {
    // ContainerProxy and outboundParams are added with outbound (egress)
    // interception, a later issue; extend this list when that lands.
    expect(Object.keys(api).sort()).toEqual(["Container", "getContainer", "getRandom", "loadBalance", "switchPort"]);
  });

  it.each(["Container", "getContainer", "getRandom", "loadBalance", "switchPort"] as const)("%s is a function", (name) => {
    expect(typeof api[name]).toBe("function");
  });
});
