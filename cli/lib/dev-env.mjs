// What `workerd-containers dev` and startDev() add to `wrangler dev` on a
// machine without buildx or without a registry, each step only when it is
// needed: the docker CLI wrapper (cli/docker-wrapper.sh as
// WRANGLER_DOCKER_BIN) and a local stand-in for the networking sidecar image
// (MINIFLARE_CONTAINER_EGRESS_IMAGE). Also: finding the project's wrangler and
// the worker names wrangler will run, which name the containers of a session.
import {
  accessSync,
  chmodSync,
  constants,
  copyFileSync,
  existsSync,
  mkdtempSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { findOnPath } from "../checks/docker.mjs";
import { locateConfig, readConfig } from "../checks/project.mjs";
import { findPackageDir, findSidecarImage, findToolchain, readManifest, splitImage } from "./packages.mjs";
import { fillNodeRootfs, lddLibraries } from "./rootfs.mjs";
import { firstLine, run } from "./run.mjs";
import { PACKAGE_VERSION, STANDIN_IMAGE, staticBusybox } from "./standin.mjs";

export { PACKAGE_VERSION, STANDIN_IMAGE };

const CLI_DIR = join(dirname(fileURLToPath(import.meta.url)), "..");
export const WRAPPER = join(CLI_DIR, "docker-wrapper.sh");
export const SIDECAR_SOURCE = join(CLI_DIR, "sidecar");

/**
 * The wrangler arguments dev needs to know about: every `--config`, `--name`, `--env`.
 * @param {string[]} args
 */
export function wranglerArgsOf(args) {
  const found = { configs: [], name: undefined, envName: undefined };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") break;
    const eq = arg.startsWith("--") ? arg.indexOf("=") : -1;
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const value = () => (eq > 0 ? arg.slice(eq + 1) : args[++i]);
    if (flag === "-c" || flag === "--config") found.configs.push(value());
    else if (flag === "--name") found.name = value();
    else if (flag === "-e" || flag === "--env") found.envName = value();
  }
  return found;
}

/**
 * The configurations wrangler will read and, from them, the worker names
 * (`--name`, else the environment's name, else `<name>-<env>`, else `name`)
 * and whether any of them declares containers. `error` when one cannot be read.
 * @param {string} cwd
 * @param {string[]} wranglerArgs
 */
export function readProject(cwd, wranglerArgs) {
  const { configs, name, envName } = wranglerArgsOf(wranglerArgs);
  const files = configs.length ? configs.map((file) => resolve(cwd, file)) : [locateConfig(cwd)].filter(Boolean);
  const project = { files, workerNames: [], hasContainers: false, error: undefined };
  for (const [index, file] of files.entries()) {
    let config;
    try {
      config = readConfig(file);
    } catch (error) {
      project.error = `${relative(cwd, file) || file}: ${error.code === "ENOENT" ? "not found" : error.message}`;
      continue;
    }
    const env = envName ? config.env?.[envName] : undefined;
    const workerName =
      index === 0 && name ? name : (env?.name ?? (envName && config.name ? `${config.name}-${envName}` : config.name));
    if (workerName) project.workerNames.push(String(workerName));
    const containers = env?.containers ?? config.containers;
    if (Array.isArray(containers) && containers.length > 0) project.hasContainers = true;
  }
  return project;
}

/**
 * The command that starts the project's own wrangler: `node <wrangler's bin>`
 * with this Node, else node_modules/.bin/wrangler; undefined when not installed.
 * @param {string} projectDir
 * @returns {{ command: string, args: string[], version?: string, shown: string } | undefined}
 */
export function findWrangler(projectDir) {
  const dir = findPackageDir("wrangler", projectDir);
  const manifest = dir ? readManifest(dir) : undefined;
  const bin = typeof manifest?.bin === "string" ? manifest.bin : manifest?.bin?.wrangler;
  if (dir && bin && existsSync(join(dir, bin))) {
    const script = join(dir, bin);
    return { command: process.execPath, args: [script], version: manifest.version, shown: relative(projectDir, dir) };
  }
  for (let at = projectDir; ; at = dirname(at)) {
    const shim = join(at, "node_modules/.bin/wrangler");
    if (existsSync(shim))
      return { command: shim, args: [], version: manifest?.version, shown: relative(projectDir, shim) };
    if (dirname(at) === at) return undefined;
  }
}

/**
 * cli/docker-wrapper.sh, executable: wrangler runs WRANGLER_DOCKER_BIN directly. An install that lost
 * the executable bit gets it back, or, read-only, an executable copy in the temporary folder.
 */
function executableWrapper() {
  try {
    accessSync(WRAPPER, constants.X_OK);
    return WRAPPER;
  } catch {
    try {
      chmodSync(WRAPPER, 0o755);
      return WRAPPER;
    } catch {
      const copy = join(mkdtempSync(join(tmpdir(), "workerd-containers-")), "docker-wrapper.sh");
      copyFileSync(WRAPPER, copy);
      chmodSync(copy, 0o755);
      return copy;
    }
  }
}

/** The environment for the docker commands dev runs itself: the daemon wrangler and workerd use. */
export function dockerEnvOf(env) {
  return env.WRANGLER_DOCKER_HOST ? { ...env, DOCKER_HOST: env.WRANGLER_DOCKER_HOST } : env;
}

/**
 * Whether `image` is present locally; `local` when no registry knows it (built here).
 * A digest reference that only matches by tag counts as present.
 */
async function inspectImage(docker, image) {
  const { nameTag, digest } = splitImage(image);
  for (const ref of digest ? [image, nameTag] : [image]) {
    const result = await docker(["image", "inspect", ref, "--format", "{{json .RepoDigests}}"]);
    if (result.timedOut) return { present: false, timedOut: true };
    if (result.code !== 0) continue;
    let repoDigests = [""];
    try {
      repoDigests = JSON.parse(result.stdout.trim() || "[]") ?? [];
    } catch {
      // an older CLI's format: treat it as pulled
    }
    return { present: true, local: repoDigests.length === 0, exact: ref === image };
  }
  return { present: false };
}

/** Shared libraries (and the loader) `ldd` lists for `binary`; none for a static binary or without ldd. */
async function sharedLibraries(binary, env) {
  const result = await run("ldd", [binary], { timeoutMs: 10_000, env });
  return result.code === 0 ? lddLibraries(result.stdout) : [];
}

/**
 * Builds the sidecar stand-in image `tag`: this Node (process.execPath) and the
 * libraries ldd lists, plus cli/sidecar/, on `FROM scratch`. No registry needed.
 * @returns {Promise<{ ok: boolean, detail: string }>}
 */
export async function buildStandin({ docker, tag, classicBuilder, env, nodeBinary = process.execPath }) {
  const context = mkdtempSync(join(tmpdir(), "workerd-containers-standin-"));
  try {
    const libraries = await sharedLibraries(nodeBinary, env);
    const files = ["sidecar.mjs", "test-ca.pem"].map((file) => [join(SIDECAR_SOURCE, file), `/sidecar/${file}`]);
    // workerd also runs this image as its snapshot-clone helper, which restores directory
    // snapshots with /bin/cp: a static busybox (Debian's busybox-static) provides it.
    const busybox = await staticBusybox(env);
    if (busybox) files.push([busybox, "/bin/busybox"]);
    fillNodeRootfs(join(context, "rootfs"), { node: nodeBinary, libraries, files });
    writeFileSync(
      join(context, "Dockerfile"),
      [
        "# Built by `workerd-containers dev`: a stand-in for workerd's networking sidecar.",
        "FROM scratch",
        "COPY rootfs/ /",
        ...(busybox ? ['RUN ["/bin/busybox", "--install", "-s", "/bin"]'] : []),
        "ENV PATH=/usr/local/bin",
        `LABEL dev.workerd-containers.standin="${PACKAGE_VERSION}"`,
        'ENTRYPOINT ["/usr/local/bin/node", "/sidecar/sidecar.mjs"]',
        "",
      ].join("\n"),
    );
    const started = Date.now();
    const result = await docker(["build", "-q", "-t", tag, context], {
      timeoutMs: 300_000,
      env: classicBuilder ? { DOCKER_BUILDKIT: "0" } : {},
    });
    if (result.code !== 0) {
      const why = result.timedOut ? "no answer within 300 s" : firstLine(result) || `exit ${result.code}`;
      return { ok: false, detail: `docker build failed: ${why}` };
    }
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    return {
      ok: true,
      detail:
        `built in ${seconds} s from ${nodeBinary} (${process.version}, ${libraries.length} libraries from ldd)` +
        (busybox ? ", with busybox" : "; no static busybox, so local directory-snapshot restores will fail"),
    };
  } finally {
    rmSync(context, { recursive: true, force: true });
  }
}

/**
 * Detects what this machine lacks for `wrangler dev` with containers and
 * prepares it, reporting one line per step through `say` as it goes.
 * Returns the variables to add to wrangler's environment; `failed` when
 * wrangler cannot work (the reason was reported).
 * @param {{ env: NodeJS.ProcessEnv, projectDir: string, project: ReturnType<typeof readProject>,
 *   offline?: boolean, pullTimeoutMs?: number, timeoutMs?: number, say: (line: string) => void }} options
 * @returns {Promise<{ env: Record<string, string>, failed?: boolean, noContainers?: boolean, dockerBin: string }>}
 */
export async function prepareDev({
  env,
  projectDir,
  project,
  offline = false,
  pullTimeoutMs = 60_000,
  timeoutMs,
  say,
}) {
  const added = {};
  const userDocker = env.WRANGLER_DOCKER_BIN || "docker";
  const dockerBin = findOnPath(userDocker, env) ?? userDocker;
  const dockerEnv = dockerEnvOf(env);
  const docker = (args, options = {}) =>
    run(dockerBin, args, {
      timeoutMs: options.timeoutMs ?? timeoutMs ?? 15_000,
      env: { ...dockerEnv, ...options.env },
    });
  if (project.error) say(`config: ${project.error} (wrangler will say more)`);
  if (project.files.length && !project.error && !project.hasContainers) {
    say("containers: none in the configuration; nothing to prepare");
    return { env: added, dockerBin, noContainers: true };
  }

  const version = await docker(["version", "--format", "{{.Server.Version}}"]);
  if (version.code !== 0 || !version.stdout.trim()) {
    const why = version.timedOut ? "no answer" : firstLine(version) || `exit ${version.code}`;
    say(`docker: the daemon does not answer (${why}); \`npx workerd-containers doctor\` says what to do`);
    return { env: added, dockerBin, failed: true };
  }
  say(`docker: Docker Engine ${version.stdout.trim()} (${dockerBin})`);

  const buildx = await docker(["buildx", "version"]);
  const noBuildx = buildx.code !== 0;
  if (noBuildx) {
    say("buildx: not installed; the docker wrapper drops --load/--provenance and builds with the classic builder");
  } else say(`buildx: ${buildx.stdout.trim().split("\n")[0]}`);

  let skipPull = false;
  const toolchain = findToolchain(projectDir);
  const wanted = findSidecarImage(toolchain, env, projectDir);
  if (!wanted) {
    say("sidecar image: unknown (no miniflare installed to name it); left to wrangler");
  } else {
    const { nameTag, digest } = splitImage(wanted.image);
    const shown = `${nameTag}${digest ? ` (${digest.slice(0, 19)}…)` : ""}`;
    const found = await inspectImage(docker, wanted.image);
    let useStandin = false;
    if (found.present) {
      skipPull = found.local || offline;
      const how = found.local ? "built locally" : found.exact ? "pulled" : "pulled, tag matches but not the digest";
      say(
        `sidecar image ${shown}: present (${how})` +
          (skipPull ? "; the docker wrapper answers wrangler's `docker pull` of it from the local copy" : ""),
      );
    } else if (offline) {
      say(`sidecar image ${shown}: not present; --offline: not pulling it`);
      useStandin = true;
    } else {
      say(`sidecar image ${shown}: not present; docker pull (at most ${Math.round(pullTimeoutMs / 1000)} s)`);
      const pulled = await docker(["pull", wanted.image], { timeoutMs: pullTimeoutMs });
      if (pulled.code === 0) say(`sidecar image ${shown}: pulled`);
      else {
        const why = pulled.timedOut ? "timed out" : firstLine(pulled) || `exit ${pulled.code}`;
        say(`sidecar image ${shown}: cannot be pulled (${why})`);
        useStandin = true;
      }
    }
    if (useStandin) {
      const standin = await inspectImage(docker, STANDIN_IMAGE);
      if (standin.present) say(`sidecar stand-in ${STANDIN_IMAGE}: present`);
      else {
        const built = await buildStandin({ docker, tag: STANDIN_IMAGE, classicBuilder: noBuildx, env });
        if (!built.ok) {
          say(`sidecar stand-in ${STANDIN_IMAGE}: ${built.detail}`);
          return { env: added, dockerBin, failed: true };
        }
        say(`sidecar stand-in ${STANDIN_IMAGE}: ${built.detail}`);
      }
      added.MINIFLARE_CONTAINER_EGRESS_IMAGE = STANDIN_IMAGE;
      skipPull = true;
      const replaced = wanted.source === "MINIFLARE_CONTAINER_EGRESS_IMAGE" ? ` (instead of ${wanted.image})` : "";
      say(`MINIFLARE_CONTAINER_EGRESS_IMAGE=${STANDIN_IMAGE}${replaced}`);
    }
  }

  if (noBuildx || skipPull) {
    added.WRANGLER_DOCKER_BIN = executableWrapper();
    added.WORKERD_CONTAINERS_DOCKER = dockerBin;
    if (noBuildx) added.WORKERD_CONTAINERS_NO_BUILDX = "1";
    if (skipPull) added.WORKERD_CONTAINERS_SKIP_PULL = "1";
    const what = [noBuildx && "builds without buildx", skipPull && "skips pulls of local images"].filter(Boolean);
    say(`WRANGLER_DOCKER_BIN=${added.WRANGLER_DOCKER_BIN} (${what.join(", ")}; then runs ${dockerBin})`);
  }
  return { env: added, dockerBin };
}
