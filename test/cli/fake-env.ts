// Fake machines and projects for the doctor tests: a folder of stub commands
// (docker, node) used as the whole PATH, and a temporary project with a
// Wrangler configuration, Worker code and a fake node_modules.
import { spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll } from "vitest";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../..");
export const BIN = join(ROOT, "bin/workerd-containers.mjs");
export const SIDECAR =
  "cloudflare/proxy-everything:abc1234@sha256:1111111111111111111111111111111111111111111111111111111111111111";
const SLEEP = ["/bin/sleep", "/usr/bin/sleep"].find((file) => existsSync(file)) ?? "sleep";

const temps: string[] = [];
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

export function tempDir(prefix = "wc-doctor-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  temps.push(dir);
  return dir;
}

/** Writes files (path → content) under `dir`, creating folders. */
export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
}

function writeScript(file: string, body: string): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
}

export interface DockerBehaviour {
  /** false: no docker on PATH at all. */
  cli?: boolean;
  /** The engine version the daemon reports, or how it fails. */
  server?: string | "down" | "denied" | "hang";
  buildx?: boolean;
  /** `docker network inspect bridge --format {{json .IPAM.Config}}` output, or "missing" (no such network). */
  bridge?: string;
  /** Images present: reference → RepoDigests JSON. */
  images?: Record<string, string>;
}

export interface Machine {
  /** The stub folder: PATH for doctor. */
  bin: string;
  /** Every docker invocation, one line of arguments each. */
  dockerCalls(): string[];
  env: Record<string, string>;
}

/** Shell: print `message` to stderr and exit 1. */
const fails = (message: string) => `echo "${message}" >&2; exit 1`;

const GOOD_BRIDGE = '[{"Subnet":"172.17.0.0/16","Gateway":"172.17.0.1"}]';

/** A PATH of stubs: docker (unless cli: false) and node (nodeVersion). */
export function fakeMachine(docker: DockerBehaviour = {}, nodeVersion = "v22.12.0"): Machine {
  const home = tempDir("wc-doctor-machine-");
  const bin = join(home, "bin");
  const log = join(home, "docker-calls.log");
  mkdirSync(bin, { recursive: true });
  writeScript(join(bin, "node"), `echo ${nodeVersion}`);
  const { cli = true, server = "24.0.7", buildx = true, bridge = GOOD_BRIDGE, images = {} } = docker;
  if (cli) {
    const serverCase =
      {
        down: fails(
          "Cannot connect to the Docker daemon at unix:///nowhere/docker.sock. Is the docker daemon running?",
        ),
        denied: fails(
          "permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock: " +
            "dial unix /var/run/docker.sock: connect: permission denied",
        ),
        hang: `exec ${SLEEP} 30`,
      }[server] ?? `echo ${server}; exit 0`;
    const buildxCase = buildx
      ? 'echo "github.com/docker/buildx v0.12.1 30feaa1"; exit 0'
      : fails("docker: 'buildx' is not a docker command.");
    const bridgeCase = bridge === "missing" ? fails("Error: No such network: bridge") : `echo '${bridge}'; exit 0`;
    const imageCases = Object.entries(images)
      .map(([ref, digests]) => `    '${ref}') echo '${digests}'; exit 0 ;;`)
      .join("\n");
    writeScript(
      join(bin, "docker"),
      `echo "$*" >> '${log}'
case "$1" in
  --version) echo "Docker version 24.0.7, build afdd53b"; exit 0 ;;
  context) exit 1 ;;
  buildx) ${buildxCase} ;;
  version) ${serverCase} ;;
  network) ${bridgeCase} ;;
  image)
    case "$3" in
${imageCases}
    *) echo "Error: No such image: $3" >&2; exit 1 ;;
    esac ;;
esac
echo "stub docker: unexpected arguments: $*" >&2
exit 64`,
    );
  }
  return {
    bin,
    dockerCalls: () => (existsSync(log) ? readFileSync(log, "utf8").split("\n").filter(Boolean) : []),
    // An address of its own, so that nothing of the real machine's Docker leaks in.
    env: { PATH: bin, HOME: home, DOCKER_HOST: "tcp://fake-docker.invalid:2375" },
  };
}

/**
 * Adds a stub `ldd` to the machine's PATH: a file whose path contains "static" is "not a dynamic
 * executable" (as ldd says of a static busybox), any other lists libc.
 */
export function addLdd(machine: Machine): void {
  writeScript(
    join(machine.bin, "ldd"),
    `case "$1" in
  *static*) printf '\\tnot a dynamic executable\\n' >&2; exit 1 ;;
esac
printf '\\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f0000000000)\\n'`,
  );
}

export interface ProjectOptions {
  /** Files of the project (relative path → content); the defaults below are a valid project. */
  files?: Record<string, string | null>;
  wrangler?: string | false;
  miniflare?: string;
  workerd?: string;
  /** Whether workerd's platform package is installed. */
  platformBinary?: boolean;
  sidecar?: string;
}

export const GOOD_CONFIG = `// A project as a user writes it: comments and trailing commas.
{
  "name": "doctor-fixture",
  "main": "src/index.ts", /* the Worker */
  "compatibility_date": "2026-11-01",
  "containers": [
    { "class_name": "MyContainer", "image": "./Dockerfile", "max_instances": 2, },
  ],
  "durable_objects": { "bindings": [{ "name": "MY", "class_name": "MyContainer" }] },
  "migrations": [{ "tag": "v1", "new_sqlite_classes": ["MyContainer"] }],
}
`;

export const GOOD_MAIN = `import { Container, getContainer } from "workerd-containers";
// class Fake extends Other {} (a comment: not a declaration)
export class MyContainer extends Container<Env> {
  override defaultPort = 8080;
}
export default { fetch: (request: Request, env: Env) => getContainer(env.MY).fetch(request) };
`;

function platformPackage(): string {
  const os = process.platform === "win32" ? "windows" : process.platform;
  return `@cloudflare/workerd-${os}-${process.arch === "x64" ? "64" : process.arch}`;
}

/** A project folder: wrangler.jsonc, src/index.ts, Dockerfile and node_modules with wrangler 4. */
export function fakeProject(options: ProjectOptions = {}): string {
  const dir = tempDir("wc-doctor-project-");
  const files: Record<string, string | null> = {
    "wrangler.jsonc": GOOD_CONFIG,
    "src/index.ts": GOOD_MAIN,
    Dockerfile: "FROM scratch\n",
    ...options.files,
  };
  writeFiles(
    dir,
    Object.fromEntries(Object.entries(files).filter((entry): entry is [string, string] => entry[1] !== null)),
  );
  const { wrangler = "4.164.0", miniflare = "5.20261117.0-beta", workerd = "1.20261117.1" } = options;
  if (wrangler) {
    const w = "node_modules/wrangler";
    // The line as miniflare's bundle has it.
    const bundle = `var DEFAULT_CONTAINER_EGRESS_INTERCEPTOR_IMAGE = "${options.sidecar ?? SIDECAR}";\n`;
    writeFiles(dir, {
      [`${w}/package.json`]: JSON.stringify({ name: "wrangler", version: wrangler, engines: { node: ">=22.12.0" } }),
      [`${w}/node_modules/miniflare/package.json`]: JSON.stringify({ name: "miniflare", version: miniflare }),
      [`${w}/node_modules/miniflare/dist/src/index.js`]: bundle,
      [`${w}/node_modules/workerd/package.json`]: JSON.stringify({ name: "workerd", version: workerd }),
      ...(options.platformBinary === false
        ? {}
        : { [`${w}/node_modules/${platformPackage()}/package.json`]: JSON.stringify({ name: platformPackage() }) }),
    });
  }
  return dir;
}

export interface DoctorRun {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
  /** The lines that start with a check symbol, trimmed. */
  lines: string[];
}

/** Runs `node bin/workerd-containers.mjs <args>` in `cwd` with exactly `env`. */
export function runCli(args: string[], { cwd, env }: { cwd: string; env: Record<string, string> }): Promise<DoctorRun> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) => {
      const lines = stdout
        .split("\n")
        .map((line) => line.trim())
        .filter((line) => /^[✓✗!-] /.test(line));
      resolve({ code, stdout, stderr, ms: Date.now() - started, lines });
    });
  });
}

/** doctor on a fake machine and project; `--json` output parsed when asked for. */
export async function runDoctor(
  machine: Machine,
  project: string,
  args: string[] = [],
  extraEnv: Record<string, string> = {},
): Promise<DoctorRun & { results: any[] }> {
  const run = await runCli(["doctor", ...args], { cwd: project, env: { ...machine.env, ...extraEnv } });
  const results = args.includes("--json") ? JSON.parse(run.stdout) : [];
  return { ...run, results };
}

/** The result with `id` from a --json run. */
export function result(results: any[], id: string): any {
  const found = results.find((entry) => entry.id === id);
  if (!found) throw new Error(`no result ${id} in ${results.map((entry) => entry.id).join(", ")}`);
  return found;
}

/** The one printed line that contains `text`. */
export function line(run: DoctorRun, text: string): string {
  const found = run.lines.filter((entry) => entry.includes(text));
  if (found.length !== 1) throw new Error(`expected one line with ${JSON.stringify(text)}, got:\n${run.stdout}`);
  return found[0]!;
}
