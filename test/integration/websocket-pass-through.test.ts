// webSocketProxy = "pass-through" on a real container: the Durable Object
// hands the container's own upgrade response back and the runtime carries
// the frames; text stays text, binary stays binary, order is kept.
import { describe, expect, it } from "vitest";
import { openSocket, useContainers } from "./client";

const use = useContainers();

/** The next `count` messages as "t:<text>" or "b:<bytes>". */
function nextMessages(ws: WebSocket, count: number): Promise<string[]> {
  const seen: string[] = [];
  return new Promise((resolve, reject) => {
    const onMessage = (event: MessageEvent) => {
      const data = event.data as string | ArrayBuffer;
      seen.push(typeof data === "string" ? `t:${data}` : `b:${[...new Uint8Array(data)].join(",")}`);
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

describe("WebSocket pass-through", () => {
  it("echoes text and binary frames in order, keeping their type", async () => {
    const ws = await openSocket("passthrough", use("passthrough"));
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

  it("carries a burst from the container and a 1 MiB frame", async () => {
    const ws = await openSocket("passthrough", use("passthrough"));
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

  it("the client sees the socket close when the container closes it", async () => {
    const ws = await openSocket("passthrough", use("passthrough"));
    const closed = new Promise<CloseEvent>((resolve) => ws.addEventListener("close", resolve, { once: true }));
    ws.send("close:4001:bye now");
    const event = await closed;
    // Whatever the runtime passes on (local workerd: 4001 "bye now"); the library is not in the path any more.
    expect(event.code).toBeGreaterThanOrEqual(1000);
  });
});
