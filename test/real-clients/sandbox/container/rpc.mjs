// The SDK's `rpc` transport (SANDBOX_TRANSPORT=rpc): a capnweb session over
// a WebSocket on GET /rpc. The Durable Object's ContainerControlClient takes
// the session's main stub and calls rpc.commands.execute(...),
// rpc.files.readFile(...), rpc.utils.createSession(...) and so on, with the
// same arguments its route clients take (shared SandboxAPI interfaces), and
// reads the same result objects. So every method here is the matching HTTP
// route run through the server's dispatch(): JSON results are returned as
// they are, SSE routes become a ReadableStream of the same `data: …` bytes,
// and an error response is thrown as an Error whose message is the JSON
// { code, message, context } (the SDK's translateRPCError parses that back
// into its typed errors).
//
// capnweb.js is the capnweb library's dist/index.js (MIT), copied unchanged
// from node_modules into the image by the suite's harness: the protocol must
// match the SDK's own capnweb. It is loaded on the first /rpc connection only.
import { Buffer } from "node:buffer";

let capnweb = null;

async function loadCapnweb() {
  capnweb ??= await import("./capnweb.js");
  return capnweb;
}

/** capnweb's RpcTransport (send / receive / abort) over a websocket.mjs connection. */
class SocketTransport {
  #ws;
  #queue = [];
  #waiting = null;
  #error = null;

  constructor(ws) {
    this.#ws = ws;
    ws.onMessage((data, isBinary) => {
      if (isBinary) return this.#fail(new TypeError("Received non-string message from WebSocket."));
      const text = data.toString("utf8");
      if (this.#waiting) {
        this.#waiting.resolve(text);
        this.#waiting = null;
      } else this.#queue.push(text);
    });
    ws.onClose((code, reason) => this.#fail(new Error(`Peer closed WebSocket: ${code} ${reason}`)));
  }
  async send(message) {
    if (this.#error) throw this.#error;
    this.#ws.send(message, false);
  }
  receive() {
    if (this.#queue.length > 0) return Promise.resolve(this.#queue.shift());
    if (this.#error) return Promise.reject(this.#error);
    return new Promise((resolve, reject) => (this.#waiting = { resolve, reject }));
  }
  abort(reason) {
    this.#fail(reason instanceof Error ? reason : new Error(String(reason)));
    this.#ws.close(3000, String(reason?.message ?? reason).slice(0, 120));
  }
  #fail(error) {
    if (this.#error) return;
    this.#error = error;
    this.#waiting?.reject(error);
    this.#waiting = null;
  }
}

function defineApi({ RpcTarget }, dispatch) {
  const encoder = new TextEncoder();

  /** Runs one route; JSON comes back, an error response is thrown, SSE becomes a byte stream. */
  async function call(method, path, body) {
    const url = new URL(path, "http://localhost");
    const result = await dispatch({ method, pathname: url.pathname, query: url.searchParams, body, transport: "rpc" });
    if (result.sse) {
      let cancel = null;
      let ended = false;
      return new ReadableStream({
        start(controller) {
          cancel = result.sse(
            (event) => !ended && controller.enqueue(encoder.encode(`data: ${JSON.stringify(event)}\n\n`)),
            () => {
              if (ended) return;
              ended = true;
              controller.close();
            },
          );
        },
        cancel() {
          ended = true;
          cancel?.();
        },
      });
    }
    if (result.status >= 400) {
      const { code, message, context } = result.json;
      throw new Error(JSON.stringify({ code, message, context }));
    }
    return result.json;
  }

  const enc = encodeURIComponent;

  class Commands extends RpcTarget {
    execute(command, sessionId, options) {
      return call("POST", "/api/execute", { command, sessionId, ...options });
    }
    executeStream(command, sessionId, options) {
      return call("POST", "/api/execute/stream", { command, sessionId, ...options });
    }
  }

  class Files extends RpcTarget {
    async readFile(path, sessionId, options) {
      if (options?.encoding === "none") {
        // Raw bytes as a stream (RPC only).
        const r = await call("POST", "/api/read", { path, sessionId, encoding: "base64" });
        const bytes = Buffer.from(r.content, "base64");
        const content = new ReadableStream({
          start(controller) {
            if (bytes.length) controller.enqueue(new Uint8Array(bytes));
            controller.close();
          },
        });
        return { success: true, path: r.path, content, size: r.size, mimeType: r.mimeType, timestamp: r.timestamp };
      }
      return call("POST", "/api/read", { path, sessionId, encoding: options?.encoding });
    }
    readFileStream(path, sessionId) {
      return call("POST", "/api/read/stream", { path, sessionId });
    }
    writeFile(path, content, sessionId, options) {
      return call("POST", "/api/write", { path, content, sessionId, encoding: options?.encoding });
    }
    async writeFileStream(path, stream, sessionId) {
      const chunks = [];
      for await (const chunk of stream) chunks.push(Buffer.from(chunk));
      const data = Buffer.concat(chunks);
      const r = await call("POST", "/api/write", {
        path,
        content: data.toString("base64"),
        encoding: "base64",
        sessionId,
      });
      return { success: true, path: r.path, bytesWritten: data.length, timestamp: r.timestamp };
    }
    deleteFile(path, sessionId) {
      return call("POST", "/api/delete", { path, sessionId });
    }
    renameFile(oldPath, newPath, sessionId) {
      return call("POST", "/api/rename", { oldPath, newPath, sessionId });
    }
    moveFile(sourcePath, destinationPath, sessionId) {
      return call("POST", "/api/move", { sourcePath, destinationPath, sessionId });
    }
    mkdir(path, sessionId, options) {
      return call("POST", "/api/mkdir", { path, sessionId, recursive: options?.recursive ?? false });
    }
    listFiles(path, sessionId, options) {
      return call("POST", "/api/list-files", { path, sessionId, options: options ?? {} });
    }
    exists(path, sessionId) {
      return call("POST", "/api/exists", { path, sessionId });
    }
  }

  class Processes extends RpcTarget {
    startProcess(command, sessionId, options) {
      return call("POST", "/api/process/start", { command, sessionId, ...options });
    }
    listProcesses() {
      return call("GET", "/api/process/list");
    }
    getProcess(id) {
      return call("GET", `/api/process/${enc(id)}`);
    }
    killProcess(id) {
      return call("DELETE", `/api/process/${enc(id)}`);
    }
    killAllProcesses() {
      return call("DELETE", "/api/process/kill-all");
    }
    getProcessLogs(id) {
      return call("GET", `/api/process/${enc(id)}/logs`);
    }
    streamProcessLogs(id) {
      return call("GET", `/api/process/${enc(id)}/stream`);
    }
  }

  class Ports extends RpcTarget {
    watchPort(request) {
      return call("POST", "/api/port-watch", request);
    }
  }

  class Utils extends RpcTarget {
    async ping() {
      return (await call("GET", "/api/ping")).message;
    }
    async getVersion() {
      return (await call("GET", "/api/version")).version;
    }
    async getCommands() {
      return (await call("GET", "/api/commands")).availableCommands;
    }
    createSession(options) {
      return call("POST", "/api/session/create", options);
    }
    deleteSession(sessionId) {
      return call("POST", "/api/session/delete", { sessionId });
    }
    async listSessions() {
      return { sessions: (await call("GET", "/api/session/list")).sessions };
    }
  }

  // Domains are getters: the SDK reads rpc.commands etc. (pipelined property gets).
  // git, backup, watch, interpreter and tunnels are not served.
  class SandboxAPI extends RpcTarget {
    get commands() {
      return new Commands();
    }
    get files() {
      return new Files();
    }
    get processes() {
      return new Processes();
    }
    get ports() {
      return new Ports();
    }
    get utils() {
      return new Utils();
    }
  }
  return SandboxAPI;
}

let SandboxAPI = null;

/** Serves one capnweb session on an accepted websocket.mjs connection. */
export async function serveRpcSocket(ws, dispatch, log, quiet = false) {
  // Listen before anything async: the SDK flushes its queued calls right after the 101.
  const transport = new SocketTransport(ws);
  let lib;
  try {
    lib = await loadCapnweb();
  } catch (error) {
    log(`rpc transport unavailable (capnweb.js not loadable): ${error.message}`);
    ws.close(1011, "rpc transport unavailable");
    return;
  }
  // One log line per call, like the HTTP and websocket adapters write.
  SandboxAPI ??= defineApi(lib, async (request) => {
    const started = Date.now();
    const result = await dispatch(request);
    if (!quiet)
      log(
        `rpc ${request.method} ${request.pathname} ${result.status}${result.sse ? " (stream)" : ""} ` +
          `${Date.now() - started}ms`,
      );
    return result;
  });
  const session = new lib.RpcSession(transport, new SandboxAPI());
  ws.onClose(() => {
    // The peer's main stub (the DO's control callback) is not used; drop it.
    try {
      session.getRemoteMain()[Symbol.dispose]?.();
    } catch {
      // already gone
    }
  });
}
