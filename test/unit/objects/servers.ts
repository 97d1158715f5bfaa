// Tiny "servers" the fake container runs on its ports, used by the fixtures.
import type { PortHandler } from "../../../src/testing";

/** Echo server: WebSocket echo, `/stream` echoes the body as a stream, anything else describes the request. */
export const echoServer: PortHandler = async (request) => {
  if (request.headers.get("upgrade")?.toLowerCase() === "websocket") return echoWebSocket();
  const url = new URL(request.url);
  if (url.pathname === "/stream") return new Response(request.body, { headers: { "x-server": "echo" } });
  if (url.pathname === "/status") return new Response("teapot", { status: 418 });
  if (url.pathname === "/fixed") {
    const { readable, writable } = new FixedLengthStream(5);
    const writer = writable.getWriter();
    void writer.write(new TextEncoder().encode("12345")).then(() => writer.close());
    return new Response(readable, { headers: { "content-length": "5" } });
  }
  return Response.json(
    {
      server: "echo",
      method: request.method,
      url: request.url,
      headers: Object.fromEntries(request.headers),
      body: await request.text(),
    },
    { headers: { "x-server": "echo" } },
  );
};

/** A second server that only says which port it is. */
export function namedServer(name: string): PortHandler {
  return () => new Response(name);
}

/** Close frames the echo server received, as "<code>:<reason>". */
export const closesSeen: string[] = [];

function echoWebSocket(): Response {
  const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
  server.accept();
  server.binaryType = "arraybuffer";
  server.addEventListener("message", (event) => {
    if (event.data === "close-me") server.close(4001, "asked to close");
    else server.send(event.data as string | ArrayBuffer);
  });
  server.addEventListener("close", (event) => {
    closesSeen.push(`${event.code}:${event.reason}`);
    try {
      server.close(event.code === 1005 ? 1000 : event.code, `echo:${event.reason}`);
    } catch {
      // already closing
    }
  });
  return new Response(null, { status: 101, webSocket: client });
}
