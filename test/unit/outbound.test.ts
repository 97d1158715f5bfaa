import { env, evictDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { errorOf, fakeOf, fresh, inObject } from "./harness";

type Seen = {
  label: string;
  url: string;
  containerId: string;
  className: string;
  params: unknown;
  token?: string;
  auth?: string;
};

/** Start the object's container, then make `url` from inside it; returns status and body. */
async function outboundFrom(
  stub: { id: DurableObjectId; fetch(r: string): Promise<Response> },
  url: string,
  init?: RequestInit,
) {
  await (await stub.fetch("http://x/")).text();
  return inObject(stub, async (_instance, fake) => {
    const response = await fake.outbound(url, init);
    const text = await response.text();
    let json: Seen | undefined;
    try {
      json = JSON.parse(text) as Seen;
    } catch {
      json = undefined;
    }
    return { status: response.status, text, json };
  });
}

afterEach(() => vi.restoreAllMocks());

/** ContainerProxy's way to the internet is the global fetch; answer it here (no network in tests). */
function mockInternet() {
  return vi
    .spyOn(globalThis, "fetch")
    .mockImplementation(async (input) => new Response(`internet:${new Request(input).url}`));
}

describe("static configuration (class fields, define semantics)", () => {
  it("registers one catch-all interception before the container starts", async () => {
    const stub = fresh(env.EGRESS);
    const fake = await fakeOf(stub);
    await (await stub.fetch("http://x/")).text();
    expect(fake.intercepts.all).toBeDefined();
    expect(fake.intercepts.https.size).toBe(0);
  });

  it("per-host handler (exact, then glob) gets the request and the context", async () => {
    const stub = fresh(env.EGRESS);
    const exact = await outboundFrom(stub, "http://api.example.com/v1?q=1");
    expect(exact.json).toMatchObject({
      label: "by-host",
      url: "http://api.example.com/v1?q=1",
      className: "EgressContainer",
      params: null,
    });
    expect(exact.json!.containerId).toBe(stub.id.toString());
    expect((await outboundFrom(stub, "http://api.example.com:8443/")).json!.label).toBe("by-host-port");
    expect((await outboundFrom(stub, "http://cdn.images.example.com/a.png")).json!.label).toBe("by-glob");
    // no apex match
    expect((await outboundFrom(stub, "http://images.example.com/a.png")).json!.label).toBe("catch-all");
    expect((await outboundFrom(stub, "http://elsewhere.example.org/")).json!.label).toBe("catch-all");
  });

  it("denied hosts get 520 whatever else is configured", async () => {
    const stub = fresh(env.EGRESS);
    for (const url of [
      "http://blocked.example.com/",
      "http://BLOCKED.example.com./x",
      "http://x.evil.test/",
      "http://user@blocked.example.com/",
    ]) {
      const result = await outboundFrom(stub, url);
      expect(result, url).toMatchObject({ status: 520, text: "Origin is disallowed" });
    }
  });

  it("a handler that throws gives the container a 502 naming the failure", async () => {
    const stub = fresh(env.EGRESS);
    await inObject(stub, (instance) => instance.setOutboundHandler("broken"));
    const result = await outboundFrom(stub, "http://anything.example/");
    expect(result.status).toBe(502);
    expect(result.text).toBe("Outbound handler failed: handler broke");
  });
});

describe("static configuration assigned after the class ([[Set]] semantics)", () => {
  it("is honoured too", async () => {
    const stub = fresh(env.ASSIGNED);
    expect((await outboundFrom(stub, "http://svc.example/")).text).toBe("assigned-catch-all:svc.example");
    await inObject(stub, (instance) => instance.setOutboundByHost("svc.example", "named", { tag: "t1" }));
    expect((await outboundFrom(stub, "http://svc.example/")).text).toBe("assigned-named:t1");
  });
});

describe("runtime configuration", () => {
  it("no configuration at all registers nothing: egress is the runtime's enableInternet", async () => {
    const stub = fresh(env.TEST);
    const fake = await fakeOf(stub);
    await (await stub.fetch("http://x/")).text();
    expect(fake.intercepts.count).toBe(0);
    expect((await outboundFrom(stub, "http://example.org/")).text).toBe("internet:http://example.org/");
  });

  it("setOutboundHandler / setOutboundByHost take named handlers with params and win over static ones", async () => {
    const stub = fresh(env.EGRESS);
    await inObject(stub, async (instance) => {
      await instance.setOutboundHandler("withToken", { token: "catch-all-token" });
      await instance.setOutboundByHost("api.example.com", "withToken", { token: "host-token" });
    });
    expect((await outboundFrom(stub, "http://api.example.com/")).json).toMatchObject({
      label: "withToken",
      token: "host-token",
    });
    expect((await outboundFrom(stub, "http://other.example/")).json).toMatchObject({
      label: "withToken",
      token: "catch-all-token",
    });
    // Static per-host (step 4) still beats the runtime catch-all (step 5).
    expect((await outboundFrom(stub, "http://a.images.example.com/")).json!.label).toBe("by-glob");
    await inObject(stub, (instance) => instance.removeOutboundByHost("api.example.com"));
    expect((await outboundFrom(stub, "http://api.example.com/")).json!.label).toBe("by-host");
  });

  it(
    "assigning outboundHandlers at run time merges into the class's handlers, as the original's static setter " +
      "does",
    async () => {
      const stub = fresh(env.EGRESS); // declares withToken, other, broken as a class field
      const added = `added-${crypto.randomUUID().slice(0, 8)}`;
      await inObject(stub, async (instance) => {
        // What @cloudflare/sandbox does from an instance.
        (instance.constructor as { outboundHandlers: unknown }).outboundHandlers = {
          [added]: (request: Request) => Response.json({ label: added, url: request.url }),
        };
        await instance.setOutboundByHost("declared.example", "withToken", { token: "kept" });
        await instance.setOutboundByHost("added.example", added);
      });
      expect((await outboundFrom(stub, "http://declared.example/")).json).toMatchObject({
        label: "withToken",
        token: "kept",
      });
      expect((await outboundFrom(stub, "http://added.example/")).json!.label).toBe(added);
      // The alias merges into the same handlers; a bad value is refused, naming what is accepted.
      const names = await inObject(stub, (instance) => {
        const cls = instance.constructor as { outboundProxies: unknown; outboundHandlers: Record<string, unknown> };
        cls.outboundProxies = { [`${added}-alias`]: () => new Response("alias") };
        return Object.keys(cls.outboundHandlers);
      });
      expect(names).toEqual(expect.arrayContaining(["withToken", "other", "broken", added, `${added}-alias`]));
      expect(
        await errorOf(stub, async (instance) => {
          (instance.constructor as { outboundHandlers: unknown }).outboundHandlers = { bad: "not a function" };
        }),
      ).toMatch(/outboundHandlers\.bad must be a function/);
    },
  );

  it("setOutboundByHosts accepts names and { method, params }", async () => {
    const stub = fresh(env.NAMED);
    mockInternet();
    await inObject(stub, (instance) =>
      instance.setOutboundByHosts({
        "a.example": "other",
        "*.b.example": { method: "withToken", params: { token: "b" } },
      }),
    );
    expect((await outboundFrom(stub, "http://a.example/")).json!.label).toBe("other");
    expect((await outboundFrom(stub, "http://x.b.example/")).json).toMatchObject({ label: "withToken", token: "b" });
    // Nothing matches and enableInternet is on: internet.
    expect((await outboundFrom(stub, "http://c.example/")).text).toBe("internet:http://c.example/");
  });

  it("an unknown handler name is refused with the list of known ones; nothing is stored", async () => {
    const stub = fresh(env.NAMED);
    expect(await errorOf(stub, (i) => i.setOutboundHandler("nope"))).toMatch(
      /Outbound handler "nope" not found in NamedOnlyContainer\.outboundHandlers\. Known handlers: withToken, other\./,
    );
    expect(await errorOf(stub, (i) => i.setOutboundByHosts({ "a.example": "nope" }))).toMatch(/"nope" not found/);
    expect(await errorOf(stub, (i) => i.setOutboundByHost("bad host/", "other"))).toMatch(
      /Invalid host pattern: "bad host\/"/,
    );
    expect(await errorOf(stub, (i) => i.setAllowedHosts("a.example"))).toMatch(/expects an array/);
    const stored = await inObject(stub, (_i, _f, state) => state.storage.get("OUTBOUND_CONFIGURATION"));
    expect(stored).toBeUndefined();
  });

  it("allow and deny lists: add, remove, replace; an emptied allow-list blocks everything", async () => {
    const stub = fresh(env.NAMED);
    mockInternet();
    await inObject(stub, (instance) => instance.setAllowedHosts(["one.example", "two.example"]));
    expect((await outboundFrom(stub, "http://one.example/")).text).toBe("internet:http://one.example/");
    expect((await outboundFrom(stub, "http://three.example/")).status).toBe(520);
    await inObject(stub, async (instance) => {
      await instance.allowHost("three.example");
      await instance.denyHost("two.example");
    });
    expect((await outboundFrom(stub, "http://three.example/")).status).toBe(200);
    expect((await outboundFrom(stub, "http://two.example/")).status).toBe(520); // deny wins over allow
    await inObject(stub, async (instance) => {
      await instance.removeDeniedHost("two.example");
      await instance.setAllowedHosts([]);
    });
    expect((await outboundFrom(stub, "http://one.example/")).status).toBe(520);
    await inObject(stub, (instance) => instance.setDeniedHosts(["*"]));
    expect((await outboundFrom(stub, "http://one.example/")).status).toBe(520);
  });

  it("is persisted under OUTBOUND_CONFIGURATION in the original's shape and survives a restart", async () => {
    const stub = fresh(env.NAMED);
    const fake = await fakeOf(stub);
    await (await stub.fetch("http://x/")).text();
    await inObject(stub, async (instance) => {
      await instance.setOutboundByHost("api.example", "withToken", { token: "kept" });
      await instance.denyHost("bad.example");
    });
    const stored = await inObject(stub, (_i, _f, state) => state.storage.get("OUTBOUND_CONFIGURATION"));
    expect(stored).toEqual({
      outboundByHostOverrides: { "api.example": { method: "withToken", params: { token: "kept" } } },
      deniedHosts: ["bad.example"],
      hasInterceptAllRegistration: true,
    });
    const registrations = fake.intercepts.count;
    await evictDurableObject(stub as never);
    // The container kept running; the new instance re-registers its rules.
    expect(await inObject(stub, (_i, inner) => inner.intercepts.count)).toBeGreaterThan(registrations);
    expect((await outboundFrom(stub, "http://api.example/")).json).toMatchObject({ token: "kept" });
    expect((await outboundFrom(stub, "http://bad.example/")).status).toBe(520);
    // A container restart applies them again as well.
    await inObject(stub, (_i, inner) => inner.exit(0));
    expect((await outboundFrom(stub, "http://api.example/")).json).toMatchObject({ token: "kept" });
  });

  it("configuration written by the original library is read", async () => {
    const stub = fresh(env.NAMED);
    await inObject(stub, (_i, _f, state) =>
      state.storage.put("OUTBOUND_CONFIGURATION", {
        outboundHandlerOverride: { method: "other" },
        allowedHosts: ["only.example"],
        hasInterceptAllRegistration: true,
      }),
    );
    await evictDurableObject(stub as never);
    expect((await outboundFrom(stub, "http://only.example/")).json!.label).toBe("other");
    expect((await outboundFrom(stub, "http://else.example/")).status).toBe(520);
  });
});

describe("allow-list with a credential-injecting handler (the documented use)", () => {
  it("injects the credential for the partner API, lets allow-listed hosts out, blocks the rest", async () => {
    const stub = fresh(env.ALLOWLIST);
    const fetchSpy = mockInternet();
    expect((await outboundFrom(stub, "http://api.partner.example/orders")).json).toMatchObject({
      label: "credential",
      auth: "Bearer injected",
    });
    // Allow-listed, no handler: the internet, although enableInternet is false.
    expect((await outboundFrom(stub, "http://pkg.trusted.dev/x")).text).toBe("internet:http://pkg.trusted.dev/x");
    expect(fetchSpy).toHaveBeenCalledTimes(1);
    for (const url of [
      "http://evil.example/",
      "http://trusted.dev/",
      "http://api.partner.example.evil.example/",
      "http://api.partner.example@evil.example/",
    ]) {
      expect((await outboundFrom(stub, url)).status, url).toBe(520);
    }
  });
});

describe("HTTPS and misconfiguration", () => {
  it("interceptHttps registers the proxy for HTTPS too", async () => {
    const stub = fresh(env.HTTPS);
    const fake = await fakeOf(stub);
    expect((await outboundFrom(stub, "https://secure.example/")).json!.label).toBe("https-catch-all");
    expect(fake.intercepts.https.has("*")).toBe(true);
  });

  it("a runtime without HTTPS interception fails the start with a clear error, not a silent bypass", async () => {
    const stub = fresh(env.HTTPS);
    const fake = await fakeOf(stub);
    fake.interceptOutboundHttps = undefined;
    const res = await inObject(stub, async (instance) => {
      instance.onError = () => undefined; // quiet
      const response: Response = await instance.containerFetch("http://x/");
      return { status: response.status, body: await response.text() };
    });
    expect(res.status).toBe(500);
    expect(res.body).toMatch(/interceptHttps is set, but this runtime cannot intercept outbound HTTPS/);
    expect(fake.starts).toHaveLength(0);
  });

  it("without the ContainerProxy export, starting fails with an error saying what to add", async () => {
    const stub = fresh(env.NOPROXY);
    const res = await inObject(stub, async (instance) => {
      instance.onError = () => undefined;
      const response: Response = await instance.containerFetch("http://x/");
      return { status: response.status, body: await response.text() };
    });
    expect(res.status).toBe(500);
    expect(res.body).toContain('export { ContainerProxy } from "workerd-containers"');
  });
});

describe("ContainerProxy props built by a Worker itself", () => {
  const client = {
    enableInternet: false,
    containerId: "abc",
    className: "EgressContainer",
    outboundByHostOverrides: { "x.example": { method: "withToken", params: { token: "t" } } },
  };

  it.each([
    ["the shape a client builds", client, undefined],
    [
      "the full shape this package builds",
      {
        ...client,
        allowedHosts: ["a"],
        deniedHosts: [],
        outboundHandlerOverride: { method: "other" },
        interceptAll: true,
      },
      undefined,
    ],
    ["not an object", "props", /props must be an object, got string/],
    ["no className", { ...client, className: undefined }, /props\.className must be the Container class's name/],
    ["a numeric containerId", { ...client, containerId: 7 }, /props\.containerId must be a string/],
    [
      "enableInternet as a string",
      { ...client, enableInternet: "yes" },
      /props\.enableInternet must be a boolean, got string/,
    ],
    [
      "an override without a method",
      { ...client, outboundByHostOverrides: { "x.example": "withToken" } },
      /props\.outboundByHostOverrides\["x\.example"\] must be \{ method: string, params\? \}/,
    ],
    [
      "deniedHosts not a list",
      { ...client, deniedHosts: "a.example" },
      /props\.deniedHosts must be an array of host patterns/,
    ],
  ] as const)("%s", async (_label, props, problem) => {
    const { propsProblem } = await import("../../src/outbound/proxy");
    const found = propsProblem(props);
    if (problem === undefined) expect(found).toBeUndefined();
    else expect(found).toMatch(problem);
  });

  it(
    "a proxy a Worker builds with ctx.exports.ContainerProxy({ props }) serves its overrides; bad props get a " +
      "500 naming the shape",
    async () => {
      const stub = fresh(env.EGRESS);
      await (await stub.fetch("http://x/")).text(); // the class is registered by its first instance
      const seen = await inObject(stub, async (instance, _fake, state) => {
        const exports = (state as unknown as { exports: { ContainerProxy: (o: { props: unknown }) => Fetcher } })
          .exports;
        const good = exports.ContainerProxy({ props: { ...client, containerId: instance.ctx.id.toString() } });
        const bad = exports.ContainerProxy({ props: { ...client, enableInternet: "yes" } });
        const ok = await good.fetch("http://x.example/path");
        const refused = await bad.fetch("http://x.example/path");
        return {
          ok: { status: ok.status, body: (await ok.json()) as { label: string; token: string } },
          refused: { status: refused.status, type: refused.headers.get("content-type"), text: await refused.text() },
        };
      });
      expect(seen.ok.status).toBe(200);
      expect(seen.ok.body).toMatchObject({ label: "withToken", token: "t" });
      expect(seen.refused.status).toBe(500);
      // Every text response the library builds says what it is.
      expect(seen.refused.type).toBe("text/plain; charset=utf-8");
      expect(seen.refused.text).toMatch(
        new RegExp(
          "^ContainerProxy: invalid props: props\\.enableInternet must be a boolean, got string\\. " +
            "Expected \\{ className: string",
        ),
      );
    },
  );

  it(
    "a class that was only given handlers (never constructed) is found by its name, as the original's static " +
      "setter registers it",
    async () => {
      // test/unit/objects/egress.ts: a Container subclass named "ContainerProxy" whose
      // outboundHandlers are assigned at module load, the way @cloudflare/sandbox does it.
      const stub = fresh(env.EGRESS);
      const seen = await inObject(stub, async (instance, _fake, state) => {
        const exports = (state as unknown as { exports: { ContainerProxy: (o: { props: unknown }) => Fetcher } })
          .exports;
        const proxy = exports.ContainerProxy({
          props: {
            enableInternet: false,
            containerId: instance.ctx.id.toString(),
            className: "ContainerProxy",
            outboundByHostOverrides: { "r2.internal": { method: "mountHandler" } },
          },
        });
        const res = await proxy.fetch("http://r2.internal/bucket/key");
        return { status: res.status, text: await res.text() };
      });
      expect(seen.status).toBe(200);
      expect(JSON.parse(seen.text)).toMatchObject({
        label: "mount",
        url: "http://r2.internal/bucket/key",
        className: "ContainerProxy",
      });
    },
  );
});
