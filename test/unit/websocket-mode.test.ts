// The webSocketProxy field: the default relays both ends in the Durable
// Object; "pass-through" hands the container's own upgrade response back;
// anything else is refused, naming what is accepted.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { resolveConfig, resolveWebSocketProxy } from "../../src/config";
import { describeValue } from "../../src/errors";
import { eventually, fakeOf, fresh, hooks, inObject } from "./harness";
import { upgradesSent } from "./objects/websocket";

const upgrade = () => new Request("http://x/ws", { headers: { Upgrade: "websocket" } });
const ACCEPTED = 'Expected "relay" (the default) or "pass-through".';

/** Sends text and binary over `ws` and resolves with the echoes, in order. */
async function echoes(ws: WebSocket): Promise<(string | number[])[]> {
  const got: (string | number[])[] = [];
  ws.addEventListener("message", (event) => {
    const data = event.data as string | ArrayBuffer;
    got.push(typeof data === "string" ? data : [...new Uint8Array(data)]);
  });
  ws.send("text 1");
  ws.send(new Uint8Array([1, 2, 255]).buffer);
  ws.send("text 2");
  await eventually(() => expect(got).toHaveLength(3));
  return got;
}

describe('webSocketProxy = "pass-through"', () => {
  it("returns the container's upgrade response and socket untouched", async () => {
    const stub = fresh(env.PASSTHROUGH);
    const same = await inObject(stub, async (instance) => {
      const response: Response = await instance.fetch(upgrade());
      const sent = upgradesSent.get(instance.ctx.id.toString())?.at(-1);
      const identical = response === sent && response.webSocket === sent?.webSocket;
      response.webSocket?.accept();
      response.webSocket?.close(1000, "done");
      return { identical, status: response.status };
    });
    expect(same).toEqual({ identical: true, status: 101 });
  });

  it("echoes text and binary through the container's socket", async () => {
    const stub = fresh(env.PASSTHROUGH);
    const res = await stub.fetch(upgrade());
    expect(res.status).toBe(101);
    const ws = res.webSocket!;
    ws.accept();
    ws.binaryType = "arraybuffer";
    expect(await echoes(ws)).toEqual(["text 1", [1, 2, 255], "text 2"]);
    ws.close(1000, "done");
  });

  it("counts the socket as activity only until the upgrade (the documented trade-off)", async () => {
    const stub = fresh(env.PASSTHROUGH);
    await inObject(stub, (instance) => void (instance.sleepAfter = 0.2));
    const ws = (await stub.fetch(upgrade())).webSocket!;
    ws.accept();
    // Still open, yet the idle timer runs: the library cannot see the socket any more.
    await eventually(() => expect(hooks(stub)).toContain("expired"));
    ws.close(1000, "done");
  });
});

describe("webSocketProxy default (relay)", () => {
  it("relays: the client gets its own socket, not the container's, and echoes still arrive", async () => {
    const stub = fresh(env.UPGRADES);
    const relayed = await inObject(stub, async (instance) => {
      const response: Response = await instance.fetch(upgrade());
      const sent = upgradesSent.get(instance.ctx.id.toString())?.at(-1);
      const result = {
        status: response.status,
        sameResponse: response === sent,
        sameSocket: response.webSocket === sent?.webSocket,
        inflight: instance.inflightRequests,
      };
      response.webSocket?.accept();
      response.webSocket?.close(1000, "done");
      return result;
    });
    expect(relayed).toEqual({ status: 101, sameResponse: false, sameSocket: false, inflight: 1 });
    const ws = (await stub.fetch(upgrade())).webSocket!;
    ws.accept();
    ws.binaryType = "arraybuffer";
    expect(await echoes(ws)).toEqual(["text 1", [1, 2, 255], "text 2"]);
    ws.close(1000, "done");
  });

  it('"relay" set explicitly is the default', async () => {
    const stub = fresh(env.PASSTHROUGH);
    const sameResponse = await inObject(stub, async (instance) => {
      instance.webSocketProxy = "relay";
      const response: Response = await instance.fetch(upgrade());
      response.webSocket?.accept();
      response.webSocket?.close(1000, "done");
      return response === upgradesSent.get(instance.ctx.id.toString())?.at(-1);
    });
    expect(sameResponse).toBe(false);
  });
});

describe("webSocketProxy values", () => {
  it("accepts the two modes; unset (or a method of that name) is the relay", () => {
    expect(resolveWebSocketProxy(undefined)).toBe("relay");
    expect(resolveWebSocketProxy("relay")).toBe("relay");
    expect(resolveWebSocketProxy("pass-through")).toBe("pass-through");
    expect(resolveWebSocketProxy(() => "pass-through")).toBe("relay");
  });

  it.each([["passthrough"], ["Pass-Through"], [""], [true], [1], [null], [{ mode: "pass-through" }]])(
    "refuses %j, naming what is accepted",
    (value) => {
      expect(() => resolveWebSocketProxy(value)).toThrow(TypeError);
      expect(() => resolveWebSocketProxy(value)).toThrow(
        `Invalid webSocketProxy: ${describeValue(value)}. ${ACCEPTED}`,
      );
      const fields = { sleepAfter: "10m", pingEndpoint: "ping", webSocketProxy: value as "relay" };
      expect(() => resolveConfig(fields)).toThrow(ACCEPTED);
    },
  );

  it("a bad value refuses the start, and an upgrade to a running container, before the container sees it", async () => {
    const stub = fresh(env.UPGRADES);
    const fake = await fakeOf(stub);
    const first = await inObject(stub, async (instance) => {
      instance.webSocketProxy = "passthrough";
      const response: Response = await instance.fetch(upgrade());
      return { status: response.status, body: await response.text() };
    });
    expect(first.status).toBe(500);
    expect(first.body).toContain(`Invalid webSocketProxy: "passthrough". ${ACCEPTED}`);
    expect(fake.running).toBe(false);
    // Running and healthy (plain HTTP starts it), then a bad value: the upgrade is refused, not sent.
    await inObject(stub, (instance) => void (instance.webSocketProxy = undefined));
    expect((await stub.fetch("http://x/")).status).toBe(200);
    const upgradesBefore = fake.requests.filter((r) => r.url.endsWith("/ws")).length;
    const refused = await inObject(stub, async (instance) => {
      instance.webSocketProxy = "off";
      const response: Response = await instance.fetch(upgrade());
      return { status: response.status, body: await response.text() };
    });
    expect(refused).toEqual({ status: 500, body: `Invalid webSocketProxy: "off". ${ACCEPTED}` });
    expect(fake.requests.filter((r) => r.url.endsWith("/ws"))).toHaveLength(upgradesBefore);
  });
});
