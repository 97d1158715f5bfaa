// The Docker side of `wrangler dev` with containers: the CLI wrangler runs
// (build, pull), the daemon workerd talks to through its socket, buildx for
// wrangler's `docker build` flags, the default bridge's gateway (workerd binds
// its egress listener there) and the networking sidecar image.
import { accessSync, constants, existsSync, statSync } from "node:fs";
import { delimiter, isAbsolute, join } from "node:path";
import { splitImage } from "../lib/packages.mjs";
import { fail, pass, skip, warn } from "../lib/result.mjs";
import { firstLine, run } from "../lib/run.mjs";
import { STANDIN_IMAGE, staticBusybox } from "../lib/standin.mjs";

export const WANT_BIP = "172.17.0.1/16";
const WRAPPER_HINT =
  "`npx workerd-containers dev` runs wrangler dev with this package's cli/docker-wrapper.sh when needed (docs/dev.md)";

/** The executable `name` resolves to on PATH (or `name` itself when it is a path), or undefined. */
export function findOnPath(name, env, { skip: skipDir } = {}) {
  const isFile = (file) => {
    try {
      return statSync(file).isFile();
    } catch {
      return false;
    }
  };
  if (name.includes("/") || isAbsolute(name)) return isFile(name) ? name : undefined;
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    if (!dir || skipDir?.(dir)) continue;
    const file = join(dir, name);
    try {
      if (isFile(file)) {
        accessSync(file, constants.X_OK);
        return file;
      }
    } catch {
      // not executable here
    }
  }
  return undefined;
}

const docker = (ctx, args) => run(ctx.dockerBin, args, { timeoutMs: ctx.timeoutMs, env: ctx.dockerEnv });
const seconds = (ctx) => `${Math.round(ctx.timeoutMs / 100) / 10} s`;

/**
 * Whether the sidecar stand-in `npx workerd-containers dev` builds (for this package version) is present:
 * asked once, and only of a daemon that answers. Its presence shows that this machine runs dev.
 */
function standinPresent(ctx) {
  if (!ctx.state.daemon) return Promise.resolve(false);
  ctx.state.standin ??= docker(ctx, ["image", "inspect", STANDIN_IMAGE, "--format", "{{.Id}}"]).then(
    (result) => result.code === 0,
  );
  return ctx.state.standin;
}

/**
 * What dev lacks to build a stand-in that works, when it has to (the sidecar image absent and not pullable):
 * the Node it copies in, `ldd` for that Node's libraries, a static busybox for snapshot restores.
 * @returns {Promise<{ what: string, fix: string }[]>}
 */
async function standinGaps(ctx) {
  const gaps = [];
  if (!existsSync(ctx.nodeBinary)) gaps.push({ what: `this Node (${ctx.nodeBinary}) is not a file`, fix: "" });
  if (!findOnPath("ldd", ctx.env)) {
    gaps.push({
      what: "no ldd on PATH to list the libraries of this Node (the stand-in would not start)",
      fix: "Install ldd (Debian/Ubuntu: sudo apt-get install libc-bin).",
    });
  }
  if (!(await staticBusybox(ctx.env, ctx.busybox))) {
    gaps.push({
      what: `no static ${ctx.busybox}, so the stand-in cannot restore directory snapshots`,
      fix: "sudo apt-get install busybox-static",
    });
  }
  return gaps;
}

function startDaemonFix(ctx) {
  if (ctx.platform === "darwin" || ctx.platform === "win32")
    return "Start Docker Desktop and wait until it says it is running.";
  return "Start the daemon: sudo systemctl start docker   (without systemd: sudo dockerd >/var/log/dockerd.log 2>&1 &)";
}

/** Where workerd will find the daemon: wrangler's own order (WRANGLER_DOCKER_HOST, DOCKER_HOST, the docker context). */
async function resolveDockerHost(ctx) {
  const { env } = ctx;
  if (env.WRANGLER_DOCKER_HOST) return { host: env.WRANGLER_DOCKER_HOST, source: "WRANGLER_DOCKER_HOST" };
  if (env.DOCKER_HOST) return { host: env.DOCKER_HOST, source: "DOCKER_HOST" };
  const contexts = await docker(ctx, ["context", "ls", "--format", "{{json .}}"]);
  if (contexts.code === 0) {
    for (const line of contexts.stdout.split("\n")) {
      try {
        const context = JSON.parse(line);
        if (context.Current && context.DockerEndpoint) {
          return { host: context.DockerEndpoint, source: `docker context ${context.Name ?? ""}`.trim() };
        }
      } catch {
        // not a JSON line
      }
    }
  }
  const fallback = ctx.platform === "win32" ? "npipe:////./pipe/docker_engine" : "unix:///var/run/docker.sock";
  return { host: fallback, source: "default" };
}

/** What can be seen of a unix socket without talking to it. */
function socketState(host) {
  if (!host.startsWith("unix://")) return { path: undefined };
  const path = host.slice("unix://".length);
  try {
    const stat = statSync(path);
    if (!stat.isSocket()) return { path, problem: `${path} exists but is not a socket` };
  } catch {
    return { path, problem: `${path} does not exist`, missing: true };
  }
  try {
    accessSync(path, constants.R_OK | constants.W_OK);
  } catch {
    return { path, problem: `this user may not read and write ${path}`, denied: true };
  }
  return { path };
}

export const dockerChecks = [
  {
    id: "docker-cli",
    label: "Docker CLI",
    async run(ctx) {
      const viaEnv = ctx.env.WRANGLER_DOCKER_BIN ? " (WRANGLER_DOCKER_BIN)" : "";
      const path = findOnPath(ctx.dockerBin, ctx.env);
      if (!path) {
        ctx.state.dockerCli = false;
        return fail(
          "docker-cli",
          `Docker CLI: ${ctx.dockerBin} not found${viaEnv || " on PATH"}`,
          viaEnv
            ? `WRANGLER_DOCKER_BIN=${ctx.dockerBin} is not an executable file: fix the path or unset it.`
            : "Install Docker. Debian/Ubuntu: sudo apt-get install docker.io " +
                "(or Docker Engine: https://docs.docker.com/engine/install/); macOS/Windows: Docker Desktop. " +
                "A Docker-compatible CLI under another name: set WRANGLER_DOCKER_BIN to its path.",
        );
      }
      const version = await docker(ctx, ["--version"]);
      if (version.timedOut || version.code !== 0) {
        ctx.state.dockerCli = false;
        const why = version.timedOut
          ? `did not answer within ${seconds(ctx)}`
          : firstLine(version) || `exit ${version.code}`;
        return fail("docker-cli", `Docker CLI: ${path} --version fails: ${why}`, "Reinstall the Docker CLI.");
      }
      ctx.state.dockerCli = true;
      return pass("docker-cli", `Docker CLI: ${version.stdout.trim().split("\n")[0]} (${path}${viaEnv})`);
    },
  },
  {
    id: "docker-daemon",
    label: "Docker daemon",
    async run(ctx) {
      if (!ctx.state.dockerCli) return skip("docker-daemon", "Docker daemon: not checked (no Docker CLI)");
      const { host, source } = await resolveDockerHost(ctx);
      const where = `${host} (${source})`;
      const socket = socketState(host);
      const result = await docker(ctx, ["version", "--format", "{{.Server.Version}}"]);
      const output = `${result.stderr}\n${result.stdout}`;
      if (result.code === 0 && result.stdout.trim()) {
        ctx.state.daemon = true;
        ctx.state.engineVersion = result.stdout.trim().split("\n")[0];
        if (socket.denied) {
          return warn(
            "docker-daemon",
            `Docker daemon: answers the CLI, but ${socket.problem}; workerd opens ${where} itself`,
            "Give this user access to the socket: sudo usermod -aG docker $USER, then log out and in again.",
          );
        }
        return pass("docker-daemon", `Docker daemon: answers on ${where}`);
      }
      ctx.state.daemon = false;
      if (result.timedOut) {
        return fail(
          "docker-daemon",
          `Docker daemon: no answer within ${seconds(ctx)} on ${where}`,
          ctx.platform === "linux"
            ? "The daemon is hung or still starting. Look at: sudo systemctl status docker, and its log: " +
                "sudo journalctl -u docker --since -10min; restart it if it stays stuck: sudo systemctl restart docker"
            : "The daemon is hung or still starting: restart Docker Desktop.",
        );
      }
      if (/permission denied/i.test(output) || socket.denied) {
        return fail(
          "docker-daemon",
          `Docker daemon: permission denied on ${socket.path ?? host} (${source})`,
          "Let this user use the Docker socket: sudo usermod -aG docker $USER, then log out and back in " +
            "(or run: newgrp docker). Or run wrangler dev as a user that may use Docker.",
        );
      }
      const envHint = ctx.env.DOCKER_HOST || ctx.env.WRANGLER_DOCKER_HOST;
      const hostHint = envHint
        ? `, or point ${source} at the socket of a daemon that runs (now ${host})`
        : socket.missing
          ? "; if your daemon listens elsewhere (rootless Docker: unix://$XDG_RUNTIME_DIR/docker.sock), " +
            "set DOCKER_HOST to it"
          : "";
      const detail = socket.problem ?? firstLine(result) ?? "";
      return fail(
        "docker-daemon",
        `Docker daemon: not reachable at ${where}${detail ? `: ${detail}` : ""}`,
        startDaemonFix(ctx) + hostHint,
      );
    },
  },
  {
    id: "docker-engine",
    label: "Docker Engine version",
    async run(ctx) {
      if (!ctx.state.daemon) return skip("docker-engine", "Docker Engine version: not checked (no daemon)");
      const version = ctx.state.engineVersion;
      const [major = Number.NaN, minor = Number.NaN] = version.split(".").map((part) => Number.parseInt(part, 10));
      if (Number.isNaN(major) || Number.isNaN(minor) || major < 20 || (major === 20 && minor < 10)) {
        return warn(
          "docker-engine",
          `Docker Engine ${version}: older than 20.10, or not Docker Engine; ` +
            "wrangler dev with containers is untested there",
          "Upgrade to Docker Engine 20.10 or later.",
        );
      }
      return pass("docker-engine", `Docker Engine ${version}`);
    },
  },
  {
    id: "docker-buildx",
    label: "docker buildx",
    async run(ctx) {
      if (!ctx.state.dockerCli) return skip("docker-buildx", "buildx: not checked (no Docker CLI)");
      const result = await docker(ctx, ["buildx", "version"]);
      if (result.code === 0) return pass("docker-buildx", `buildx: ${result.stdout.trim().split("\n")[0]}`);
      const timeout = result.timedOut ? ` (no answer within ${seconds(ctx)})` : "";
      const install =
        "install buildx: sudo apt-get install docker-buildx (Debian/Ubuntu; Docker's own packages: " +
        "docker-buildx-plugin),\nor docker-buildx from https://github.com/docker/buildx/releases " +
        "to ~/.docker/cli-plugins/docker-buildx, chmod +x.";
      // dev's wrapper builds without buildx: a warning for `--dev`, or where dev's stand-in shows dev is in use.
      const viaDev = (why) => {
        ctx.state.devOnly = true;
        return warn(
          "docker-buildx",
          `buildx: not installed${timeout}; plain \`wrangler dev\` needs it, ` +
            `\`npx workerd-containers dev\` wraps docker for it${why}`,
          `For plain wrangler dev, ${install}`,
        );
      };
      if (ctx.devMode) return viaDev("");
      if (ctx.env.WRANGLER_DOCKER_BIN) {
        return warn(
          "docker-buildx",
          `buildx: not installed; WRANGLER_DOCKER_BIN=${ctx.env.WRANGLER_DOCKER_BIN} is set, ` +
            "so doctor assumes it builds without buildx",
          `If it does not, ${install}`,
        );
      }
      if (await standinPresent(ctx)) return viaDev(" (dev's sidecar stand-in is here)");
      return fail(
        "docker-buildx",
        `buildx: not installed${timeout}; wrangler builds images with ` +
          "`docker build --load --provenance=false`, flags only buildx knows",
        "No install: `npx workerd-containers dev` instead of `wrangler dev` wraps docker to build without " +
          `buildx (docs/dev.md).\nOr ${install}`,
      );
    },
  },
  {
    id: "docker-bridge",
    label: "default bridge gateway",
    async run(ctx) {
      if (!ctx.state.daemon) return skip("docker-bridge", "bridge network: not checked (no daemon)");
      const result = await docker(ctx, ["network", "inspect", "bridge", "--format", "{{json .IPAM.Config}}"]);
      const bipFix = [
        `Add "bip": "${WANT_BIP}" to /etc/docker/daemon.json ` +
          `(keep the keys already there; a new file is {"bip": "${WANT_BIP}"}),`,
        ctx.platform === "linux"
          ? "then restart the daemon: sudo systemctl restart docker   (this stops the running containers)"
          : 'then restart Docker (Docker Desktop: Settings → Docker Engine, add "bip" there, Apply & restart).',
      ].join("\n");
      if (result.timedOut) {
        return fail(
          "docker-bridge",
          `bridge network: docker network inspect bridge gave no answer within ${seconds(ctx)}`,
        );
      }
      if (result.code !== 0) {
        const why = firstLine(result);
        if (/no such network|not found/i.test(why)) {
          return fail(
            "docker-bridge",
            "bridge network: the daemon has no default bridge network; workerd attaches containers to it",
            'Remove "bridge": "none" from /etc/docker/daemon.json (if there) and restart the daemon.',
          );
        }
        return fail("docker-bridge", `bridge network: docker network inspect bridge fails: ${why}`);
      }
      let configs;
      try {
        configs = JSON.parse(result.stdout.trim() || "[]");
      } catch {
        return fail(
          "docker-bridge",
          `bridge network: unexpected answer from docker network inspect: ${firstLine(result)}`,
        );
      }
      const gateway = (Array.isArray(configs) ? configs : []).map((config) => config?.Gateway).find(Boolean);
      if (gateway) return pass("docker-bridge", `bridge network: gateway ${gateway}`);
      return fail(
        "docker-bridge",
        "bridge network: the default bridge has no gateway in its IPAM config; workerd binds its egress " +
          "listener there, so every container start fails (DNS lookup failed. host = ;)",
        bipFix,
      );
    },
  },
  {
    id: "sidecar-image",
    label: "networking sidecar image",
    async run(ctx) {
      const wanted = ctx.state.sidecar;
      if (!wanted) {
        return skip("sidecar-image", "sidecar image: not checked (no wrangler/miniflare installed to say which image)");
      }
      const { nameTag, digest } = splitImage(wanted.image);
      const shown = `${nameTag}${digest ? ` (${digest.slice(0, 19)}…)` : ""}`;
      const named = `sidecar image ${shown}, from ${wanted.source}`;
      if (!ctx.state.daemon) return skip("sidecar-image", `${named}: not checked (no daemon)`);
      const inspect = (ref) => docker(ctx, ["image", "inspect", ref, "--format", "{{json .RepoDigests}}"]);
      let result = await inspect(wanted.image);
      let exact = true;
      if (result.code !== 0 && !result.timedOut && digest) {
        result = await inspect(nameTag);
        exact = false;
      }
      if (result.timedOut) {
        return fail("sidecar-image", `${named}: docker image inspect gave no answer within ${seconds(ctx)}`);
      }
      if (result.code !== 0) {
        const absent = `${named}: not present locally`;
        if (await standinPresent(ctx)) {
          ctx.state.devOnly = true;
          return pass(
            "sidecar-image",
            `${absent}; stand-in ${STANDIN_IMAGE} present; \`npx workerd-containers dev\` points wrangler at it`,
          );
        }
        const pull = `docker pull ${wanted.image}`;
        if (ctx.devMode) {
          const gaps = await standinGaps(ctx);
          const standIn = "dev pulls it at start or, without a registry, builds a stand-in";
          if (gaps.length === 0) {
            return pass("sidecar-image", `${absent}; ${standIn} (this Node, ldd, static ${ctx.busybox})`);
          }
          return warn(
            "sidecar-image",
            `${absent}; ${standIn}, but ${gaps.map((gap) => gap.what).join("; ")}`,
            [...gaps.map((gap) => gap.fix).filter(Boolean), `Or pull the image now: ${pull}`].join("\n"),
          );
        }
        return warn(
          "sidecar-image",
          `${absent}; wrangler dev runs \`docker pull\` of it at start, which needs its registry (Docker Hub)`,
          `Pull it now: ${pull}\nNo registry: \`npx workerd-containers dev\` instead of \`wrangler dev\` ` +
            "builds a local stand-in and points wrangler at it (docs/dev.md).",
        );
      }
      let repoDigests = [];
      try {
        repoDigests = JSON.parse(result.stdout.trim() || "[]") ?? [];
      } catch {
        // an older CLI's format; treat as pulled
        repoDigests = [""];
      }
      const note = exact ? "" : ` (as ${nameTag}; digest ${digest?.slice(0, 19)}… not matched)`;
      if (repoDigests.length === 0 && ctx.devMode) {
        return pass(
          "sidecar-image",
          `${named}: present${note}, built locally; dev's docker wrapper answers wrangler's \`docker pull\` of it`,
        );
      }
      if (repoDigests.length === 0 && !ctx.env.WRANGLER_DOCKER_BIN) {
        return warn(
          "sidecar-image",
          `${named}: present${note}, built locally; wrangler dev still runs \`docker pull ${nameTag}\` ` +
            "at every start, which fails for an image no registry has",
          "Set WRANGLER_DOCKER_BIN to a wrapper that treats the pull of an image present locally as done; " +
            `${WRAPPER_HINT}.`,
        );
      }
      if (!exact) {
        return warn("sidecar-image", `${named}: present${note}`, `docker pull ${wanted.image} gets the exact image.`);
      }
      return pass("sidecar-image", `${named}: present`);
    },
  },
];
