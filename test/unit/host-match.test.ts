import { describe, expect, it } from "vitest";
import {
  canonicalHost,
  compilePattern,
  destinationOf,
  lookupByHost,
  matchesHost,
  matchesHostList,
} from "../../src/outbound/host-match";

const denied = ["evil.com", "*.evil.com", "127.0.0.1", "[::1]", "169.254.169.254"];
const allowed = ["api.good.com"];

describe("deny-list: every spelling of a denied host is denied (no bypass)", () => {
  const spellings = [
    "http://evil.com/",
    "http://EVIL.COM/",
    "http://Evil.Com./",
    "http://evil.com../",
    "http://evil.com:80/",
    "http://evil.com:8080/",
    "http://evil.com:0080/",
    "https://evil.com/",
    "http://user:pass@evil.com/",
    "http://good.com@evil.com/",
    "http://evil.com\\@good.com/",
    "http://ev%69l.com/",
    "http://%65vil.com/",
    "http://evil%2ecom/",
    "http://evil.com%2e/",
    "http://evil\u3002com/",
    "http://evil\uFF0Ecom/",
    "http://\uFF45\uFF56\uFF49\uFF4C.com/",
    "http://evil.com#@good.com",
    "http://evil.com?@good.com",
    " http://evil.com/ ",
    "http://ev\til.com/",
    "http://evil.com\n/",
    "http:evil.com",
    "http:/evil.com/",
    "http:\\\\evil.com\\",
    "HTTP://EVIL.COM",
    "http://sub.evil.com/",
    "http://a.b.evil.com/",
    "http://SUB.EVIL.COM./",
    "http://127.0.0.1/",
    "http://2130706433/",
    "http://0x7f.0.0.1/",
    "http://0177.0.0.1/",
    "http://127.1/",
    "http://0x7f000001/",
    "http://127.0.0.1.:8080/",
    "http://[::1]/",
    "http://[0:0:0:0:0:0:0:1]/",
    "http://[::0001]:8080/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:7f00:1]/",
    "http://169.254.169.254/",
    "http://0xa9fea9fe/",
    "http://169.254.169.254./",
    "http://[::ffff:a9fe:a9fe]/",
    "http://[::ffff:169.254.169.254]/latest/meta-data",
  ];

  it.each(spellings)("%j is denied", (url) => {
    expect(matchesHostList(denied, destinationOf(url.trim()))).toBe(true);
  });

  it("covers at least 40 spellings", () => expect(spellings.length).toBeGreaterThanOrEqual(40));
});

describe("allow-list: only the allowed host gets through", () => {
  const notAllowed = [
    "http://api.good.com.evil.com/",
    "http://evil.com/api.good.com",
    "http://api.good.com@evil.com/",
    "http://api.good.com:pw@evil.com/",
    "http://evil.com?api.good.com",
    "http://evil.com#api.good.com",
    "http://api.good.com%2eevil.com/",
    "http://api-good.com/",
    "http://apixgood.com/",
    "http://api.goodxcom/",
    "http://good.com/",
    "http://xapi.good.com/",
    "http://api.good.co/",
    "http://api.good.com.evil/",
    "http://evil.com\\.api.good.com/",
  ];
  const allowedSpellings = [
    "http://api.good.com/",
    "http://API.GOOD.COM/",
    "http://api.good.com./x",
    "https://api.good.com:443/",
    "http://api.good.com:8080/",
  ];

  it.each(notAllowed)("%j is not allowed", (url) => {
    expect(matchesHostList(allowed, destinationOf(url))).toBe(false);
  });
  it.each(allowedSpellings)("%j is allowed", (url) => {
    expect(matchesHostList(allowed, destinationOf(url))).toBe(true);
  });
});

describe("patterns", () => {
  it.each([
    // pattern, url, matches
    ["*.good.com", "http://a.good.com/", true],
    ["*.good.com", "http://a.b.good.com/", true],
    ["*.good.com", "http://good.com/", false], // the apex is not a subdomain
    ["*.good.com", "http://evilgood.com/", false],
    ["*.good.com", "http://good.com.evil.com/", false],
    ["api-*.good.com", "http://api-eu.good.com/", true],
    ["api-*.good.com", "http://api.good.com/", false],
    ["*", "http://anything.at.all:1234/", true],
    ["GOOD.com.", "http://good.com/", true],
    ["api.good.com:8443", "http://api.good.com:8443/", true],
    ["api.good.com:8443", "http://api.good.com/", false],
    ["api.good.com:80", "http://api.good.com/", true],
    ["api.good.com:80", "https://api.good.com/", false],
    ["10.0.0.1:8080", "http://10.0.0.1:8080/", true],
    ["10.0.0.1:8080", "http://10.0.0.1:8081/", false],
    ["[::1]:443", "https://[::1]/", true],
    ["bücher.de", "http://xn--bcher-kva.de/", true],
    ["xn--bcher-kva.de", "http://bücher.de/", true],
    ["*.bücher.de", "http://shop.xn--bcher-kva.de/", true],
    ["0x7f.1", "http://127.0.0.1/", true],
  ] as const)("%j vs %j → %s", (pattern, url, expected) => {
    expect(matchesHost(pattern, destinationOf(url))).toBe(expected);
  });

  it.each(["", "bad host", "a/b", "a?b", "user@host", "a\\b", "http://x", "[::1", "x:99999"])(
    "%j never matches anything",
    (pattern) => {
      expect(compilePattern(pattern)).toBeNull();
      expect(matchesHost(pattern, destinationOf("http://x/"))).toBe(false);
    },
  );

  it("canonicalHost strips trailing dots and unmaps IPv4-mapped IPv6", () => {
    expect(canonicalHost("a.com...")).toBe("a.com");
    expect(canonicalHost("[::ffff:a00:1]")).toBe("10.0.0.1");
    expect(canonicalHost("[::1]")).toBe("[::1]");
  });
});

describe("lookupByHost", () => {
  const table = {
    "*.example.com": "glob",
    "api.example.com": "exact",
    "api.example.com:8443": "exact-port",
  };
  it.each([
    ["http://api.example.com/", "exact"],
    ["http://api.example.com:8443/", "exact-port"],
    ["http://API.example.com./", "exact"],
    ["http://www.example.com/", "glob"],
    ["http://example.com/", undefined],
  ] as const)("%j → %s", (url, expected) => {
    expect(lookupByHost(table, destinationOf(url))).toBe(expected);
  });
  it("is undefined without a table", () => expect(lookupByHost(undefined, destinationOf("http://a/"))).toBeUndefined());
});
