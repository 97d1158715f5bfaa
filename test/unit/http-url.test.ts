import { describe, expect, it } from "vitest";
import { containerUrl, toContainerRequest } from "../../src/proxy/http";

describe("containerUrl", () => {
  const cases: Array<[string, string | URL, string]> = [
    ["relative path and query", "/x?y=1", "http://container/x?y=1"],
    ["relative without a leading slash", "health", "http://container/health"],
    ["https becomes http", "https://a.com/p", "http://a.com/p"],
    ["http stays http", "http://a.com/p", "http://a.com/p"],
    [
      "only the scheme changes, not 'https:' in the query",
      "https://a.com/redirect?to=https://b.com/https:",
      "http://a.com/redirect?to=https://b.com/https:",
    ],
    ["'https:' in the path of an http URL is left alone", "http://a.com/https:/x", "http://a.com/https:/x"],
    ["'https:' in the path of an https URL is left alone", "https://a.com/https:/x", "http://a.com/https:/x"],
    ["a non-default port is kept", "https://a.com:8443/p", "http://a.com:8443/p"],
    ["fragment and query are kept", "https://a.com/p?q=1#frag", "http://a.com/p?q=1#frag"],
    ["URL object (https)", new URL("https://a.com/p?q=https:"), "http://a.com/p?q=https:"],
    ["URL object (http)", new URL("http://localhost/internal/metrics"), "http://localhost/internal/metrics"],
  ];

  it.each(cases)("%s", (_name, input, expected) => {
    expect(containerUrl(input)).toBe(expected);
  });

  it("does not modify a URL object it is given", () => {
    const url = new URL("https://a.com/p");
    containerUrl(url);
    expect(url.href).toBe("https://a.com/p");
  });
});

describe("toContainerRequest", () => {
  it("(Request, port): keeps method, headers and body; rewrites the scheme", async () => {
    const incoming = new Request("https://a.com/upload?x=1", {
      method: "POST",
      headers: { "content-type": "application/json", "x-trace": "abc" },
      body: JSON.stringify({ hello: "world" }),
    });
    const { request, port } = toContainerRequest(incoming, 9090);
    expect(port).toBe(9090);
    expect(request.url).toBe("http://a.com/upload?x=1");
    expect(request.method).toBe("POST");
    expect(request.headers.get("content-type")).toBe("application/json");
    expect(request.headers.get("x-trace")).toBe("abc");
    expect(await request.json()).toEqual({ hello: "world" });
  });

  it("(Request) without a port leaves the port undefined", () => {
    const { request, port } = toContainerRequest(new Request("http://a.com/"));
    expect(port).toBeUndefined();
    expect(request.url).toBe("http://a.com/");
    expect(request.method).toBe("GET");
  });

  it("(Request, undefined, port) also takes the port", () => {
    expect(toContainerRequest(new Request("http://a.com/"), undefined, 7000).port).toBe(7000);
  });

  it("(string, init, port): applies the init and takes the port", async () => {
    const { request, port } = toContainerRequest(
      "http://localhost/internal/metrics",
      { method: "PUT", headers: { authorization: "Bearer t" }, body: "data" },
      9090,
    );
    expect(port).toBe(9090);
    expect(request.url).toBe("http://localhost/internal/metrics");
    expect(request.method).toBe("PUT");
    expect(request.headers.get("authorization")).toBe("Bearer t");
    expect(await request.text()).toBe("data");
  });

  it("(string, init) without a port", () => {
    const { request, port } = toContainerRequest("/jobs/1", { method: "POST" });
    expect(port).toBeUndefined();
    expect(request.url).toBe("http://container/jobs/1");
    expect(request.method).toBe("POST");
  });

  it("(string, port): a number as second argument is the port", () => {
    const { request, port } = toContainerRequest("https://a.com/p", 8080);
    expect(port).toBe(8080);
    expect(request.url).toBe("http://a.com/p");
    expect(request.method).toBe("GET");
  });

  it("(string) alone: relative URL, GET, no port", () => {
    const { request, port } = toContainerRequest("/x?y=1");
    expect(port).toBeUndefined();
    expect(request.url).toBe("http://container/x?y=1");
    expect(request.method).toBe("GET");
  });

  it("(URL, init, port)", () => {
    const { request, port } = toContainerRequest(new URL("https://a.com/p"), { method: "DELETE" }, 3000);
    expect(port).toBe(3000);
    expect(request.url).toBe("http://a.com/p");
    expect(request.method).toBe("DELETE");
  });

  it("a Request's signal is carried over", () => {
    const controller = new AbortController();
    const { request } = toContainerRequest(new Request("http://a.com/", { signal: controller.signal }), 80);
    expect(request.signal.aborted).toBe(false);
    controller.abort();
    expect(request.signal.aborted).toBe(true);
  });
});
