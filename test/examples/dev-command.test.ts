// `npx workerd-containers dev` on examples/hello with real Docker and the
// default networking sidecar image absent: dev builds (or reuses) its local
// stand-in, wrangler serves a request from the container, and Ctrl-C
// (SIGINT to dev) stops wrangler and leaves none of the run's containers.
import { type ChildProcess, spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { freePort, ROOT } from "../../scripts/lib/devserver.mjs";
import { containersOf, waitFor } from "./example";

const runName = `wc-dev-command-${crypto.randomUUID().slice(0, 6)}`;
const state = join(tmpdir(), runName);
let child: ChildProcess | undefined;

afterAll(async () => {
  if (child?.pid && child.exitCode === null) {
    child.kill("SIGINT");
    await new Promise((resolve) => child!.once("exit", resolve));
  }
  rmSync(state, { recursive: true, force: true });
}, 60_000);

describe("npx workerd-containers dev", () => {
  it("runs examples/hello without the sidecar image, serves a request, cleans up on Ctrl-C", async () => {
    const port = await freePort();
    const env: Record<string, string | undefined> = { ...process.env, WRANGLER_SEND_METRICS: "false" };
    // What a user's machine has: no stand-in named, no wrapper set.
    delete env.MINIFLARE_CONTAINER_EGRESS_IMAGE;
    delete env.WRANGLER_DOCKER_BIN;
    const args = ["--config", "examples/hello/wrangler.jsonc", "--name", runName, "--ip", "127.0.0.1"];
    args.push("--port", String(port), "--inspector-port", String(await freePort()));
    args.push("--persist-to", state, "--show-interactive-dev-session=false");
    child = spawn(process.execPath, [join(ROOT, "bin/workerd-containers.mjs"), "dev", "--offline", ...args], {
      cwd: ROOT,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout!.on("data", (chunk) => (output += chunk));
    child.stderr!.on("data", (chunk) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => child!.once("exit", (code) => resolve(code)));

    await waitFor(
      "wrangler dev to say Ready",
      () => {
        if (child!.exitCode !== null) throw new Error(`dev exited (${child!.exitCode}):\n${output}`);
        return output.includes("Ready on");
      },
      180_000,
    );
    const steps = output.split("\n").filter((line) => line.startsWith("[workerd-containers] "));
    console.log(steps.join("\n"));
    expect(output).toMatch(/sidecar image cloudflare\/proxy-everything:\S+ \(sha256:[0-9a-f]+…\): not present/);
    expect(output).toMatch(/sidecar stand-in workerd-containers\/sidecar-standin:\S+: (present|built in)/);
    expect(output).toContain("MINIFLARE_CONTAINER_EGRESS_IMAGE=workerd-containers/sidecar-standin:");

    const res = await fetch(`http://127.0.0.1:${port}/from-dev`);
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/^Hello from the container! You asked for GET \/from-dev/);
    expect(containersOf(runName).filter((c) => c.running)).toHaveLength(1);

    child.kill("SIGINT");
    const code = await exited;
    console.log(
      output
        .split("\n")
        .filter((line) => line.startsWith("[workerd-containers] "))
        .slice(steps.length)
        .join("\n"),
    );
    expect(output).toMatch(/stopping wrangler \(PID \d+\): SIGINT/);
    // dev's exit status is wrangler's: 130 when SIGINT ended it.
    expect(output).toContain(`wrangler dev exited (${code})`);
    expect([0, 130]).toContain(code);
    expect(containersOf(runName)).toEqual([]);
  }, 240_000);
});
