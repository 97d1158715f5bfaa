// WebSocket proxying to a real container: both directions, text and binary,
// order, close codes; through the default relay and through the opt-in
// webSocketProxy = "pass-through" (the container's own socket handed back).
import { describe, expect, it } from "vitest";
import { openSocket, useContainers } from "./client";

const use = useContainers();

/** Collects the next `count` messages as strings ("t:<text>") or byte arrays ("b:<bytes>"). */
function nextMessages(ws: WebSocket, count: number): Promise<string[]> {
  const seen: string[] = [];
  return new Promise((resolve, reject) => {
    const onMessage = (event: MessageEvent) => {
      seen.push(
        typeof event.data === "string"
          ? `t:${event.data}`
          : `b:${[...new Uint8Array(event.data as ArrayBuffer)].join(",")}`,
      );
      if (seen.length === count) {
        ws.removeEventListener("message", onMessage);
        resolve(seen);
      }
    };
    ws.addEventListener("message", onMessage);
    ws.addEventListener("close", () => reject(new Error(`closed after ${seen.length} of ${count} messages`)), {
      once: true,
    });
  });
}

// The fixture classes: "app" relays (the default), "passthrough" hands the container's socket back.
describe.each(["app", "passthrough"])("WebSocket through %s", (kind) => {
  it("echoes text and binary frames in order, keeping their type", async () => {
    const ws = await openSocket(kind, use(kind));
    const expected: string[] = [];
    const replies = nextMessages(ws, 40);
    for (let i = 0; i < 40; i++) {
      if (i % 2 === 0) {
        ws.send(`text ${i}`);
        expected.push(`t:text ${i}`);
      } else {
        const bytes = new Uint8Array([i, 0, 255, i * 2]);
        ws.send(bytes);
        expected.push(`b:${[...bytes].join(",")}`);
      }
    }
    expect(await replies).toEqual(expected);
    ws.close(1000, "done");
  });

  it("carries a burst from the container in order, and large frames", async () => {
    const ws = await openSocket(kind, use(kind));
    const burst = nextMessages(ws, 200);
    ws.send("burst:200");
    expect(await burst).toEqual(Array.from({ length: 200 }, (_, i) => `t:msg ${i}`));
    const big = new Uint8Array(1024 * 1024).map((_, i) => i % 256);
    const echoed = new Promise<ArrayBuffer>((resolve) =>
      ws.addEventListener("message", (e) => resolve(e.data as ArrayBuffer), { once: true }),
    );
    ws.send(big);
    expect(new Uint8Array(await echoed)).toEqual(big);
    ws.close();
  });

  it("passes the container's close code and reason to the client", async () => {
    const ws = await openSocket(kind, use(kind));
    const closed = new Promise<CloseEvent>((resolve) => ws.addEventListener("close", resolve, { once: true }));
    ws.send("close:4001:bye now");
    const event = await closed;
    expect(event.code).toBe(4001);
    expect(event.reason).toBe("bye now");
  });
});
