// `workerd-containers dev [options] [wrangler dev arguments…]`: the project's
// own `wrangler dev`, with what a machine without buildx or without a
// registry lacks, each only when needed (cli/lib/dev-env.mjs), one line per
// step as it goes. On Ctrl-C / SIGTERM it stops wrangler by PID and process
// group and removes the containers of its sessions; it exits with wrangler's code.
import { openSession } from "./lib/dev-session.mjs";

export const DEV_HELP = `Usage: workerd-containers dev [--offline] [--pull-timeout <s>] [wrangler dev arguments…]

Runs the project's own \`wrangler dev\` with what this machine lacks for
containers, each only when it is needed:
  - no buildx: WRANGLER_DOCKER_BIN is a docker wrapper that drops --load and
    --provenance=false and builds with the classic builder;
  - the networking sidecar image is absent and cannot be pulled: a local
    stand-in is built (this Node and the libraries ldd lists, no registry)
    and MINIFLARE_CONTAINER_EGRESS_IMAGE names it; the wrapper answers
    wrangler's \`docker pull\` of an image present locally from the local copy.
Every other argument goes to wrangler dev. Ctrl-C stops wrangler and removes
the containers it started (and only those).

Options:
      --offline           do not try to pull the sidecar image
      --pull-timeout <s>  give up pulling it after this many seconds (default 60)
  -h, --help              show this help (wrangler's own: -- --help)

Exit status: wrangler's; 2 for a usage error.`;

/** Splits dev's own options from wrangler's arguments (everything after `--` is wrangler's). */
export function parseDevArgs(args) {
  const options = { offline: false, pullTimeoutMs: 60_000, help: false, wranglerArgs: [] };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") {
      options.wranglerArgs.push(...args.slice(i + 1));
      break;
    }
    if (arg === "--offline") options.offline = true;
    else if (arg === "-h" || arg === "--help") options.help = true;
    else if (arg === "--pull-timeout" || arg.startsWith("--pull-timeout=")) {
      const value = arg.includes("=") ? arg.slice(arg.indexOf("=") + 1) : args[++i];
      const seconds = Number(value);
      if (!(seconds > 0)) throw new Error("--pull-timeout needs a number of seconds greater than 0");
      options.pullTimeoutMs = seconds * 1000;
    } else options.wranglerArgs.push(arg);
  }
  return options;
}

/**
 * Runs the command. `io` is for tests: env, cwd, stderr, wrangler ({ command, args }).
 * @returns {Promise<{ code: number }>}
 */
export async function dev(args, io = {}) {
  const env = io.env ?? process.env;
  const stderr = io.stderr ?? process.stderr;
  let options;
  try {
    options = parseDevArgs(args);
  } catch (error) {
    stderr.write(`workerd-containers dev: ${error.message}\n\n${DEV_HELP}\n`);
    return { code: 2 };
  }
  if (options.help) {
    (io.stdout ?? process.stdout).write(`${DEV_HELP}\n`);
    return { code: 0 };
  }
  const say = (line) => stderr.write(`[workerd-containers] ${line}\n`);
  // A signal during the preparation ends dev before wrangler starts (the docker commands it runs
  // are killed on exit, cli/lib/run.mjs); after that it goes to wrangler.
  let session;
  let signalled;
  const onSignal = (signal) => {
    if (!session) {
      say(`${signal}: stopping before wrangler started`);
      process.exit(128 + ({ SIGHUP: 1, SIGINT: 2, SIGTERM: 15 }[signal] ?? 1));
    }
    if (signalled && !("error" in session)) {
      say(`${signal} again: SIGKILL to wrangler's process group`);
      try {
        process.kill(-session.child.pid, "SIGKILL");
      } catch {
        // already gone
      }
      return;
    }
    signalled = signal;
    if (!("error" in session)) session.stop(signal);
  };
  const handlers = ["SIGINT", "SIGTERM", "SIGHUP"].map((signal) => {
    const handler = () => onSignal(signal);
    process.on(signal, handler);
    return [signal, handler];
  });
  try {
    session = await openSession({
      cwd: io.cwd ?? process.cwd(),
      env,
      wranglerArgs: options.wranglerArgs,
      offline: options.offline,
      pullTimeoutMs: options.pullTimeoutMs,
      say,
      stdio: "inherit",
      wrangler: io.wrangler,
    });
    if ("error" in session) {
      say(session.error);
      return { code: 1 };
    }
    const code = await session.finished();
    say(`wrangler dev exited (${code})`);
    return { code };
  } finally {
    for (const [signal, handler] of handlers) process.off(signal, handler);
  }
}
