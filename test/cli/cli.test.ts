// The command itself: dispatch, help, usage errors, the exit status, the
// human report and the --json array.
import { describe, expect, it } from "vitest";
import { fakeMachine, fakeProject, line, runCli, runDoctor, SIDECAR } from "./fake-env";

const IMAGES = { [SIDECAR]: '["cloudflare/proxy-everything@sha256:1111"]' };

describe("workerd-containers", () => {
  it("--help lists the commands and doctor's options", async () => {
    const machine = fakeMachine();
    const run = await runCli(["--help"], { cwd: machine.bin, env: machine.env });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("Usage: workerd-containers <command>");
    expect(run.stdout).toMatch(/doctor\s+check this machine/);
    expect(run.stdout).toContain("--json");
  });

  it("an unknown command is refused with the accepted ones", async () => {
    const machine = fakeMachine();
    const run = await runCli(["docter"], { cwd: machine.bin, env: machine.env });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('unknown command "docter"');
    expect(run.stderr).toContain("Accepted commands: doctor");
  });

  it("doctor --help, and an unknown option is a usage error", async () => {
    const machine = fakeMachine();
    const help = await runCli(["doctor", "--help"], { cwd: machine.bin, env: machine.env });
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Usage: workerd-containers doctor [--config <file>]");
    const bad = await runCli(["doctor", "--colour"], { cwd: machine.bin, env: machine.env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("unknown option --colour");
    const missing = await runCli(["doctor", "--config"], { cwd: machine.bin, env: machine.env });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("--config needs a value");
  });

  it("exits 0 and prints a ✓ line per check when everything holds", async () => {
    const run = await runDoctor(fakeMachine({ images: IMAGES }), fakeProject());
    expect(run.code, run.stdout).toBe(0);
    expect(
      run.lines.every((entry) => entry.startsWith("✓")),
      run.stdout,
    ).toBe(true);
    expect(line(run, "Docker CLI")).toMatch(
      /^✓ Docker CLI: Docker version 24\.0\.7, build afdd53b \(\/.*\/bin\/docker\)$/,
    );
    expect(line(run, "Docker Engine")).toBe("✓ Docker Engine 24.0.7");
    expect(line(run, "bridge network")).toBe("✓ bridge network: gateway 172.17.0.1");
    expect(run.stdout).toMatch(/\d+ ok, 0 warnings, 0 failed: ready for `wrangler dev`\./);
  });

  it("--json prints an array of { id, ok, level, message, fix? } and nothing else", async () => {
    const machine = fakeMachine({ buildx: false, images: IMAGES });
    const run = await runDoctor(machine, fakeProject(), ["--json"]);
    expect(run.code).toBe(1);
    expect(Array.isArray(run.results)).toBe(true);
    const ids = run.results.map((entry) => entry.id);
    expect(ids).toEqual([
      "docker-cli",
      "docker-daemon",
      "docker-engine",
      "docker-buildx",
      "docker-bridge",
      "sidecar-image",
      "node",
      "wrangler",
      "workerd",
      "config",
      "main",
      "container.MyContainer.durable-object",
      "container.MyContainer.migration",
      "container.MyContainer.image",
      "container.MyContainer.max-instances",
      "container.MyContainer.class",
      "container.MyContainer.outbound",
    ]);
    for (const entry of run.results) {
      expect(Object.keys(entry).sort()).toEqual(
        entry.fix ? ["fix", "id", "level", "message", "ok"] : ["id", "level", "message", "ok"],
      );
      expect(["ok", "warning", "error", "skipped"]).toContain(entry.level);
      expect(entry.ok).toBe(entry.level === "ok" || entry.level === "warning");
    }
    expect(run.results.filter((entry) => !entry.ok).map((entry) => entry.id)).toEqual(["docker-buildx"]);
    // stderr is not a terminal here: no human report anywhere.
    expect(run.stderr).toBe("");
  });

  it("warnings alone do not fail", async () => {
    const config = `{ "name": "w", "main": "src/index.ts",
      "containers": [{ "class_name": "MyContainer", "image": "./Dockerfile" }],
      "durable_objects": { "bindings": [{ "name": "MY", "class_name": "MyContainer" }] },
      "migrations": [{ "tag": "v1", "new_sqlite_classes": ["MyContainer"] }] }`;
    const run = await runDoctor(fakeMachine(), fakeProject({ files: { "wrangler.jsonc": config } }));
    expect(run.lines.filter((entry) => entry.startsWith("!")).length).toBe(2); // sidecar not pulled, max_instances
    expect(run.code, run.stdout).toBe(0);
    expect(run.stdout).toContain("2 warnings, 0 failed: ready for `wrangler dev`.");
  });

  it("prints the fix under a failed check", async () => {
    const run = await runDoctor(fakeMachine({ bridge: '[{"Subnet":"172.17.0.0/16"}]', images: IMAGES }), fakeProject());
    expect(run.code).toBe(1);
    const lines = run.stdout.split("\n");
    const at = lines.findIndex((entry) => entry.includes("✗ bridge network"));
    expect(lines[at + 1]).toMatch(/^\s+fix: Add "bip": "172\.17\.0\.1\/16" to \/etc\/docker\/daemon\.json/);
    expect(run.stdout).toContain("not ready for `wrangler dev`; fix the ✗ lines above.");
  });
});
