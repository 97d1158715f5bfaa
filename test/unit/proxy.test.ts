import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { switchPort } from "../../src";
import { errorOf, eventually, fakeOf, fresh, hooks, inObject } from "./harness";
import { closesSeen } from "./objects/servers";

const text = new TextEncoder();
const decode = (chunk: Uint8Array | undefined) => new TextDecoder().decode(chunk);

describe("fetch() routing", () => {
  it("goes to defaultPort, and to the port switchPort names", async () => {
    const stub = fresh(env.TEST);
    expect(await (await stub.fetch("http://x/")).json()).toMatchObject({ server: "echo" });
    expect(await (await stub.fetch(switchPort(new Request("http://x/"), 9090))).text()).toBe("port-9090");
  });

  it("removes the routing header before the request reaches the container", async () => {
    const stub = fresh(env.TEST);
    const body = await (
      await stub.fetch(switchPort(new Request("http://x/", { headers: { "x-a": "1" } }), 8080))
    ).json<{
      headers: Record<string, string>;
    }>();
    expect(body.headers["x-a"]).toBe("1");
    expect(body.headers["cf-container-target-port"]).toBeUndefined();
  });

  it("a routing header that is not a port is a 400 naming it, and starts nothing", async () => {
    const stub = fresh(env.TEST);
    for (const bad of ["abc", "0", "65536", "80abc", "1e3"]) {
      const res = await stub.fetch(new Request("http://x/", { headers: { "cf-container-target-port": bad } }));
      expect(res.status).toBe(400);
      expect(await res.text()).toContain(`Invalid cf-container-target-port header: ${JSON.stringify(bad)}`);
    }
    expect((await fakeOf(stub)).starts).toHaveLength(0);
  });

  it("no port anywhere is a clear error naming defaultPort and switchPort", async () => {
    const stub = fresh(env.PORTLESS);
    const message = await errorOf(stub, (instance) => instance.fetch(new Request("http://x/")));
    // Each contains the original's phrase, which dependents match on.
    expect(message).toMatch(/^No port specified for container fetch: .*defaultPort.*switchPort/);
    const message2 = await errorOf(stub, (instance) => instance.containerFetch("http://x/"));
    expect(message2).toMatch(/^No port specified for container fetch: .*defaultPort/);
  });
});

describe("containerFetch()", () => {
  it("accepts (request, port), (url, init, port) and relative URLs", async () => {
    const stub = fresh(env.TEST);
    const results = await inObject(stub, async (instance) => {
      const a: Response = await instance.containerFetch(
        new Request("http://x/a", { method: "PUT", body: "payload" }),
        8080,
      );
      const b: Response = await instance.containerFetch(
        "/relative?q=1",
        { method: "POST", body: "hi", headers: { "x-b": "2" } },
        8080,
      );
      const c: Response = await instance.containerFetch("http://x/c", undefined, 9090);
      const d: Response = await instance.containerFetch(new URL("http://x/d"));
      return [await a.json(), await b.json(), await c.text(), await d.json()];
    });
    expect(results[0]).toMatchObject({ method: "PUT", url: "http://x/a", body: "payload" });
    expect(results[1]).toMatchObject({ method: "POST", url: "http://container/relative?q=1", body: "hi" });
    expect((results[1] as { headers: Record<string, string> }).headers["x-b"]).toBe("2");
    expect(results[2]).toBe("port-9090");
    expect(results[3]).toMatchObject({ url: "http://x/d" });
  });

  it("sends https: as http: without touching https: in the path or query", async () => {
    const stub = fresh(env.TEST);
    const url = "https://example.com/go/https://x?next=https://other.example/https:&q=https%3A";
    const body = await (await stub.fetch(url)).json<{ url: string }>();
    expect(body.url).toBe("http://example.com/go/https://x?next=https://other.example/https:&q=https%3A");
  });

  it("passes status, headers and body through", async () => {
    const stub = fresh(env.TEST);
    const res = await stub.fetch("http://x/status");
    expect(res.status).toBe(418);
    expect(await res.text()).toBe("teapot");
    const echo = await stub.fetch("http://x/");
    expect(echo.headers.get("x-server")).toBe("echo");
    await echo.text();
    const fixed = await stub.fetch("http://x/fixed");
    expect(fixed.headers.get("content-length")).toBe("5");
    expect(await fixed.text()).toBe("12345");
  });

  it("streams a request body in and the response out without buffering either", async () => {
    const stub = fresh(env.TEST);
    const { readable, writable } = new IdentityTransformStream();
    const writer = writable.getWriter();
    void writer.write(text.encode("one"));
    // The response arrives while the request body is still open: nothing waited for the whole body.
    const res = await stub.fetch("http://x/stream", { method: "POST", body: readable });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    expect(decode((await reader.read()).value)).toBe("one");
    void writer.write(text.encode("two"));
    expect(decode((await reader.read()).value)).toBe("two");
    void writer.close();
    expect((await reader.read()).done).toBe(true);
  });

  it("a container that dies mid-request gives a clear 500; the next request starts a new one", async () => {
    const stub = fresh(env.TEST);
    await stub.startAndWaitForPorts();
    const res = await inObject(stub, async (instance, fake) => {
      fake.ports.set(7070, async () => {
        fake.exit(1);
        return new Response("never delivered");
      });
      const response: Response = await instance.containerFetch("http://x/", {}, 7070);
      return { status: response.status, body: await response.text() };
    });
    expect(res).toEqual({ status: 500, body: "Container suddenly disconnected, try again" });
    await eventually(() => expect(hooks(stub)).toContain("stop:1:exit"));
    expect((await stub.fetch("http://x/")).status).toBe(200);
  });

  it("a request to a port nothing listens on, on a healthy container, is a 500 naming the error", async () => {
    const stub = fresh(env.TEST);
    await stub.startAndWaitForPorts();
    const res = await inObject(stub, async (instance, fake) => {
      fake.ports.delete(9090);
      const response: Response = await instance.containerFetch("http://x/", {}, 9090);
      return { status: response.status, body: await response.text() };
    });
    // Not healthy for 9090 means a start attempt, whose port wait fails: 500 Failed to start.
    expect(res.status).toBe(500);
    expect(res.body).toMatch(/not listening/);
  }, 30_000);
});

describe("WebSocket proxying", () => {
  async function connect(stub: { fetch(request: Request): Promise<Response> }, port?: number): Promise<WebSocket> {
    const request = new Request("http://x/ws", { headers: { Upgrade: "websocket" } });
    const res = await stub.fetch(port ? switchPort(request, port) : request);
    expect(res.status).toBe(101);
    const ws = res.webSocket!;
    ws.accept();
    ws.binaryType = "arraybuffer";
    return ws;
  }

  function collect(ws: WebSocket): { messages: (string | ArrayBuffer)[]; closed: Promise<CloseEvent> } {
    const messages: (string | ArrayBuffer)[] = [];
    ws.addEventListener("message", (event) => messages.push(event.data as string | ArrayBuffer));
    const closed = new Promise<CloseEvent>((resolve) => ws.addEventListener("close", resolve));
    return { messages, closed };
  }

  it("keeps order and type (text stays text, binary stays binary) both ways", async () => {
    const stub = fresh(env.TEST);
    const ws = await connect(stub);
    const { messages } = collect(ws);
    const sent: (string | ArrayBuffer)[] = [];
    for (let i = 0; i < 50; i++) {
      const message = i % 2 === 0 ? `text-${i}` : new Uint8Array([i, 255 - i, 0]).buffer;
      sent.push(message);
      ws.send(message);
    }
    await eventually(() => expect(messages).toHaveLength(50));
    messages.forEach((got, i) => {
      const want = sent[i]!;
      if (typeof want === "string") expect(got).toBe(want);
      else {
        expect(got).toBeInstanceOf(ArrayBuffer);
        expect([...new Uint8Array(got as ArrayBuffer)]).toEqual([...new Uint8Array(want)]);
      }
    });
    ws.close(1000, "done");
  });

  it("passes the container's close code and reason to the client", async () => {
    const stub = fresh(env.TEST);
    const ws = await connect(stub);
    const { closed } = collect(ws);
    ws.send("close-me");
    const event = await closed;
    expect(event.code).toBe(4001);
    expect(event.reason).toBe("asked to close");
  });

  it("passes the client's close code and reason to the container", async () => {
    const stub = fresh(env.TEST);
    const ws = await connect(stub);
    const { closed } = collect(ws);
    const reason = `bye-${crypto.randomUUID().slice(0, 8)}`;
    ws.close(3001, reason);
    const event = await closed;
    expect(event.code).toBe(3001);
    await eventually(() => expect(closesSeen).toContain(`3001:${reason}`));
  });

  it("a container that does not upgrade gets its answer passed back", async () => {
    const stub = fresh(env.TEST);
    const res = await stub.fetch(switchPort(new Request("http://x/ws", { headers: { Upgrade: "websocket" } }), 9090));
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("port-9090");
  });
});

describe("activity", () => {
  it("an open response body and an open WebSocket keep the container alive past sleepAfter", async () => {
    const stub = fresh(env.TEST);
    const fake = await fakeOf(stub);
    await inObject(stub, (instance) => void (instance.sleepAfter = 0.2));
    const { readable, writable } = new IdentityTransformStream();
    const writer = writable.getWriter();
    void writer.write(text.encode("x"));
    const res = await stub.fetch("http://x/stream", { method: "POST", body: readable });
    const reader = res.body!.getReader();
    await reader.read();
    await new Promise((resolve) => setTimeout(resolve, 600)); // three sleepAfter windows
    expect(hooks(stub)).not.toContain("expired");
    expect(fake.running).toBe(true);
    void writer.close();
    await reader.read();
    await eventually(() => expect(hooks(stub)).toContain("expired"));
    await eventually(() => expect(fake.running).toBe(false));
  });

  it("an open WebSocket keeps the container alive; closing it lets it sleep", async () => {
    const stub = fresh(env.TEST);
    const fake = await fakeOf(stub);
    await inObject(stub, (instance) => void (instance.sleepAfter = 0.2));
    const request = new Request("http://x/ws", { headers: { Upgrade: "websocket" } });
    const ws = (await stub.fetch(request)).webSocket!;
    ws.accept();
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(hooks(stub)).not.toContain("expired");
    expect(fake.running).toBe(true);
    ws.close(1000, "done");
    await eventually(() => expect(hooks(stub)).toContain("expired"));
  });
});
