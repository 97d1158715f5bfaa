// `workerd-containers doctor`: checks this machine and a project for what
// `wrangler dev` with containers needs, one line per check as it goes, with
// the fix under every failure. Exit status 0 when nothing fails (warnings
// allowed), 1 otherwise, 2 for a usage error.
import { dirname, relative } from "node:path";
import { dockerChecks } from "./checks/docker.mjs";
import { locateConfig, projectChecks } from "./checks/project.mjs";
import { toolchainChecks } from "./checks/toolchain.mjs";
import { findSidecarImage, findToolchain } from "./lib/packages.mjs";
import { BUSYBOX } from "./lib/standin.mjs";

export const DOCTOR_HELP = `Usage: workerd-containers doctor [--config <file>] [--dev] [--json] [--timeout <seconds>]

Checks what \`wrangler dev\` with containers needs on this machine and in this
project: the Docker CLI, daemon, engine version and buildx, the default
bridge's gateway, the networking sidecar image, Node, wrangler and workerd,
and the Wrangler configuration's containers with their Durable Object
classes. Prints one line per check (✓ ok, ! warning, ✗ failed, - skipped)
with the fix under each one that needs it. The sidecar stand-in that
\`workerd-containers dev\` builds counts as the sidecar image, and shows that
dev is in use: then a missing buildx is a warning, not a failure.

Options:
  -c, --config <file>   wrangler.jsonc, wrangler.json or wrangler.toml
                        (default: the first of those in the current folder)
      --dev             check for \`npx workerd-containers dev\`: buildx is
                        optional, and an absent sidecar image is fine where
                        dev can build its stand-in (ldd, a static busybox)
      --json            print a JSON array of { id, ok, level, message, fix? }
      --timeout <s>     give up on each docker/node command after this many
                        seconds (default 10)
  -h, --help            show this help

Exit status: 0 when wrangler dev has what it needs (warnings do not fail),
1 when a check failed, 2 for a usage error.`;

const SYMBOLS = { ok: "✓", warning: "!", error: "✗", skipped: "-" };

/** @returns {{ config?: string, dev: boolean, json: boolean, timeoutMs: number, help: boolean }} */
export function parseDoctorArgs(args) {
  const options = { dev: false, json: false, timeoutMs: 10_000, help: false };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const [flag, inline] =
      arg.startsWith("--") && arg.includes("=")
        ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)]
        : [arg];
    const value = () => {
      if (inline !== undefined) return inline;
      const next = args[++i];
      if (next === undefined || next.startsWith("-")) throw new UsageError(`${flag} needs a value`);
      return next;
    };
    if (flag === "--json") options.json = true;
    else if (flag === "--dev") options.dev = true;
    else if (flag === "-h" || flag === "--help") options.help = true;
    else if (flag === "-c" || flag === "--config") options.config = value();
    else if (flag === "--timeout") {
      const seconds = Number(value());
      if (!(seconds > 0)) throw new UsageError("--timeout needs a number of seconds greater than 0");
      options.timeoutMs = seconds * 1000;
    } else throw new UsageError(`unknown option ${arg}`);
  }
  return options;
}

export class UsageError extends Error {}

/** Prints results as they come: a pending line on a terminal, replaced by the outcome. */
class Printer {
  constructor(stream, enabled) {
    this.stream = stream;
    this.enabled = enabled;
    this.tty = Boolean(stream.isTTY);
  }
  write(text) {
    if (this.enabled) this.stream.write(text);
  }
  pending(label) {
    if (this.tty) this.write(`  … ${label}`);
  }
  results(list) {
    if (this.tty) this.write("\r\x1b[2K");
    for (const result of list) {
      this.write(`  ${SYMBOLS[result.level]} ${result.message}\n`);
      if (!result.fix) continue;
      const [first, ...rest] = result.fix.split("\n");
      this.write(`      fix: ${first}\n`);
      for (const line of rest) this.write(`           ${line}\n`);
    }
  }
}

/**
 * Runs every check. `io` is for tests: env, cwd, stdout, stderr, platform, and for `--dev`
 * the Node and busybox the stand-in would be built from (nodeBinary, busybox).
 * @returns {Promise<{ code: number, results: object[] }>}
 */
export async function doctor(args, io = {}) {
  const env = io.env ?? process.env;
  const cwd = io.cwd ?? process.cwd();
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  let options;
  try {
    options = parseDoctorArgs(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    stderr.write(`workerd-containers doctor: ${error.message}\n\n${DOCTOR_HELP}\n`);
    return { code: 2, results: [] };
  }
  if (options.help) {
    stdout.write(`${DOCTOR_HELP}\n`);
    return { code: 0, results: [] };
  }

  const configPath = locateConfig(cwd, options.config);
  const projectDir = configPath ? dirname(configPath) : cwd;
  const toolchain = findToolchain(projectDir);
  const dockerEnv = env.WRANGLER_DOCKER_HOST ? { ...env, DOCKER_HOST: env.WRANGLER_DOCKER_HOST } : env;
  const ctx = {
    env,
    dockerEnv,
    cwd,
    platform: io.platform ?? process.platform,
    timeoutMs: options.timeoutMs,
    dockerBin: env.WRANGLER_DOCKER_BIN || "docker",
    configPath,
    projectDir,
    toolchain,
    devMode: options.dev,
    nodeBinary: io.nodeBinary ?? process.execPath,
    busybox: io.busybox ?? BUSYBOX,
    // devOnly: a check passed or only warned thanks to what `npx workerd-containers dev` supplies.
    state: { sidecar: findSidecarImage(toolchain, env, cwd), devOnly: false },
  };
  const target = options.dev ? "`npx workerd-containers dev`" : "`wrangler dev`";

  // With --json the report goes to stdout as JSON; the lines go to stderr, and only to a terminal.
  const printer = new Printer(options.json ? stderr : stdout, !options.json || Boolean(stderr.isTTY));
  printer.write(
    options.dev
      ? "workerd-containers doctor --dev: what `npx workerd-containers dev` needs\n"
      : "workerd-containers doctor: what `wrangler dev` with containers needs\n",
  );
  const sections = [
    ["Docker", dockerChecks],
    ["Node and wrangler", toolchainChecks],
    [`Project${configPath ? ` (${relative(cwd, configPath) || configPath})` : ""}`, projectChecks],
  ];
  const results = [];
  for (const [title, checks] of sections) {
    printer.write(`\n${title}\n`);
    for (const check of checks) {
      printer.pending(check.label);
      const outcome = await check.run(ctx);
      const list = Array.isArray(outcome) ? outcome : [outcome];
      printer.results(list);
      results.push(...list);
    }
  }

  const count = (level) => results.filter((result) => result.level === level).length;
  const failed = count("error");
  const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;
  const summary = [`${count("ok")} ok`, plural(count("warning"), "warning"), `${failed} failed`];
  if (count("skipped")) summary.push(`${count("skipped")} skipped`);
  const ready = options.dev || !ctx.state.devOnly ? target : "`npx workerd-containers dev`";
  const verdict = failed ? `not ready for ${target}; fix the ✗ lines above.` : `ready for ${ready}.`;
  printer.write(`\n${summary.join(", ")}: ${verdict}\n`);
  if (options.json) stdout.write(`${JSON.stringify(results, null, 2)}\n`);
  return { code: failed ? 1 : 0, results };
}
