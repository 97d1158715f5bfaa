// examples/websocket: a client talks to the container's WebSocket server through the Worker.
import { describe, expect, it } from "vitest";
import { useExample } from "./example";

const example = useExample("websocket");

/** Resolves with the next `count` messages received on `ws`. */
function next(ws: WebSocket, count: number): Promise<string[]> {
  const seen: string[] = [];
  return new Promise((resolve) => {
    const onMessage = (event: MessageEvent) => {
      seen.push(String(event.data));
      if (seen.length === count) {
        ws.removeEventListener("message", onMessage);
        resolve(seen);
      }
    };
    ws.addEventListener("message", onMessage);
  });
}

describe("examples/websocket", () => {
  it("greets, echoes in order, and closes with the server's code", async () => {
    const ws = new WebSocket(example.url("/ws").replace(/^http/, "ws"));
    const greeting = next(ws, 1);
    await new Promise((resolve, reject) => {
      ws.addEventListener("open", resolve, { once: true });
      ws.addEventListener("error", () => reject(new Error("WebSocket failed to open")), { once: true });
    });
    expect((await greeting)[0]).toMatch(/^welcome! this is container process \d+$/);

    const replies = next(ws, 20);
    for (let i = 0; i < 20; i++) ws.send(`message ${i} ${"x".repeat(i * 20)}`);
    expect(await replies).toEqual(Array.from({ length: 20 }, (_, i) => `echo: message ${i} ${"x".repeat(i * 20)}`));

    const closed = new Promise<CloseEvent>((resolve) => ws.addEventListener("close", resolve, { once: true }));
    ws.send("bye");
    const event = await closed;
    expect(event.code).toBe(1000);
    expect(event.reason).toBe("goodbye");
  });

  it("serves the browser page, and refuses a plain request to /ws", async () => {
    expect(await (await fetch(example.url("/"))).text()).toContain("new WebSocket");
    const plain = await fetch(example.url("/ws"));
    expect(plain.status).toBe(426);
    await plain.body?.cancel();
  });
});
