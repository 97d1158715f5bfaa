import { describe, expect, it } from "vitest";
import { TARGET_PORT_HEADER } from "../../src/constants";
import { targetPort } from "../../src/proxy/target-port";

function withHeader(value: string, name: string = TARGET_PORT_HEADER): Headers {
  return new Headers({ [name]: value });
}

describe("targetPort: valid header", () => {
  const cases: Array<[string, number | undefined, number]> = [
    ["8080", undefined, 8080],
    ["8080", 3000, 8080], // the header wins over defaultPort
    [" 8080 ", undefined, 8080],
    ["1", undefined, 1],
    ["65535", undefined, 65535],
    ["080", undefined, 80],
  ];

  it.each(cases)("%j (defaultPort %j) → %d", (value, defaultPort, expected) => {
    expect(targetPort(withHeader(value), defaultPort)).toEqual({ ok: true, port: expected });
  });

  it.each(["CF-Container-Target-Port", "CF-CONTAINER-TARGET-PORT", "cf-container-target-port"])(
    "header name %s is matched case-insensitively",
    (name) => {
      expect(targetPort(withHeader("9090", name), 8080)).toEqual({ ok: true, port: 9090 });
    },
  );
});

describe("targetPort: invalid header", () => {
  const invalid = ["0", "65536", "80abc", "-1", "1e3", "", "8080.5", "0x50", "abc", "999999", "80 80", "+80"];

  it.each(invalid)("%j is rejected even with a defaultPort", (value) => {
    const result = targetPort(withHeader(value), 8080);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.message).toContain(TARGET_PORT_HEADER);
    expect(result.message).toContain("1 to 65535");
    expect(result.message).toContain(JSON.stringify(value.trim()));
  });
});

describe("targetPort: no header", () => {
  it.each([80, 8080, 65535])("falls back to defaultPort %d", (defaultPort) => {
    expect(targetPort(new Headers(), defaultPort)).toEqual({ ok: true, port: defaultPort });
  });

  it("ignores unrelated headers", () => {
    expect(targetPort(new Headers({ "x-port": "9000", host: "a.com" }), 4000)).toEqual({ ok: true, port: 4000 });
  });

  it("without defaultPort explains how to configure a port", () => {
    const result = targetPort(new Headers(), undefined);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.message).toContain("defaultPort");
    expect(result.message).toContain("switchPort");
  });
});
