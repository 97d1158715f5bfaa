// What every local `wrangler dev` run of this package's tooling shares: a
// free loopback port, and the arguments that serve on it without the
// interactive session (startDev() for users' tests, and the repository's
// own suites and bench through scripts/lib/devserver.mjs).
import { createServer } from "node:net";

/** A TCP port nobody listens on right now (loopback). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * `wrangler dev` arguments for `config` on 127.0.0.1:`port`, its inspector on
 * a free port, no interactive session; `extra` last, so they can override.
 * @param {{ config: string, port: number, name?: string, extra?: string[] }} options
 */
export async function localDevArgs({ config, port, name, extra = [] }) {
  return [
    "--config",
    config,
    ...(name === undefined ? [] : ["--name", name]),
    "--ip",
    "127.0.0.1",
    "--port",
    String(port),
    "--inspector-port",
    String(await freePort()),
    "--show-interactive-dev-session=false",
    ...extra,
  ];
}
