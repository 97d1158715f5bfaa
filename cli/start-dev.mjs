// `workerd-containers/dev`: startDev() runs the project's `wrangler dev` on
// real containers for the user's own tests (vitest globalSetup, or a test's
// beforeAll), prepared the way `workerd-containers dev` prepares it
// (cli/lib/dev-session.mjs). Node only; types in start-dev.d.mts.
import { isAbsolute, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { openSession } from "./lib/dev-session.mjs";
import { freePort, localDevArgs } from "./lib/local-dev.mjs";

/**
 * Starts `wrangler dev --config <config>` on 127.0.0.1 and resolves once
 * wrangler says it is ready. See start-dev.d.mts for the options and the result.
 * @param {import("./start-dev.d.mts").StartDevOptions} options
 * @returns {Promise<import("./start-dev.d.mts").DevServer>}
 */
export async function startDev(options) {
  if (!options?.config) throw new TypeError("startDev: `config` (the path of wrangler.jsonc/.json/.toml) is required");
  const cwd = options.cwd ?? process.cwd();
  const given = options.config instanceof URL ? fileURLToPath(options.config) : String(options.config);
  const config = isAbsolute(given) ? given : resolve(cwd, given);
  const port = options.port ?? (await freePort());
  const log = options.log === false ? () => {} : (options.log ?? ((line) => console.log(`[startDev] ${line}`)));
  const env = { WRANGLER_SEND_METRICS: "false", ...process.env, ...options.env };
  const session = await openSession({
    cwd,
    env,
    wranglerArgs: await localDevArgs({ config, port, extra: options.args }),
    offline: options.offline,
    pullTimeoutMs: options.pullTimeoutMs,
    say: log,
    stdio: "pipe",
  });
  if ("error" in session) throw new Error(`startDev: ${session.error}`);
  const { child } = session;
  const output = [];
  let markReady;
  const ready = new Promise((done) => {
    markReady = done;
  });
  const keep = (chunk) => {
    for (const line of chunk.toString().split("\n")) {
      if (!line.trim()) continue;
      output.push(line);
      if (output.length > 200) output.shift();
      if (options.output) options.output(line);
      else if (/Ready on|image\(s\) ready|Building|ERROR|✘/.test(line)) log(`wrangler: ${line.trim()}`);
      // wrangler prints "Ready on <url>" once the Worker serves; nothing has started a container yet.
      if (/Ready on/.test(line)) markReady("ready");
    }
  };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);

  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    await session.stop("SIGTERM");
  };
  const timeoutMs = options.readyTimeoutMs ?? 180_000;
  let timer;
  const outcome = await Promise.race([
    ready,
    session.exited.then(() => "exited"),
    new Promise((done) => {
      timer = setTimeout(() => done("timeout"), timeoutMs);
    }),
  ]);
  clearTimeout(timer);
  if (outcome === "exited") {
    await session.finished();
    throw new Error(`startDev: wrangler dev exited before it was ready. Its last lines:\n${output.join("\n")}`);
  }
  if (outcome === "timeout") {
    await stop();
    throw new Error(
      `startDev: wrangler dev was not ready within ${timeoutMs / 1000} s. Its last lines:\n${output.join("\n")}`,
    );
  }
  log(`wrangler dev is ready on ${url}`);
  return {
    url,
    port,
    pid: child.pid,
    fetch: (path = "/", init) => fetch(new URL(path, url), init),
    stop,
    containers: () => session.tracker.containers(),
    output: () => [...output],
  };
}
