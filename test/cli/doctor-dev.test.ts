// doctor and what `workerd-containers dev` supplies: the sidecar stand-in it
// builds (present: the sidecar is ✓ and a missing buildx only a warning,
// since dev is evidently in use), the fixes that name dev as the way without
// installing anything, and `doctor --dev`, which checks for dev itself,
// including the pieces a stand-in is built from (this Node, ldd, a static busybox).
import { join } from "node:path";
import { describe, expect, it } from "vitest";
// @ts-expect-error plain JavaScript module of the command-line tool
import { doctor } from "../../cli/doctor.mjs";
// @ts-expect-error plain JavaScript module of the command-line tool
import { STANDIN_IMAGE } from "../../cli/lib/dev-env.mjs";
import {
  addLdd,
  type DoctorRun,
  fakeMachine,
  fakeProject,
  line,
  type Machine,
  result,
  runCli,
  runDoctor,
  SIDECAR,
  tempDir,
  writeFiles,
} from "./fake-env";

const PULLED = { [SIDECAR]: '["cloudflare/proxy-everything@sha256:1111"]' };
const STANDIN = { [STANDIN_IMAGE]: "[]" };
const READ_ONLY = /^(--version|context ls|version|buildx version|network inspect|image inspect)\b/;
const STANDIN_INSPECT = `image inspect ${STANDIN_IMAGE} --format {{.Id}}`;
const NAMED =
  "sidecar image cloudflare/proxy-everything:abc1234 (sha256:111111111111…), " +
  "from miniflare 5.20261117.0-beta, node_modules/wrangler/node_modules/miniflare/dist/src/index.js";

const BUILDX_MISSING =
  "✗ buildx: not installed; wrangler builds images with `docker build --load --provenance=false`, " +
  "flags only buildx knows";
const BUILDX_VIA_DEV =
  "! buildx: not installed; plain `wrangler dev` needs it, `npx workerd-containers dev` wraps docker for it";
const SIDECAR_VIA_STANDIN =
  `✓ ${NAMED}: not present locally; stand-in ${STANDIN_IMAGE} present; ` +
  "`npx workerd-containers dev` points wrangler at it";
const DEV_BUILDS = `${NAMED}: not present locally; dev pulls it at start or, without a registry, builds a stand-in`;

/** The fix printed under the one line that contains `text`, its lines joined by "\n". */
function fixOf(run: DoctorRun, text: string): string {
  const lines = run.stdout.split("\n");
  const at = lines.findIndex((entry) => entry.includes(text));
  const fix: string[] = [];
  for (let i = at + 1; i < lines.length && /^ {6}(fix: | {5})/.test(lines[i]!); i++) fix.push(lines[i]!.slice(11));
  return fix.join("\n");
}

function expectReadOnly(machine: Machine): void {
  const calls = machine.dockerCalls();
  expect(calls.length).toBeGreaterThan(4);
  for (const call of calls) expect(call).toMatch(READ_ONLY);
}

/** Files that stand for /bin/busybox: one static (the stub ldd says so), one dynamic. */
function busyboxes(): { static: string; dynamic: string; none: string } {
  const dir = tempDir("wc-doctor-busybox-");
  writeFiles(dir, { "static/busybox": "", "dynamic/busybox": "" });
  return { static: join(dir, "static/busybox"), dynamic: join(dir, "dynamic/busybox"), none: join(dir, "busybox") };
}

/** doctor in this process, for what a subprocess cannot be given: the busybox and Node a stand-in is built from. */
async function doctorHere(
  machine: Machine,
  project: string,
  args: string[],
  io: { busybox?: string; nodeBinary?: string } = {},
): Promise<DoctorRun & { results: any[] }> {
  let stdout = "";
  const sink = { write: (text: string) => Boolean((stdout += text)) };
  const { code, results } = await doctor(args, { env: machine.env, cwd: project, stdout: sink, stderr: sink, ...io });
  const lines = stdout
    .split("\n")
    .map((entry) => entry.trim())
    .filter((entry) => /^[✓✗!-] /.test(entry));
  return { code, stdout, stderr: "", ms: 0, lines, results };
}

describe("doctor: before and after `npx workerd-containers dev`", () => {
  it("no buildx, no sidecar, no stand-in: ✗ and !, each fix naming dev as the way without installing", async () => {
    const machine = fakeMachine({ buildx: false });
    const run = await runDoctor(machine, fakeProject());
    expect(run.code, run.stdout).toBe(1);
    expect(line(run, "buildx")).toBe(BUILDX_MISSING);
    const buildxFix = fixOf(run, "buildx: not installed");
    expect(buildxFix.split("\n")[0]).toBe(
      "No install: `npx workerd-containers dev` instead of `wrangler dev` wraps docker to build without buildx " +
        "(docs/dev.md).",
    );
    expect(buildxFix).toContain("sudo apt-get install docker-buildx");
    expect(line(run, "sidecar image")).toBe(
      `! ${NAMED}: not present locally; wrangler dev runs \`docker pull\` of it at start, ` +
        "which needs its registry (Docker Hub)",
    );
    expect(fixOf(run, "sidecar image")).toBe(
      `Pull it now: docker pull ${SIDECAR}\n` +
        "No registry: `npx workerd-containers dev` instead of `wrangler dev` builds a local stand-in " +
        "and points wrangler at it (docs/dev.md).",
    );
    expect(run.stdout).toContain("not ready for `wrangler dev`; fix the ✗ lines above.");
    expect(machine.dockerCalls()).toContain(STANDIN_INSPECT);
    expectReadOnly(machine);
  });

  it("after dev built its stand-in: the sidecar ✓ through it, buildx ! with dev's note, exit 0", async () => {
    const machine = fakeMachine({ buildx: false, images: STANDIN });
    const run = await runDoctor(machine, fakeProject());
    expect(run.code, run.stdout).toBe(0);
    expect(line(run, "buildx")).toBe(`${BUILDX_VIA_DEV} (dev's sidecar stand-in is here)`);
    expect(fixOf(run, "buildx")).toMatch(/^For plain wrangler dev, install buildx: sudo apt-get install docker-buildx/);
    expect(line(run, "sidecar image")).toBe(SIDECAR_VIA_STANDIN);
    expect(run.lines.filter((entry) => entry.startsWith("✗"))).toEqual([]);
    expect(run.stdout).toContain("ok, 1 warning, 0 failed: ready for `npx workerd-containers dev`.");
    expect(machine.dockerCalls().filter((call) => call === STANDIN_INSPECT)).toHaveLength(1); // asked once
    expectReadOnly(machine);
  });

  it("the stand-in with buildx installed: buildx ✓, the sidecar ✓ through the stand-in", async () => {
    const run = await runDoctor(fakeMachine({ images: STANDIN }), fakeProject(), ["--json"]);
    expect(run.code).toBe(0);
    expect(result(run.results, "docker-buildx").level).toBe("ok");
    expect(result(run.results, "sidecar-image")).toMatchObject({ level: "ok", message: SIDECAR_VIA_STANDIN.slice(2) });
    expect(run.results.filter((entry) => entry.level !== "ok")).toEqual([]);
  });

  it("the real sidecar image present counts; the stand-in is asked about only for a missing buildx", async () => {
    const machine = fakeMachine({ images: { ...PULLED, ...STANDIN } });
    const run = await runDoctor(machine, fakeProject());
    expect(run.code).toBe(0);
    expect(line(run, "sidecar image")).toBe(`✓ ${NAMED}: present`);
    expect(machine.dockerCalls()).not.toContain(STANDIN_INSPECT);
    expect(run.stdout).toMatch(/0 warnings, 0 failed: ready for `wrangler dev`\.\n$/);

    const noBuildx = fakeMachine({ buildx: false, images: { ...PULLED, ...STANDIN } });
    const without = await runDoctor(noBuildx, fakeProject());
    expect(without.code).toBe(0);
    expect(line(without, "buildx")).toBe(`${BUILDX_VIA_DEV} (dev's sidecar stand-in is here)`);
    expect(line(without, "sidecar image")).toBe(`✓ ${NAMED}: present`);
  });

  it("a stand-in of another package version, or no daemon to ask: buildx stays ✗", async () => {
    const other = fakeMachine({ buildx: false, images: { "workerd-containers/sidecar-standin:0.0.1-old": "[]" } });
    const run = await runDoctor(other, fakeProject());
    expect(run.code).toBe(1);
    expect(line(run, "buildx")).toBe(BUILDX_MISSING);
    expect(line(run, "sidecar image")).toMatch(/^! .*: not present locally; wrangler dev runs `docker pull`/);

    const down = fakeMachine({ buildx: false, server: "down", images: STANDIN });
    const noDaemon = await runDoctor(down, fakeProject());
    expect(noDaemon.code).toBe(1);
    expect(line(noDaemon, "buildx")).toBe(BUILDX_MISSING);
    expect(down.dockerCalls().filter((call) => call.startsWith("image"))).toEqual([]);
  });
});

describe("doctor --dev: checks for `npx workerd-containers dev`", () => {
  it("--help names --dev, in doctor's help and the command's", async () => {
    const machine = fakeMachine();
    const help = await runCli(["doctor", "--help"], { cwd: machine.bin, env: machine.env });
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^ {6}--dev {13}check for `npx workerd-containers dev`/m);
    const top = await runCli(["--help"], { cwd: machine.bin, env: machine.env });
    expect(top.stdout).toContain("--dev             check for `npx workerd-containers dev`");
  });

  it("no buildx, sidecar pulled: buildx ! with dev's note, exit 0, the report titled for dev", async () => {
    const machine = fakeMachine({ buildx: false, images: PULLED });
    const run = await runDoctor(machine, fakeProject(), ["--dev"]);
    expect(run.code, run.stdout).toBe(0);
    expect(run.stdout.split("\n")[0]).toBe("workerd-containers doctor --dev: what `npx workerd-containers dev` needs");
    expect(line(run, "buildx")).toBe(BUILDX_VIA_DEV);
    expect(line(run, "sidecar image")).toBe(`✓ ${NAMED}: present`);
    expect(run.stdout).toContain("ok, 1 warning, 0 failed: ready for `npx workerd-containers dev`.");
    expect(machine.dockerCalls()).not.toContain(STANDIN_INSPECT);
    expectReadOnly(machine);
  });

  it("sidecar absent, no stand-in yet, ldd and a static busybox here: ✓ dev builds a stand-in", async () => {
    const machine = fakeMachine({ buildx: false });
    addLdd(machine);
    const busybox = busyboxes().static;
    const run = await doctorHere(machine, fakeProject(), ["--dev"], { busybox });
    expect(run.code, run.stdout).toBe(0);
    expect(line(run, "buildx")).toBe(BUILDX_VIA_DEV);
    expect(line(run, "sidecar image")).toBe(`✓ ${DEV_BUILDS} (this Node, ldd, static ${busybox})`);
    expect(result(run.results, "sidecar-image").level).toBe("ok");
    expect(machine.dockerCalls()).toContain(STANDIN_INSPECT);
    expectReadOnly(machine);
  });

  it("no static busybox (none, or a dynamic one): ! naming apt-get install busybox-static", async () => {
    const machine = fakeMachine();
    addLdd(machine);
    for (const busybox of [busyboxes().none, busyboxes().dynamic]) {
      const run = await doctorHere(machine, fakeProject(), ["--dev"], { busybox });
      expect(run.code, run.stdout).toBe(0);
      expect(line(run, "sidecar image")).toBe(
        `! ${DEV_BUILDS}, but no static ${busybox}, so the stand-in cannot restore directory snapshots`,
      );
      expect(fixOf(run, "sidecar image")).toBe(
        `sudo apt-get install busybox-static\nOr pull the image now: docker pull ${SIDECAR}`,
      );
    }
  });

  it("no ldd, or this Node missing: ! saying the stand-in would lack them", async () => {
    const machine = fakeMachine();
    const busybox = busyboxes().static;
    const run = await doctorHere(machine, fakeProject(), ["--dev"], { busybox, nodeBinary: "/nowhere/node" });
    expect(run.code, run.stdout).toBe(0);
    expect(line(run, "sidecar image")).toBe(
      `! ${DEV_BUILDS}, but this Node (/nowhere/node) is not a file; ` +
        "no ldd on PATH to list the libraries of this Node (the stand-in would not start)",
    );
    expect(fixOf(run, "sidecar image")).toBe(
      `Install ldd (Debian/Ubuntu: sudo apt-get install libc-bin).\nOr pull the image now: docker pull ${SIDECAR}`,
    );
  });

  it("the stand-in present: ✓ through it, whatever the pieces to build one", async () => {
    const machine = fakeMachine({ images: STANDIN }); // no ldd on this PATH
    const run = await doctorHere(machine, fakeProject(), ["--dev"], { busybox: busyboxes().none });
    expect(run.code, run.stdout).toBe(0);
    expect(line(run, "sidecar image")).toBe(SIDECAR_VIA_STANDIN);
  });

  it("a sidecar image built locally: ✓ with --dev (dev's wrapper answers the pull), ! without", async () => {
    const machine = fakeMachine({ images: { "local/sidecar:dev": "[]" } });
    const env = { MINIFLARE_CONTAINER_EGRESS_IMAGE: "local/sidecar:dev" };
    const dev = await runDoctor(machine, fakeProject(), ["--dev"], env);
    expect(dev.code).toBe(0);
    expect(line(dev, "sidecar image")).toBe(
      "✓ sidecar image local/sidecar:dev, from MINIFLARE_CONTAINER_EGRESS_IMAGE: present, built locally; " +
        "dev's docker wrapper answers wrangler's `docker pull` of it",
    );
    const plain = await runDoctor(machine, fakeProject(), [], env);
    expect(line(plain, "sidecar image")).toMatch(/^! sidecar image local\/sidecar:dev, .*: present, built locally;/);
  });

  it("a failure dev cannot supply is still ✗: exit 1, not ready for dev", async () => {
    const machine = fakeMachine({ buildx: false, bridge: '[{"Subnet":"172.17.0.0/16"}]', images: PULLED });
    const run = await runDoctor(machine, fakeProject(), ["--dev"]);
    expect(run.code).toBe(1);
    expect(line(run, "buildx")).toBe(BUILDX_VIA_DEV);
    expect(line(run, "bridge network")).toMatch(/^✗ bridge network: the default bridge has no gateway/);
    expect(run.stdout).toContain("not ready for `npx workerd-containers dev`; fix the ✗ lines above.");
  });
});
