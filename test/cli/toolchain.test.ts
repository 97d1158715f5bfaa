// Node, wrangler and workerd as a fake node_modules has them, and where the
// sidecar image's name comes from.
import { chmodSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { fakeMachine, fakeProject, result, runDoctor, writeFiles } from "./fake-env";

describe("doctor: Node, wrangler, workerd", () => {
  it("reports the installed wrangler, workerd and miniflare versions", async () => {
    const run = await runDoctor(
      fakeMachine(),
      fakeProject({ wrangler: "4.170.1", workerd: "1.20270101.0", miniflare: "5.20270101.0" }),
    );
    expect(run.lines).toContain("✓ wrangler 4.170.1 (node_modules/wrangler)");
    expect(run.lines).toContain(
      "✓ workerd 1.20270101.0, miniflare 5.20270101.0 (node_modules/wrangler/node_modules/workerd)",
    );
  });

  it("Node older than wrangler's engines range: ✗ with how to get Node 22", async () => {
    const run = await runDoctor(fakeMachine({}, "v20.19.0"), fakeProject(), ["--json"]);
    const node = result(run.results, "node");
    expect(node.level).toBe("error");
    expect(node.message).toMatch(/^Node\.js v20\.19\.0 \(.*\/node\): wrangler 4\.164\.0 needs >=22\.12\.0$/);
    expect(node.fix).toContain("npm install --save-dev node@22");
    expect(run.code).toBe(1);
  });

  it("an old node on PATH but node_modules/.bin/node new enough: ! (npx uses the project's)", async () => {
    const project = fakeProject();
    writeFiles(project, { "node_modules/.bin/node": "#!/bin/sh\necho v22.23.3\n" });
    chmodSync(join(project, "node_modules/.bin/node"), 0o755);
    const run = await runDoctor(fakeMachine({}, "v20.19.0"), project, ["--json"]);
    const node = result(run.results, "node");
    expect(node.level).toBe("warning");
    expect(node.message).toMatch(
      /^Node\.js v22\.23\.3 \(node_modules\/\.bin\/node\) for npx and npm scripts; the node on PATH .* is v20\.19\.0/,
    );
  });

  it("wrangler missing: ✗ with the install command; the sidecar check is skipped", async () => {
    const run = await runDoctor(fakeMachine(), fakeProject({ wrangler: false }), ["--json"]);
    expect(result(run.results, "wrangler")).toMatchObject({ level: "error", fix: "npm install --save-dev wrangler@4" });
    expect(result(run.results, "workerd").level).toBe("error");
    expect(result(run.results, "sidecar-image").level).toBe("skipped");
    expect(run.code).toBe(1);
  });

  it("wrangler 3: ✗", async () => {
    const run = await runDoctor(fakeMachine(), fakeProject({ wrangler: "3.114.0" }), ["--json"]);
    expect(result(run.results, "wrangler")).toMatchObject({
      level: "error",
      message: expect.stringContaining("need wrangler 4"),
    });
  });

  it("workerd's platform binary missing: ✗ with the reinstall", async () => {
    const run = await runDoctor(fakeMachine(), fakeProject({ platformBinary: false }), ["--json"]);
    const workerd = result(run.results, "workerd");
    expect(workerd.level).toBe("error");
    expect(workerd.message).toMatch(/its binary for this machine \(@cloudflare\/workerd-.*\) is not installed/);
  });

  it("the sidecar image is read from the installed miniflare; MINIFLARE_CONTAINER_EGRESS_IMAGE wins", async () => {
    const project = fakeProject({ sidecar: "cloudflare/proxy-everything:feed123@sha256:2222" });
    const machine = fakeMachine({
      images: { "cloudflare/proxy-everything:feed123@sha256:2222": '["d"]', "mine:1": '["d"]' },
    });
    const run = await runDoctor(machine, project, ["--json"]);
    expect(result(run.results, "sidecar-image").message).toMatch(
      /^sidecar image cloudflare\/proxy-everything:feed123 \(sha256:2222…\), from miniflare/,
    );
    const overridden = await runDoctor(machine, project, ["--json"], { MINIFLARE_CONTAINER_EGRESS_IMAGE: "mine:1" });
    expect(result(overridden.results, "sidecar-image").message).toBe(
      "sidecar image mine:1, from MINIFLARE_CONTAINER_EGRESS_IMAGE: present",
    );
  });

  it("without miniflare's bundle the image comes from wrangler's", async () => {
    const project = fakeProject();
    writeFiles(project, {
      "node_modules/wrangler/node_modules/miniflare/dist/src/index.js": "// nothing here\n",
      "node_modules/wrangler/wrangler-dist/cli.js": 'x = "cloudflare/proxy-everything:beef456@sha256:3333";\n',
    });
    const run = await runDoctor(fakeMachine(), project, ["--json"]);
    expect(result(run.results, "sidecar-image").message).toMatch(
      /^sidecar image cloudflare\/proxy-everything:beef456 .*from wrangler 4\.164\.0, .*\/wrangler-dist\/cli\.js/,
    );
  });
});
