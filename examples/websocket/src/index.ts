// WebSocket: a client connects to /ws on the Worker; the Worker hands the
// upgrade to the container, and messages flow both ways through it (the
// container counts as active while the socket is open). "/" serves a tiny
// page to try it in a browser.
import { Container, getContainer } from "workerd-containers";

interface Env {
  CHAT: DurableObjectNamespace<ChatContainer>;
}

export class ChatContainer extends Container<Env> {
  override defaultPort = 8080;
  override sleepAfter = "2m";
}

const PAGE =
  `<!doctype html><meta charset="utf-8"><title>WebSocket to a container</title>
<input id="m" value="hello"> <button id="b">send</button><pre id="log"></pre>
<script>
const log = (t) => (document.getElementById("log").textContent += t + "\\n");
const ws = new WebSocket(location.origin.replace(/^http/, "ws") + "/ws");
ws.onmessage = (e) => log("< " + e.data);
ws.onclose = (e) => log("closed " + e.code);
document.getElementById("b").onclick = () => { ` +
  `const v = document.getElementById("m").value; log("> " + v); ws.send(v); };
</script>`;

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const { pathname } = new URL(request.url);
    if (pathname === "/ws") {
      if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
        return new Response("expected a WebSocket upgrade\n", { status: 426 });
      }
      // fetch() proxies the upgrade: the response carries the client's socket.
      return getContainer(env.CHAT, "room-1").fetch(request);
    }
    if (pathname === "/") return new Response(PAGE, { headers: { "content-type": "text/html; charset=utf-8" } });
    return new Response("not found\n", { status: 404 });
  },
};
