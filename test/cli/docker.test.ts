// The Docker checks against stub docker commands: CLI, daemon (down,
// permission denied, hung), engine version, buildx, the bridge gateway and
// the sidecar image. doctor must only ever read from Docker.
import { describe, expect, it } from "vitest";
import { fakeMachine, fakeProject, result, runDoctor, SIDECAR, tempDir } from "./fake-env";

const PULLED = { [SIDECAR]: '["cloudflare/proxy-everything@sha256:1111"]' };
const READ_ONLY = /^(--version|context ls|version|buildx version|network inspect|image inspect)\b/;

describe("doctor: Docker", () => {
  it("docker CLI missing: ✗ with how to install it, the daemon checks skipped", async () => {
    const run = await runDoctor(fakeMachine({ cli: false }), fakeProject(), ["--json"]);
    expect(run.code).toBe(1);
    const cli = result(run.results, "docker-cli");
    expect(cli).toMatchObject({ ok: false, level: "error", message: "Docker CLI: docker not found on PATH" });
    expect(cli.fix).toContain("sudo apt-get install docker.io");
    expect(cli.fix).toContain("WRANGLER_DOCKER_BIN");
    for (const id of ["docker-daemon", "docker-engine", "docker-buildx", "docker-bridge", "sidecar-image"]) {
      expect(result(run.results, id).level).toBe("skipped");
    }
  });

  it("WRANGLER_DOCKER_BIN names the CLI that is checked", async () => {
    const machine = fakeMachine({ images: PULLED });
    const project = fakeProject();
    const run = await runDoctor(machine, project, ["--json"], { WRANGLER_DOCKER_BIN: `${machine.bin}/docker` });
    expect(result(run.results, "docker-cli").message).toMatch(/\(.*\/docker \(WRANGLER_DOCKER_BIN\)\)$/);
    const missing = await runDoctor(machine, project, ["--json"], { WRANGLER_DOCKER_BIN: "/nowhere/docker" });
    expect(result(missing.results, "docker-cli")).toMatchObject({
      level: "error",
      message: "Docker CLI: /nowhere/docker not found (WRANGLER_DOCKER_BIN)",
    });
  });

  it("daemon reachable: ✓ with the address and where it came from; engine version ✓", async () => {
    const run = await runDoctor(fakeMachine({ images: PULLED }), fakeProject());
    expect(run.lines).toContain("✓ Docker daemon: answers on tcp://fake-docker.invalid:2375 (DOCKER_HOST)");
    expect(run.lines).toContain("✓ Docker Engine 24.0.7");
  });

  it("daemon down: ✗ naming the missing socket, with the start command", async () => {
    const machine = fakeMachine({ server: "down" });
    const socket = `${tempDir()}/docker.sock`;
    const run = await runDoctor(machine, fakeProject(), ["--json"], { DOCKER_HOST: `unix://${socket}` });
    expect(run.code).toBe(1);
    const daemon = result(run.results, "docker-daemon");
    expect(daemon.level).toBe("error");
    expect(daemon.message).toBe(
      `Docker daemon: not reachable at unix://${socket} (DOCKER_HOST): ${socket} does not exist`,
    );
    expect(daemon.fix).toContain("sudo systemctl start docker");
    expect(daemon.fix).toContain("point DOCKER_HOST at the socket of a daemon that runs");
    expect(result(run.results, "docker-engine").level).toBe("skipped");
    expect(result(run.results, "docker-bridge").level).toBe("skipped");
  });

  it("permission denied on the socket: ✗ with the docker group fix", async () => {
    const run = await runDoctor(fakeMachine({ server: "denied" }), fakeProject(), ["--json"]);
    const daemon = result(run.results, "docker-daemon");
    expect(daemon).toMatchObject({ level: "error", message: expect.stringContaining("permission denied") });
    expect(daemon.fix).toContain("sudo usermod -aG docker $USER");
  });

  it("a hung daemon: ✗ after the timeout, and doctor still finishes", async () => {
    const machine = fakeMachine({ server: "hang" });
    const run = await runDoctor(machine, fakeProject(), ["--timeout", "1"]);
    expect(run.code).toBe(1);
    expect(run.lines).toContain(
      "✗ Docker daemon: no answer within 1 s on tcp://fake-docker.invalid:2375 (DOCKER_HOST)",
    );
    expect(run.stdout).toContain("sudo systemctl status docker");
    // One timeout, not one per check: the checks that need the daemon are skipped.
    expect(run.ms).toBeLessThan(10_000);
    expect(run.lines).toContain("- bridge network: not checked (no daemon)");
  });

  it("an engine older than 20.10: ! warning, not a failure", async () => {
    const run = await runDoctor(fakeMachine({ server: "19.03.15", images: PULLED }), fakeProject(), ["--json"]);
    expect(result(run.results, "docker-engine")).toMatchObject({
      ok: true,
      level: "warning",
      message: expect.stringContaining("Docker Engine 19.03.15: older than 20.10"),
    });
    expect(run.code).toBe(0);
  });

  it("no buildx: ✗ saying why wrangler needs it and how to get it", async () => {
    const run = await runDoctor(fakeMachine({ buildx: false, images: PULLED }), fakeProject());
    expect(run.code).toBe(1);
    expect(run.lines).toContain(
      "✗ buildx: not installed; wrangler builds images with `docker build --load --provenance=false`, " +
        "flags only buildx knows",
    );
    expect(run.stdout).toContain("sudo apt-get install docker-buildx");
    expect(run.stdout).toContain("~/.docker/cli-plugins/docker-buildx");
  });

  it("no buildx but a WRANGLER_DOCKER_BIN wrapper: ! warning", async () => {
    const machine = fakeMachine({ buildx: false, images: PULLED });
    const run = await runDoctor(machine, fakeProject(), ["--json"], { WRANGLER_DOCKER_BIN: `${machine.bin}/docker` });
    expect(result(run.results, "docker-buildx").level).toBe("warning");
    expect(run.code).toBe(0);
  });

  it("bridge without a gateway: ✗ with the daemon.json line and the restart", async () => {
    const run = await runDoctor(
      fakeMachine({ bridge: '[{"Subnet":"172.17.0.0/16"}]', images: PULLED }),
      fakeProject(),
      ["--json"],
    );
    const bridge = result(run.results, "docker-bridge");
    expect(bridge.level).toBe("error");
    expect(bridge.message).toContain("the default bridge has no gateway");
    expect(bridge.fix).toContain('"bip": "172.17.0.1/16"');
    expect(bridge.fix).toContain("/etc/docker/daemon.json");
    expect(bridge.fix).toContain("sudo systemctl restart docker");
    expect(run.code).toBe(1);
  });

  it("no bridge network at all: ✗", async () => {
    const run = await runDoctor(fakeMachine({ bridge: "missing", images: PULLED }), fakeProject(), ["--json"]);
    expect(result(run.results, "docker-bridge")).toMatchObject({
      level: "error",
      fix: expect.stringContaining('"bridge": "none"'),
    });
  });

  it("sidecar image present: ✓ with the name:tag miniflare wants", async () => {
    const run = await runDoctor(fakeMachine({ images: PULLED }), fakeProject(), ["--json"]);
    expect(result(run.results, "sidecar-image")).toMatchObject({
      level: "ok",
      message:
        "sidecar image cloudflare/proxy-everything:abc1234 (sha256:111111111111…), " +
        "from miniflare 5.20261117.0-beta, node_modules/wrangler/node_modules/miniflare/dist/src/index.js: present",
    });
  });

  it("sidecar image absent: ! with docker pull and dev's stand-in", async () => {
    const run = await runDoctor(fakeMachine(), fakeProject(), ["--json"]);
    const sidecar = result(run.results, "sidecar-image");
    expect(sidecar.level).toBe("warning");
    expect(sidecar.message).toContain("not present locally");
    expect(sidecar.fix).toContain(`docker pull ${SIDECAR}`);
    expect(sidecar.fix).toContain("`npx workerd-containers dev` instead of `wrangler dev` builds a local stand-in");
  });

  it("sidecar present by name:tag only: ! the digest did not match", async () => {
    const run = await runDoctor(
      fakeMachine({ images: { "cloudflare/proxy-everything:abc1234": '["x@sha256:2"]' } }),
      fakeProject(),
      ["--json"],
    );
    expect(result(run.results, "sidecar-image")).toMatchObject({
      level: "warning",
      message: expect.stringContaining("not matched"),
    });
  });

  it("a local stand-in named by MINIFLARE_CONTAINER_EGRESS_IMAGE: ! unless a wrapper skips the pull", async () => {
    const machine = fakeMachine({ images: { "workerd-containers-fixture/sidecar:dev": "[]" } });
    const env = { MINIFLARE_CONTAINER_EGRESS_IMAGE: "workerd-containers-fixture/sidecar:dev" };
    const bare = await runDoctor(machine, fakeProject(), ["--json"], env);
    const sidecar = result(bare.results, "sidecar-image");
    expect(sidecar.level).toBe("warning");
    expect(sidecar.message).toMatch(
      /^sidecar image workerd-containers-fixture\/sidecar:dev, from MINIFLARE_CONTAINER_EGRESS_IMAGE: present, built/,
    );
    const wrapped = await runDoctor(machine, fakeProject(), ["--json"], {
      ...env,
      WRANGLER_DOCKER_BIN: `${machine.bin}/docker`,
    });
    expect(result(wrapped.results, "sidecar-image").level).toBe("ok");
  });

  it("runs only read-only docker commands", async () => {
    const machine = fakeMachine({ images: PULLED, bridge: "[]" });
    await runDoctor(machine, fakeProject());
    await runDoctor(fakeMachine({ server: "down" }), fakeProject());
    const calls = machine.dockerCalls();
    expect(calls.length).toBeGreaterThan(4);
    for (const call of calls) expect(call).toMatch(READ_ONLY);
  });
});
