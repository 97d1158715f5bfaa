// THIS MACHINE'S REAL DOCKER: doctor against the repository's examples/hello
// and whatever Docker this machine has. doctor only reads from Docker
// (version, context ls, buildx version, network inspect, image inspect); this
// test adds nothing but `docker version`. It never starts, stops or removes a
// container and never restarts the daemon: other suites use Docker on this
// machine at the same time. Skipped where there is no docker on PATH.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { result, ROOT, runCli } from "./fake-env";

const hasDocker = spawnSync("docker", ["--version"], { stdio: "ignore", timeout: 10_000 }).status === 0;

describe.skipIf(!hasDocker)("doctor on this machine's Docker (read-only; skipped: no docker on PATH)", () => {
  it("reports on examples/hello consistently with what Docker itself answers", async () => {
    const run = await runCli(["doctor", "--config", "examples/hello/wrangler.jsonc", "--json"], {
      cwd: ROOT,
      env: process.env as Record<string, string>,
    });
    const results = JSON.parse(run.stdout);
    const failed = results.filter((entry: any) => entry.level === "error");
    expect(run.code).toBe(failed.length ? 1 : 0);

    expect(result(results, "docker-cli").level).toBe("ok");
    // Same question, asked directly (the daemon may be restarting under another suite: a timeout counts as down).
    const server = spawnSync("docker", ["version", "--format", "{{.Server.Version}}"], {
      encoding: "utf8",
      timeout: 15_000,
    });
    const daemonUp = server.status === 0 && server.stdout.trim() !== "";
    const daemon = result(results, "docker-daemon");
    if (daemonUp) {
      expect(daemon.ok).toBe(true);
      expect(result(results, "docker-engine").message).toContain(server.stdout.trim());
      expect(["ok", "error"]).toContain(result(results, "docker-bridge").level);
    } else {
      expect(daemon.level).toBe("error");
      expect(daemon.fix).toBeTruthy();
      expect(result(results, "docker-bridge").level).toBe("skipped");
    }
    expect(result(results, "sidecar-image").message).toMatch(/^sidecar image \S+:\S+/);

    // The example itself is right, whatever the machine.
    expect(result(results, "wrangler").level).toBe("ok");
    expect(result(results, "config").message).toBe(`config: ${join("examples", "hello", "wrangler.jsonc")}`);
    for (const aspect of ["durable-object", "migration", "image", "max-instances", "class", "outbound"]) {
      expect(result(results, `container.HelloContainer.${aspect}`).level, aspect).toBe("ok");
    }
  });
});
