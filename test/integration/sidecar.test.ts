// The networking sidecar stand-in (cli/sidecar/sidecar.mjs), exercised
// directly on loopback: no Docker, no workerd. A fake "workerd egress
// listener" plays the host side of the egress tunnel.
import { spawn } from "node:child_process";
import http from "node:http";
import net from "node:net";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// @ts-expect-error plain JavaScript module (shipped in the package)
import { parseArgs, startSidecar } from "../../cli/sidecar/sidecar.mjs";

interface Sidecar {
  ingressPort: number;
  proxyPort: number;
  state: { egressPort?: number; internet: boolean; allowHostnames: string[] };
  close(): Promise<void>;
}

const listen = (server: net.Server): Promise<number> =>
  new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as net.AddressInfo).port)));

/** Sends a raw CONNECT to the ingress; resolves with the status line and the socket. */
function connect(
  port: number,
  target: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; socket: net.Socket }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, method: "CONNECT", path: target, headers });
    req.once("connect", (res, socket) => resolve({ status: res.statusCode ?? 0, socket }));
    req.once("error", reject);
    req.end();
  });
}

const readSome = (socket: net.Socket): Promise<string> =>
  new Promise((resolve) => socket.once("data", (d) => resolve(d.toString())));

let sidecar: Sidecar;
let app: net.Server; // stands in for the app's port inside the namespace
let appPort: number;
let egress: http.Server; // stands in for workerd's egress listener
let egressStatus = 200;
const egressSeen: Array<Record<string, string | string[] | undefined>> = [];

beforeAll(async () => {
  app = net.createServer((socket) => socket.on("data", (d) => socket.write(`echo:${d}`)));
  appPort = await listen(app);
  egress = http.createServer();
  egress.on("connect", (req, socket) => {
    egressSeen.push({ target: req.url, ...req.headers });
    if (egressStatus !== 200 && egressStatus !== 202) return socket.end(`HTTP/1.1 ${egressStatus} No\r\n\r\n`);
    socket.write(`HTTP/1.1 ${egressStatus} OK\r\n\r\n`);
    // Then answer the HTTP request sent through the tunnel, as workerd would.
    socket.once("data", (d) => {
      const [line] = d.toString().split("\r\n");
      const body = `answered by the egress listener: ${line}`;
      socket.end(`HTTP/1.1 200 OK\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
    });
  });
  const egressPort = await listen(egress);
  sidecar = await startSidecar({
    ingressAddress: "127.0.0.1:0",
    proxyAddress: "127.0.0.1:0",
    egressHost: "127.0.0.1",
    egressPort,
  });
});

afterAll(async () => {
  await sidecar?.close();
  app?.close();
  egress?.closeAllConnections();
  egress?.close();
});

describe("sidecar stand-in: ingress", () => {
  it("CONNECT relays bytes both ways to the address in X-Dst-Addr", async () => {
    const { status, socket } = await connect(sidecar.ingressPort, "ignored:1", {
      "x-dst-addr": `127.0.0.1:${appPort}`,
    });
    expect(status).toBe(200);
    socket.write("hello");
    expect(await readSome(socket)).toBe("echo:hello");
    socket.destroy();
  });

  it("CONNECT without X-Dst-Addr uses the request target", async () => {
    const { status, socket } = await connect(sidecar.ingressPort, `127.0.0.1:${appPort}`);
    expect(status).toBe(200);
    socket.destroy();
  });

  it("answers 400 when nothing listens at the address (workerd: not listening)", async () => {
    const closed = net.createServer();
    const port = await listen(closed);
    await new Promise((resolve) => closed.close(resolve));
    const { status, socket } = await connect(sidecar.ingressPort, `127.0.0.1:${port}`, {
      "x-dst-addr": `127.0.0.1:${port}`,
    });
    expect(status).toBe(400);
    socket.destroy();
  });
});

describe("sidecar stand-in: control API", () => {
  it("PUT /egress updates the egress settings", async () => {
    const before = sidecar.state.egressPort;
    const res = await fetch(`http://127.0.0.1:${sidecar.ingressPort}/egress`, {
      method: "PUT",
      body: JSON.stringify({ port: before, dns: { allowHostnames: ["example.com"] }, internet: { enabled: false } }),
    });
    expect(res.status).toBe(204);
    expect(sidecar.state).toMatchObject({ egressPort: before, internet: false, allowHostnames: ["example.com"] });
  });

  it("GET /ca returns a PEM certificate", async () => {
    const res = await fetch(`http://127.0.0.1:${sidecar.ingressPort}/ca`);
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/^-----BEGIN CERTIFICATE-----\n[\s\S]+-----END CERTIFICATE-----\n$/);
  });

  it("rejects a malformed egress configuration", async () => {
    const res = await fetch(`http://127.0.0.1:${sidecar.ingressPort}/egress`, { method: "PUT", body: "{not json" });
    expect(res.status).toBe(400);
  });
});

describe("sidecar stand-in: egress", () => {
  const viaProxy = (url: string): Promise<{ status: number; body: string }> =>
    new Promise((resolve, reject) => {
      http
        .get(
          { host: "127.0.0.1", port: sidecar.proxyPort, path: url, headers: { host: new URL(url).host } },
          async (res) => {
            let body = "";
            for await (const chunk of res) body += chunk;
            resolve({ status: res.statusCode ?? 0, body });
          },
        )
        .on("error", reject);
    });

  it(
    "tunnels a proxied request to the egress listener with CONNECT " + "<address> + X-Hostname (200: intercepted)",
    async () => {
      egressStatus = 200;
      const reply = await viaProxy("http://example.test:8080/path?q=1");
      expect(reply).toEqual({ status: 200, body: "answered by the egress listener: GET /path?q=1 HTTP/1.1" });
      // workerd matches address interceptors (intercept-all is 0.0.0.0/0) on the
      // target, so it must be an IP; a name that does not resolve gets a reserved one.
      expect(egressSeen.at(-1)).toMatchObject({ target: "198.18.0.1:8080", "x-hostname": "example.test" });
    },
  );

  it("sends IP literals as they are", async () => {
    egressStatus = 200;
    await viaProxy("http://10.1.2.3:8080/");
    expect(egressSeen.at(-1)).toMatchObject({ target: "10.1.2.3:8080", "x-hostname": "10.1.2.3" });
  });

  it("202 (passthrough) also sends the request through the tunnel", async () => {
    egressStatus = 202;
    expect((await viaProxy("http://example.test/")).status).toBe(200);
  });

  it("a refused tunnel becomes 502 for the app", async () => {
    egressStatus = 403;
    const reply = await viaProxy("http://blocked.test/");
    expect(reply.status).toBe(502);
    expect(reply.body).toMatch(/403/);
  });
});

describe("sidecar stand-in: command line", () => {
  it("parses workerd's arguments", () => {
    expect(
      parseArgs([
        "--http-egress-port",
        "4000",
        "--http-ingress-address",
        "0.0.0.0:39001",
        "--dns-enabled",
        "--tls-intercept",
      ]),
    ).toEqual({
      "http-egress-port": "4000",
      "http-ingress-address": "0.0.0.0:39001",
      "dns-enabled": true,
      "tls-intercept": true,
    });
  });

  it("starts from the command line and exits 0 on SIGTERM (it is PID 1 in its container)", async () => {
    const script = fileURLToPath(new URL("../../cli/sidecar/sidecar.mjs", import.meta.url));
    const child = spawn(process.execPath, [
      script,
      "--http-ingress-address",
      "127.0.0.1:0",
      "--proxy-address",
      "127.0.0.1:0",
    ]);
    await new Promise<void>((resolve) =>
      child.stdout.on("data", (d: Buffer) => d.toString().includes("ingress on") && resolve()),
    );
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
  });
});
