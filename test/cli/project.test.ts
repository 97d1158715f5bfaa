// The project checks on temporary projects: JSONC and TOML configurations,
// bindings, migrations, images, max_instances, the class main exports and
// outbound interception without ContainerProxy.
import { describe, expect, it } from "vitest";
import { fakeMachine, fakeProject, GOOD_MAIN, result, runDoctor, SIDECAR } from "./fake-env";

const machine = fakeMachine({ images: { [SIDECAR]: '["d"]' } });
const C = "container.MyContainer";

/** A JSONC config with the given containers entry and tables. */
function config({
  container = '{ "class_name": "MyContainer", "image": "./Dockerfile", "max_instances": 2 }',
  bindings = '[{ "name": "MY", "class_name": "MyContainer" }]',
  migrations = '[{ "tag": "v1", "new_sqlite_classes": ["MyContainer"] }]',
  main = "src/index.ts",
} = {}) {
  return `{
  // comment
  "name": "w",
  "main": "${main}",
  "containers": [${container}],
  "durable_objects": { "bindings": ${bindings} },
  "migrations": ${migrations},
}`;
}

async function check(files: Record<string, string | null>, args: string[] = []) {
  return runDoctor(machine, fakeProject({ files }), ["--json", ...args]);
}

describe("doctor: project", () => {
  it("a JSONC config with comments and trailing commas passes every check", async () => {
    const run = await check({});
    expect(run.code).toBe(0);
    expect(result(run.results, "config").message).toBe("config: wrangler.jsonc");
    for (const aspect of ["durable-object", "migration", "image", "max-instances", "class", "outbound"]) {
      expect(result(run.results, `${C}.${aspect}`).level, aspect).toBe("ok");
    }
    expect(result(run.results, `${C}.class`).message).toBe(
      "MyContainer: exported by main, extends Container (workerd-containers)",
    );
  });

  it("wrangler.toml is read", async () => {
    const toml = `# the TOML form
name = "w"
main = "src/index.ts"

[[containers]]
class_name = "MyContainer"
image = "./Dockerfile"
max_instances = 3

[[durable_objects.bindings]]
name = "MY"
class_name = "MyContainer"

[[migrations]]
tag = "v1"
new_sqlite_classes = [ "MyContainer" ] # trailing comment
`;
    const run = await check({ "wrangler.jsonc": null, "wrangler.toml": toml });
    expect(run.code).toBe(0);
    expect(result(run.results, "config").message).toBe("config: wrangler.toml");
    expect(result(run.results, `${C}.max-instances`).message).toBe("MyContainer: max_instances 3");
  });

  it("no config: ✗ naming --config; a syntax error: ✗ with the line", async () => {
    const none = await check({ "wrangler.jsonc": null });
    expect(result(none.results, "config")).toMatchObject({ level: "error", fix: expect.stringContaining("--config") });
    const broken = await check({ "wrangler.jsonc": '{\n  "name": "w"\n  "main": "x"\n}' });
    expect(result(broken.results, "config").message).toMatch(
      /^config: wrangler\.jsonc does not parse: .* at line 3, column 3$/,
    );
    const missing = await check({}, ["--config", "elsewhere/wrangler.toml"]);
    expect(result(missing.results, "config").message).toBe("config: elsewhere/wrangler.toml does not exist");
    expect(missing.code).toBe(1);
  });

  it("--config picks another file, relative paths resolved from its folder", async () => {
    const run = await check(
      {
        "wrangler.jsonc": null,
        "app/wrangler.jsonc": config(),
        "app/src/index.ts": GOOD_MAIN,
        "app/Dockerfile": "FROM scratch\n",
      },
      ["--config", "app/wrangler.jsonc"],
    );
    expect(result(run.results, `${C}.image`).message).toBe("MyContainer: Dockerfile app/Dockerfile");
    expect(run.code).toBe(0);
  });

  it("a missing Dockerfile: ✗", async () => {
    const run = await check({ Dockerfile: null });
    const image = result(run.results, `${C}.image`);
    expect(image.level).toBe("error");
    expect(image.message).toMatch(
      /^MyContainer: image \.\/Dockerfile is neither a Dockerfile that exists \(.*\/Dockerfile\) nor a registry image/,
    );
    expect(run.code).toBe(1);
  });

  it("a registry image is fine; a folder is not", async () => {
    const registry = await check({
      "wrangler.jsonc": config({
        container: '{ "class_name": "MyContainer", "image": "docker.io/library/httpd:2", "max_instances": 1 }',
      }),
    });
    expect(result(registry.results, `${C}.image`)).toMatchObject({
      level: "ok",
      message: expect.stringContaining("registry image"),
    });
    const folder = await check({
      "wrangler.jsonc": config({
        container: '{ "class_name": "MyContainer", "image": "./container", "max_instances": 1 }',
      }),
      "container/Dockerfile": "FROM scratch\n",
    });
    expect(result(folder.results, `${C}.image`)).toMatchObject({
      level: "error",
      fix: expect.stringContaining("./container/Dockerfile"),
    });
  });

  it("a class without a sqlite migration: ✗ with the migration to add", async () => {
    const none = await check({ "wrangler.jsonc": config({ migrations: "[]" }) });
    const migration = result(none.results, `${C}.migration`);
    expect(migration).toMatchObject({
      level: "error",
      message: 'MyContainer: no migration with "MyContainer" in new_sqlite_classes',
    });
    expect(migration.fix).toContain('"migrations": [{ "tag": "v1", "new_sqlite_classes": ["MyContainer"] }]');
    const kv = await check({
      "wrangler.jsonc": config({ migrations: '[{ "tag": "v1", "new_classes": ["MyContainer"] }]' }),
    });
    expect(result(kv.results, `${C}.migration`).message).toContain("new_classes migration (key-value storage)");
    expect(kv.code).toBe(1);
  });

  it("a renamed class keeps its storage", async () => {
    const migrations = `[{ "tag": "v1", "new_sqlite_classes": ["Old"] },
      { "tag": "v2", "renamed_classes": [{ "from": "Old", "to": "MyContainer" }] }]`;
    const run = await check({ "wrangler.jsonc": config({ migrations }) });
    expect(result(run.results, `${C}.migration`).level).toBe("ok");
  });

  it("a container class with no Durable Object binding: ✗ with the binding to add (in TOML for TOML)", async () => {
    const run = await check({ "wrangler.jsonc": config({ bindings: "[]" }) });
    const binding = result(run.results, `${C}.durable-object`);
    expect(binding.level).toBe("error");
    expect(binding.fix).toContain('{ "name": "MY_CONTAINER", "class_name": "MyContainer" }');
    const toml =
      'name = "w"\nmain = "src/index.ts"\n[[containers]]\nclass_name = "MyContainer"\nimage = "./Dockerfile"\n';
    const tomlRun = await check({ "wrangler.jsonc": null, "wrangler.toml": toml });
    expect(result(tomlRun.results, `${C}.durable-object`).fix).toContain(
      '[[durable_objects.bindings]]\nname = "MY_CONTAINER"',
    );
    expect(result(tomlRun.results, `${C}.migration`).fix).toContain('[[migrations]]\ntag = "v1"');
  });

  it("max_instances missing: ! warning; not a positive integer: ✗", async () => {
    const missing = await check({
      "wrangler.jsonc": config({ container: '{ "class_name": "MyContainer", "image": "./Dockerfile" }' }),
    });
    expect(result(missing.results, `${C}.max-instances`).level).toBe("warning");
    expect(missing.code).toBe(0);
    const zero = await check({
      "wrangler.jsonc": config({
        container: '{ "class_name": "MyContainer", "image": "./Dockerfile", "max_instances": 0 }',
      }),
    });
    expect(result(zero.results, `${C}.max-instances`).level).toBe("error");
  });

  it("the class not exported by main: ✗", async () => {
    const run = await check({
      "src/index.ts": 'import { Container } from "workerd-containers";\nclass MyContainer extends Container {}\n',
    });
    expect(result(run.results, `${C}.class`)).toMatchObject({
      level: "error",
      message: expect.stringContaining("not exported by main"),
    });
    expect(run.code).toBe(1);
  });

  it("follows re-exports and local base classes to Container, and classes of @cloudflare/sandbox", async () => {
    const run = await check({
      "src/index.ts":
        'export { MyContainer } from "./objects.js";\nexport { ContainerProxy } from "workerd-containers";\n',
      "src/objects.ts": 'import { Base } from "./base";\nexport class MyContainer extends Base<Env> {}\n',
      "src/base.ts":
        'import { Container as C } from "@cloudflare/containers";\nexport abstract class Base<E> extends C<E> {}\n',
    });
    expect(result(run.results, `${C}.class`).message).toBe(
      "MyContainer: exported by main, extends Base → C (@cloudflare/containers)",
    );
    const sandbox = await check({ "src/index.ts": 'export { Sandbox as MyContainer } from "@cloudflare/sandbox";\n' });
    expect(result(sandbox.results, `${C}.class`).message).toBe(
      "MyContainer: exported by main, Sandbox from @cloudflare/sandbox",
    );
  });

  it("a class that does not extend Container: ! warning", async () => {
    const run = await check({
      "src/index.ts":
        'import { DurableObject } from "cloudflare:workers";\nexport class MyContainer extends DurableObject {}\n',
    });
    expect(result(run.results, `${C}.class`)).toMatchObject({
      level: "warning",
      message: expect.stringContaining("not Container"),
    });
  });

  it("interception without ContainerProxy exported: ✗ with the export to add", async () => {
    const main = `import { Container } from "workerd-containers";
export class MyContainer extends Container {
  static override outboundByHost = { "api.example": (request: Request) => fetch(request) };
}`;
    const run = await check({ "src/index.ts": main });
    const outbound = result(run.results, `${C}.outbound`);
    expect(outbound.level).toBe("error");
    expect(outbound.message).toContain(
      "outbound interception (static outboundByHost) but main (src/index.ts) does not export ContainerProxy",
    );
    expect(outbound.fix).toBe('Add to src/index.ts: export { ContainerProxy } from "workerd-containers";');
    expect(run.code).toBe(1);
    const fixed = await check({ "src/index.ts": `${main}\nexport { ContainerProxy } from "workerd-containers";\n` });
    expect(result(fixed.results, `${C}.outbound`).level).toBe("ok");
    expect(fixed.code).toBe(0);
  });

  it("every form of interception is noticed: statics, interceptHttps, allow-lists, setters, assignments", async () => {
    const forms = [
      ["  static outbound = (request: Request) => fetch(request);", "static outbound"],
      ["  static outboundHandlers = { auth: (r: Request) => fetch(r) };", "static outboundHandlers"],
      ["  override interceptHttps = true;", "interceptHttps = true"],
      ['  override allowedHosts = ["a.example"];', "allowedHosts"],
      ['  async onStart() { await this.setOutboundByHost("a", "auth"); }', "calls setOutboundByHost()"],
    ];
    for (const [member, feature] of forms) {
      const main = `import { Container } from "workerd-containers";
export class MyContainer extends Container {
${member}
}
`;
      const run = await check({ "src/index.ts": main });
      expect(result(run.results, `${C}.outbound`).message, member).toContain(`outbound interception (${feature})`);
    }
    const assigned = await check({
      "src/index.ts": `${GOOD_MAIN}\nMyContainer.outboundByHost = { "a.example": (r: Request) => fetch(r) };\n`,
    });
    expect(result(assigned.results, `${C}.outbound`).message).toContain("MyContainer.outboundByHost = …");
  });

  it("main missing: ✗, and the class checks are skipped", async () => {
    const run = await check({ "src/index.ts": null });
    expect(result(run.results, "main")).toMatchObject({ level: "error", message: "main: src/index.ts does not exist" });
    expect(result(run.results, `${C}.class`).level).toBe("skipped");
  });

  it("no containers: ! warning", async () => {
    const run = await check({ "wrangler.jsonc": '{ "name": "w", "main": "src/index.ts" }' });
    expect(result(run.results, "containers").level).toBe("warning");
  });
});
