// `workerd-containers dev` against a stub docker and a stub wrangler: the
// docker wrapper's flag rewriting and pull skipping (cli/docker-wrapper.sh),
// what dev decides for buildx present or absent and a sidecar image present,
// pullable, unpullable or hung, the sidecar stand-in's build context, and
// stopping: the signal reaches wrangler, only this session's containers go.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
// @ts-expect-error plain JavaScript module of the command-line tool
import { parseDevArgs } from "../../cli/dev.mjs";
// @ts-expect-error plain JavaScript module of the command-line tool
import { readProject, STANDIN_IMAGE, WRAPPER, wranglerArgsOf } from "../../cli/lib/dev-env.mjs";
// @ts-expect-error plain JavaScript module of the command-line tool
import { parsePs, SessionTracker } from "../../cli/lib/sessions.mjs";
import { BIN, fakeProject, ROOT, runCli, SIDECAR, tempDir, writeFiles } from "./fake-env";

const VERSION = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version;

/** The key the stub docker files an image reference under. */
const key = (ref: string) => ref.replace(/[/:@]/g, "_");

interface StubDocker {
  bin: string;
  state: string;
  /** Each call's arguments as <arg><arg>…, plus DOCKER_BUILDKIT when set. */
  calls(): string[];
  removed(): string[];
  addImage(ref: string, repoDigests?: string): void;
  env: Record<string, string>;
}

/** A stub docker: buildx present or not, pull ok / fail / hang, images in a folder, `ps` from a file. */
function stubDocker({ buildx = true, pull = "fail" }: { buildx?: boolean; pull?: "ok" | "fail" | "hang" } = {}) {
  const home = tempDir("wc-dev-machine-");
  const bin = join(home, "bin");
  const state = join(home, "state");
  mkdirSync(join(state, "images"), { recursive: true });
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(state, "ps"), "");
  if (buildx) writeFileSync(join(state, "buildx"), "");
  writeFileSync(join(state, "pull"), pull);
  const script = `#!/bin/sh
S='${state}'
{
  for a in "$@"; do printf '<%s>' "$a"; done
  [ -n "$DOCKER_BUILDKIT" ] && printf ' BUILDKIT=%s' "$DOCKER_BUILDKIT"
  echo
} >> "$S/calls.log"
keyof() { printf '%s' "$1" | sed 's/[/:@]/_/g'; }
case "$1" in
  version) echo 20.10.24; exit 0 ;;
  buildx)
    if [ -f "$S/buildx" ]; then echo "github.com/docker/buildx v0.12.1 30feaa1"; exit 0; fi
    echo "docker: 'buildx' is not a docker command." >&2; exit 1 ;;
  image)
    f="$S/images/$(keyof "$3")"
    if [ -f "$f" ]; then cat "$f"; exit 0; fi
    echo "Error: No such image: $3" >&2; exit 1 ;;
  pull)
    case "$(cat "$S/pull")" in
      ok) echo '["pulled@sha256:1"]' > "$S/images/$(keyof "$2")"; echo "Status: Downloaded"; exit 0 ;;
      hang) exec sleep 30 ;;
    esac
    echo "Error response from daemon: Get https://registry-1.docker.io/v2/: dial tcp: lookup registry-1.docker.io: \\
no such host" >&2
    exit 1 ;;
  build)
    for last in "$@"; do :; done
    (cd "$last" && find . | sort) > "$S/build-context.txt"
    cp "$last/Dockerfile" "$S/build-Dockerfile"
    tag=""; prev=""
    for a in "$@"; do [ "$prev" = "-t" ] && tag="$a"; prev="$a"; done
    echo '[]' > "$S/images/$(keyof "$tag")"
    echo "sha256:0123"; exit 0 ;;
  ps) cat "$S/ps"; exit 0 ;;
  rm) echo "$3" >> "$S/removed"; exit 0 ;;
  exit-with) exit "$2" ;;
esac
echo "stub docker: $*"
exit 0
`;
  writeFileSync(join(bin, "docker"), script, { mode: 0o755 });
  const lines = (file: string) =>
    existsSync(join(state, file)) ? readFileSync(join(state, file), "utf8").split("\n").filter(Boolean) : [];
  const docker: StubDocker = {
    bin,
    state,
    calls: () => lines("calls.log"),
    removed: () => lines("removed"),
    addImage: (ref, repoDigests = '["cloudflare/proxy-everything@sha256:1111"]') =>
      writeFileSync(join(state, "images", key(ref)), `${repoDigests}\n`),
    // The stub first on PATH; a daemon address of its own so the real Docker is never reached.
    env: { PATH: `${bin}:/usr/bin:/bin`, HOME: home, DOCKER_HOST: "tcp://fake-docker.invalid:2375" },
  };
  return docker;
}

/** A stub wrangler (run with this Node): records its arguments and environment, then exits or serves. */
function stubWrangler(): { file: string; report(): { argv: string[]; env: Record<string, string> } } {
  const dir = tempDir("wc-dev-wrangler-");
  const file = join(dir, "wrangler.mjs");
  writeFileSync(
    file,
    `import { appendFileSync, writeFileSync } from "node:fs";
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) =>
  /^(WRANGLER_DOCKER_BIN|MINIFLARE_CONTAINER_EGRESS_IMAGE|WORKERD_CONTAINERS_)/.test(k)));
writeFileSync(${JSON.stringify(join(dir, "report.json"))}, JSON.stringify({ argv: process.argv.slice(2), env }));
const mode = process.env.STUB_WRANGLER ?? "exit:0";
if (mode.startsWith("exit:")) process.exit(Number(mode.slice(5)));
// "serve": workerd would now start containers of a new session; then wait for a signal.
const ps = process.env.STUB_PS;
appendFileSync(ps, [
  "id-ours\\tnew0session0001\\tworkerd-new0session0001-doctor-fixture-MyContainer-1a2b\\trunning",
  "id-ours-proxy\\tnew0session0001\\tworkerd-new0session0001-doctor-fixture-MyContainer-1a2b-proxy\\trunning",
  "id-other-worker\\tnew0session0002\\tworkerd-new0session0002-other-app-MyContainer-3c4d\\trunning",
  "",
].join("\\n"));
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => { console.log("got " + signal); process.exit(7); });
}
console.log("stub wrangler: Ready on http://127.0.0.1:1");
setInterval(() => {}, 1000);
`,
  );
  return { file, report: () => JSON.parse(readFileSync(join(dir, "report.json"), "utf8")) };
}

async function runDev(docker: StubDocker, project: string, args: string[] = [], extra: Record<string, string> = {}) {
  const wrangler = stubWrangler();
  const run = await runCli(["dev", ...args], {
    cwd: project,
    env: { ...docker.env, WORKERD_CONTAINERS_WRANGLER: wrangler.file, ...extra },
  });
  const steps = run.stderr.split("\n").filter((line) => line.startsWith("[workerd-containers] "));
  return { ...run, steps: steps.map((line) => line.slice("[workerd-containers] ".length)), wrangler };
}

/** Runs cli/docker-wrapper.sh with the stub as the real docker. */
function wrapper(docker: StubDocker, args: string[], extra: Record<string, string> = {}) {
  return spawnSync(WRAPPER, args, {
    encoding: "utf8",
    env: { ...docker.env, WORKERD_CONTAINERS_DOCKER: join(docker.bin, "docker"), ...extra },
  });
}

describe("cli/docker-wrapper.sh", () => {
  it("without buildx: drops --load and --provenance, keeps every other word whole, builds classic", () => {
    const docker = stubDocker();
    const args = ["build", "--load", "-t", "app:1", "--provenance=false", "--build-arg", "A=b c", "--platform"];
    const result = wrapper(docker, [...args, "linux/amd64", "-f", "x/Dockerfile", "--provenance", "max", "ctx"], {
      WORKERD_CONTAINERS_NO_BUILDX: "1",
    });
    expect(result.status).toBe(0);
    expect(docker.calls()).toEqual([
      "<build><-t><app:1><--build-arg><A=b c><--platform><linux/amd64><-f><x/Dockerfile><ctx> BUILDKIT=0",
    ]);
  });

  it("with buildx (no WORKERD_CONTAINERS_NO_BUILDX): build goes through unchanged", () => {
    const docker = stubDocker();
    expect(wrapper(docker, ["build", "--load", "--provenance=false", "ctx"]).status).toBe(0);
    expect(docker.calls()).toEqual(["<build><--load><--provenance=false><ctx>"]);
  });

  it("pull of an image present locally is done at once; an absent one is pulled", () => {
    const docker = stubDocker({ pull: "fail" });
    docker.addImage("local/sidecar:1", "[]");
    const skip = { WORKERD_CONTAINERS_SKIP_PULL: "1" };
    const present = wrapper(docker, ["pull", "--platform", "linux/amd64", "local/sidecar:1"], skip);
    expect(present.status).toBe(0);
    expect(present.stdout).toContain("local/sidecar:1 is present locally; not pulling it");
    expect(docker.calls()).toEqual(["<image><inspect><local/sidecar:1>"]);
    const absent = wrapper(docker, ["pull", "other/image:2", "--platform", "linux/amd64"], skip);
    expect(absent.status).toBe(1);
    expect(docker.calls().slice(1)).toEqual([
      "<image><inspect><other/image:2>",
      "<pull><other/image:2><--platform><linux/amd64>",
    ]);
  });

  it("without WORKERD_CONTAINERS_SKIP_PULL a pull always goes to docker; other commands pass, exit codes too", () => {
    const docker = stubDocker({ pull: "ok" });
    docker.addImage("local/sidecar:1", "[]");
    expect(wrapper(docker, ["pull", "local/sidecar:1"]).status).toBe(0);
    expect(wrapper(docker, ["exit-with", "42"]).status).toBe(42);
    expect(docker.calls()).toEqual(["<pull><local/sidecar:1>", "<exit-with><42>"]);
  });
});

describe("dev: arguments and the project", () => {
  it("keeps its own options and hands everything else (and all after --) to wrangler", () => {
    expect(
      parseDevArgs(["--offline", "-c", "w.jsonc", "--pull-timeout=5", "--port", "8788", "--", "--offline"]),
    ).toEqual({
      offline: true,
      pullTimeoutMs: 5000,
      help: false,
      wranglerArgs: ["-c", "w.jsonc", "--port", "8788", "--offline"],
    });
    expect(() => parseDevArgs(["--pull-timeout", "soon"])).toThrow(/seconds/);
  });

  it("reads the worker name the way wrangler does: --name, the environment's name, <name>-<env>", () => {
    expect(wranglerArgsOf(["--config=a.toml", "-c", "b.jsonc", "--name", "x", "-e", "staging"])).toEqual({
      configs: ["a.toml", "b.jsonc"],
      name: "x",
      envName: "staging",
    });
    const dir = tempDir();
    writeFiles(dir, {
      "wrangler.jsonc": JSON.stringify({ name: "app", containers: [{}], env: { prod: { name: "app-live" } } }),
    });
    expect(readProject(dir, []).workerNames).toEqual(["app"]);
    expect(readProject(dir, ["--env", "staging"]).workerNames).toEqual(["app-staging"]);
    expect(readProject(dir, ["--env", "prod"]).workerNames).toEqual(["app-live"]);
    expect(readProject(dir, ["--name", "mine"])).toMatchObject({ workerNames: ["mine"], hasContainers: true });
    expect(readProject(dir, ["-c", "nope.jsonc"]).error).toBe("nope.jsonc: not found");
  });

  it("claims only containers of sessions that are new and carry one of its worker names", async () => {
    const ps = parsePs("a\told\tworkerd-old-app-C-1\trunning\nb\tnew\tworkerd-new-app-C-1-proxy\texited\n");
    expect(ps[1]).toEqual({
      id: "b",
      session: "new",
      name: "workerd-new-app-C-1-proxy",
      state: "exited",
      sidecar: true,
    });
    const docker = stubDocker();
    writeFileSync(join(docker.state, "ps"), "a\told\tworkerd-old-app-C-1\trunning\n");
    const tracker = new SessionTracker({
      dockerBin: join(docker.bin, "docker"),
      dockerEnv: docker.env,
      workerNames: ["app"],
    });
    expect(await tracker.begin()).toBe(true);
    const mine = { session: "new", sidecar: false, id: "", state: "" };
    expect(tracker.ours({ ...mine, name: "workerd-new-app-C-1" })).toBe(true);
    expect(tracker.ours({ ...mine, name: "workerd-new-app2-C-1" })).toBe(false);
    expect(tracker.ours({ ...mine, name: "workerd-old-app-C-1", session: "old" })).toBe(false);
    expect(tracker.ours({ ...mine, name: "something-else" })).toBe(false);
  });
});

describe("dev: what it adds, each only when needed", () => {
  it("buildx present, sidecar pulled already: wrangler as is, its arguments passed, its exit code kept", async () => {
    const docker = stubDocker({ buildx: true });
    docker.addImage(SIDECAR);
    const run = await runDev(docker, fakeProject(), ["--port", "8788", "--ip", "127.0.0.1"], {
      STUB_WRANGLER: "exit:3",
    });
    expect(run.code).toBe(3);
    expect(run.steps).toContain(`docker: Docker Engine 20.10.24 (${join(docker.bin, "docker")})`);
    expect(run.steps).toContain("buildx: github.com/docker/buildx v0.12.1 30feaa1");
    expect(run.steps.find((line) => line.startsWith("sidecar image"))).toBe(
      "sidecar image cloudflare/proxy-everything:abc1234 (sha256:111111111111…): present (pulled)",
    );
    expect(run.steps.at(-1)).toBe("wrangler dev exited (3)");
    const report = run.wrangler.report();
    expect(report.argv).toEqual(["dev", "--port", "8788", "--ip", "127.0.0.1"]);
    expect(report.env).toEqual({ WORKERD_CONTAINERS_WRANGLER: run.wrangler.file });
    expect(docker.calls().filter((call) => /^<(pull|build)>/.test(call))).toEqual([]);
  });

  it("no buildx: the wrapper, told to drop the buildx flags and nothing else", async () => {
    const docker = stubDocker({ buildx: false });
    docker.addImage(SIDECAR);
    const run = await runDev(docker, fakeProject());
    expect(run.code).toBe(0);
    expect(run.steps).toContain(
      "buildx: not installed; the docker wrapper drops --load/--provenance and builds with the classic builder",
    );
    expect(run.wrangler.report().env).toMatchObject({
      WRANGLER_DOCKER_BIN: WRAPPER,
      WORKERD_CONTAINERS_DOCKER: join(docker.bin, "docker"),
      WORKERD_CONTAINERS_NO_BUILDX: "1",
    });
    expect(run.wrangler.report().env.WORKERD_CONTAINERS_SKIP_PULL).toBeUndefined();
    expect(run.wrangler.report().env.MINIFLARE_CONTAINER_EGRESS_IMAGE).toBeUndefined();
  });

  it("a user's WRANGLER_DOCKER_BIN is the docker the wrapper runs in the end", async () => {
    const docker = stubDocker({ buildx: false });
    docker.addImage(SIDECAR);
    const run = await runDev(docker, fakeProject(), [], { WRANGLER_DOCKER_BIN: join(docker.bin, "docker") });
    expect(run.wrangler.report().env).toMatchObject({
      WRANGLER_DOCKER_BIN: WRAPPER,
      WORKERD_CONTAINERS_DOCKER: join(docker.bin, "docker"),
    });
  });

  it("sidecar absent but pullable: pulled, and nothing else is added", async () => {
    const docker = stubDocker({ pull: "ok" });
    const run = await runDev(docker, fakeProject());
    expect(run.code).toBe(0);
    expect(docker.calls()).toContain(`<pull><${SIDECAR}>`);
    expect(run.steps).toContain("sidecar image cloudflare/proxy-everything:abc1234 (sha256:111111111111…): pulled");
    expect(run.wrangler.report().env).toEqual({ WORKERD_CONTAINERS_WRANGLER: run.wrangler.file });
  });

  it("sidecar absent and not pullable: the stand-in is built from this Node, and wrangler pointed at it", async () => {
    const docker = stubDocker({ buildx: false, pull: "fail" });
    const run = await runDev(docker, fakeProject());
    expect(run.code).toBe(0);
    expect(run.steps.find((line) => line.includes("cannot be pulled"))).toContain("no such host");
    const built = run.steps.find((line) => line.startsWith(`sidecar stand-in ${STANDIN_IMAGE}: built in`));
    expect(built).toContain(`from ${process.execPath} (${process.version}`);
    expect(STANDIN_IMAGE).toBe(`workerd-containers/sidecar-standin:${VERSION}`);
    expect(docker.calls().find((call) => call.startsWith("<build>"))).toMatch(
      new RegExp(`^<build><-q><-t><${STANDIN_IMAGE}><[^>]+workerd-containers-standin-[^>]+> BUILDKIT=0$`),
    );
    const context = readFileSync(join(docker.state, "build-context.txt"), "utf8").split("\n");
    for (const file of ["./Dockerfile", "./rootfs/usr/local/bin/node", "./rootfs/sidecar/sidecar.mjs"]) {
      expect(context).toContain(file);
    }
    expect(context).toContain("./rootfs/sidecar/test-ca.pem");
    expect(context.some((file) => /\/lib[^/]*\/.*libc\.so/.test(file))).toBe(true);
    expect(readFileSync(join(docker.state, "build-Dockerfile"), "utf8")).toContain(
      'ENTRYPOINT ["/usr/local/bin/node", "/sidecar/sidecar.mjs"]',
    );
    expect(run.wrangler.report().env).toMatchObject({
      MINIFLARE_CONTAINER_EGRESS_IMAGE: STANDIN_IMAGE,
      WRANGLER_DOCKER_BIN: WRAPPER,
      WORKERD_CONTAINERS_NO_BUILDX: "1",
      WORKERD_CONTAINERS_SKIP_PULL: "1",
    });
  });

  it("--offline: no pull; a stand-in already built is used as it is", async () => {
    const docker = stubDocker({ pull: "ok" });
    docker.addImage(STANDIN_IMAGE, "[]");
    const run = await runDev(docker, fakeProject(), ["--offline"]);
    expect(run.steps).toContain(
      "sidecar image cloudflare/proxy-everything:abc1234 (sha256:111111111111…): not present; " +
        "--offline: not pulling it",
    );
    expect(run.steps).toContain(`sidecar stand-in ${STANDIN_IMAGE}: present`);
    expect(docker.calls().filter((call) => /^<(pull|build)>/.test(call))).toEqual([]);
    expect(run.wrangler.report().env).toMatchObject({
      MINIFLARE_CONTAINER_EGRESS_IMAGE: STANDIN_IMAGE,
      WORKERD_CONTAINERS_SKIP_PULL: "1",
    });
    expect(run.wrangler.report().env.WORKERD_CONTAINERS_NO_BUILDX).toBeUndefined();
  });

  it("a present sidecar built locally: the wrapper answers wrangler's pull from the local copy", async () => {
    const docker = stubDocker();
    docker.addImage(SIDECAR, "[]");
    const run = await runDev(docker, fakeProject());
    expect(run.steps.find((line) => line.startsWith("sidecar image"))).toContain(
      "present (built locally); the docker wrapper answers wrangler's `docker pull` of it from the local copy",
    );
    expect(run.wrangler.report().env).toMatchObject({ WORKERD_CONTAINERS_SKIP_PULL: "1" });
  });

  it("a pull that hangs gives up after --pull-timeout, then the stand-in", async () => {
    const docker = stubDocker({ pull: "hang" });
    const started = Date.now();
    const run = await runDev(docker, fakeProject(), ["--pull-timeout", "1"]);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(run.steps).toContain(
      "sidecar image cloudflare/proxy-everything:abc1234 (sha256:111111111111…): cannot be pulled (timed out)",
    );
    expect(run.wrangler.report().env.MINIFLARE_CONTAINER_EGRESS_IMAGE).toBe(STANDIN_IMAGE);
  });

  it("no containers in the configuration: nothing is asked of Docker", async () => {
    const docker = stubDocker({ buildx: false });
    const config = JSON.stringify({ name: "plain", main: "src/index.ts" });
    const run = await runDev(docker, fakeProject({ files: { "wrangler.jsonc": config } }));
    expect(run.steps).toContain("containers: none in the configuration; nothing to prepare");
    expect(docker.calls()).toEqual([]);
    expect(run.wrangler.report().env).toEqual({ WORKERD_CONTAINERS_WRANGLER: run.wrangler.file });
  });

  it("no wrangler installed: says how to install it, exit 1", async () => {
    const docker = stubDocker();
    const run = await runCli(["dev"], { cwd: fakeProject({ wrangler: false }), env: docker.env });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/wrangler is not installed in .*: npm install --save-dev wrangler/);
  });
});

describe("dev: stopping", () => {
  it("SIGTERM goes to wrangler, then only this session's containers go; wrangler's code is dev's", async () => {
    const docker = stubDocker();
    docker.addImage(SIDECAR);
    // Before dev starts: a session of the same worker that is not ours, and one of another project.
    writeFileSync(
      join(docker.state, "ps"),
      "id-before\told0session\tworkerd-old0session-doctor-fixture-MyContainer-9\trunning\n" +
        "id-else\tother0session\tworkerd-other0session-else-C-1\trunning\n",
    );
    const wrangler = stubWrangler();
    const child = spawn(process.execPath, [BIN, "dev"], {
      cwd: fakeProject(),
      env: {
        ...docker.env,
        WORKERD_CONTAINERS_WRANGLER: wrangler.file,
        STUB_WRANGLER: "serve",
        STUB_PS: join(docker.state, "ps"),
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stderr.on("data", (chunk) => (stderr += chunk));
    const started = Date.now();
    const ready = new Promise<void>((resolve) =>
      child.stdout.on("data", (chunk) => {
        stdout += chunk;
        if (stdout.includes("Ready on")) resolve();
      }),
    );
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    await ready;
    child.kill("SIGTERM");
    expect(await exited).toBe(7);
    expect(stdout).toContain("got SIGTERM");
    expect(docker.removed().sort()).toEqual(["id-ours", "id-ours-proxy"]);
    expect(stderr).toMatch(/stopping wrangler \(PID \d+\): SIGTERM/);
    expect(stderr).toContain(
      "removed 2 container(s) of this session: workerd-new0session0001-doctor-fixture-MyContainer-1a2b, " +
        "workerd-new0session0001-doctor-fixture-MyContainer-1a2b-proxy",
    );
    expect(stderr).toContain("wrangler dev exited (7)");
    // Nothing keeps dev alive once wrangler is gone (the 10 s grace timer is cleared).
    expect(Date.now() - started).toBeLessThan(8_000);
  });
});
