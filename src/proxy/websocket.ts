/**
 * @module proxy/websocket
 * WebSocket proxying. By default both ends are accepted in the Durable Object
 * and messages are relayed one by one, so the socket counts as activity for
 * its whole life. Text stays text, binary stays binary, order is kept, and
 * close codes and reasons pass through. The opt-in `"pass-through"` mode hands
 * the container's own upgrade response back instead (see docs/behaviour.md).
 */

import type { ActivityTracker } from "../activity";
import type { WebSocketProxyMode } from "../config";
import type { RuntimeTcpPort } from "../runtime";
import { sendUpstream } from "./http";

/** Open a WebSocket to the container and return the client's end. */
export async function proxyWebSocket(
  port: RuntimeTcpPort,
  request: Request,
  activity: ActivityTracker,
  mode: WebSocketProxyMode = "relay",
): Promise<Response> {
  const { response: upstream, end } = await sendUpstream(port, request, activity);
  if (!end) return upstream;
  const container = upstream.webSocket;
  if (!container || mode === "pass-through") {
    // Not upgraded: the container's answer as is. Passed through: the runtime
    // joins the client to the container's socket natively, and the library
    // never sees a message or the close, so activity ends with the upgrade.
    end();
    return upstream;
  }
  const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
  for (const socket of [container, server]) {
    socket.accept();
    // Newer compatibility dates deliver binary messages as Blob unless asked
    // otherwise; ArrayBuffers can be forwarded synchronously, in order.
    if ("binaryType" in socket) (socket as { binaryType: string }).binaryType = "arraybuffer";
  }
  let open = true;
  const finish = () => {
    if (!open) return;
    open = false;
    end();
  };
  relay(server, container, finish);
  relay(container, server, finish);
  return new Response(null, { status: 101, webSocket: client, headers: upstream.headers });
}

function relay(from: WebSocket, to: WebSocket, finish: () => void): void {
  // Messages that must wait (a Blob being read) hold back the ones after them.
  let queue: Promise<void> | undefined;
  const forward = (data: string | ArrayBuffer) => {
    try {
      to.send(data);
    } catch {
      closeQuietly(from, 1011, "Failed to forward message");
      closeQuietly(to, 1011, "Failed to forward message");
      finish();
    }
  };
  // No renewal per message: the socket counts as in flight for its whole life.
  from.addEventListener("message", (event) => {
    const data = event.data as string | ArrayBuffer | Blob;
    if (!queue && !(data instanceof Blob)) return forward(data);
    const previous = queue ?? Promise.resolve();
    const current: Promise<void> = previous
      .then(() => (data instanceof Blob ? data.arrayBuffer() : data))
      .then(forward, () => closeQuietly(to, 1011, "Failed to read message"))
      .finally(() => {
        if (queue === current) queue = undefined;
      });
    queue = current;
  });
  from.addEventListener("close", (event) => {
    closeQuietly(to, event.code, event.reason);
    finish();
  });
  from.addEventListener("error", () => {
    closeQuietly(to, 1011, "WebSocket error on the other side");
    finish();
  });
}

/** Codes in 1000–1014 that may not be sent: reserved (1004) or only observed (1005, 1006). */
const UNSENDABLE_CLOSE_CODES = new Set([1004, 1005, 1006]);

/**
 * Close codes that may be sent in a close frame: 1000–1014 except 1004–1006,
 * and 3000–4999. Anything else (including 1015, only ever observed) becomes 1000.
 */
export function sendableCloseCode(code: number | undefined): number {
  if (code === undefined) return 1000;
  if (code >= 1000 && code <= 1014 && !UNSENDABLE_CLOSE_CODES.has(code)) return code;
  if (code >= 3000 && code <= 4999) return code;
  return 1000;
}

/** Close reasons are limited to 123 bytes of UTF-8. */
export function sendableCloseReason(reason: string | undefined): string {
  if (!reason) return "";
  const bytes = new TextEncoder().encode(reason);
  if (bytes.length <= 123) return reason;
  return new TextDecoder().decode(bytes.slice(0, 123)).replace(/\uFFFD+$/, "");
}

function closeQuietly(socket: WebSocket, code: number | undefined, reason: string | undefined): void {
  try {
    socket.close(sendableCloseCode(code), sendableCloseReason(reason));
  } catch {
    // Already closed.
  }
}
