// The small readers doctor carries: JSONC, the TOML subset of wrangler.toml,
// and the static reading of Worker modules.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseJsonc } from "../../cli/lib/jsonc.mjs";
import { ModuleGraph, scanModule } from "../../cli/lib/source.mjs";
import { parseToml } from "../../cli/lib/toml.mjs";

describe("parseJsonc", () => {
  it("ignores line and block comments and trailing commas, but not inside strings", () => {
    const text = `// top
{
  "url": "http://example.com/*not a comment*/", // after
  /* block
     comment */ "list": [1, 2, 3,],
  "nested": { "a": "x,]", },
}`;
    expect(parseJsonc(text)).toEqual({
      url: "http://example.com/*not a comment*/",
      list: [1, 2, 3],
      nested: { a: "x,]" },
    });
  });

  it("keeps escaped quotes in strings", () => {
    expect(parseJsonc('{ "a": "say \\"hi\\" // there", }')).toEqual({ a: 'say "hi" // there' });
  });

  it("names the line and column of a syntax error", () => {
    expect(() => parseJsonc('{\n  // c\n  "a": 1\n  "b": 2\n}')).toThrow(/at line 4, column 3/);
  });
});

describe("parseToml", () => {
  it("reads tables, arrays of tables, dotted and quoted keys", () => {
    const text = `name = "w"
[vars]
plain.key = 1
"quoted.key" = 'literal \\n'
[[containers]]
class_name = "A"
[[containers]]
class_name = "B"
[durable_objects]
[[durable_objects.bindings]]
name = "A"
class_name = "A"
`;
    expect(parseToml(text)).toEqual({
      name: "w",
      vars: { plain: { key: 1 }, "quoted.key": "literal \\n" },
      containers: [{ class_name: "A" }, { class_name: "B" }],
      durable_objects: { bindings: [{ name: "A", class_name: "A" }] },
    });
  });

  it("reads strings, numbers, booleans, multi-line arrays and inline tables", () => {
    const text = `s = "tab\\tquote\\" \\u00e9"
ml = """
line one
line two"""
n = 1_000
neg = -3
f = 2.5e1
hex = 0xff
yes = true
no = false
list = [
  "a", # comment
  ["nested", 1],
]
migrations = [{ tag = "v1", new_sqlite_classes = ["A"] }, {}]
`;
    expect(parseToml(text)).toEqual({
      s: 'tab\tquote" é',
      ml: "line one\nline two",
      n: 1000,
      neg: -3,
      f: 25,
      hex: 255,
      yes: true,
      no: false,
      list: ["a", ["nested", 1]],
      migrations: [{ tag: "v1", new_sqlite_classes: ["A"] }, {}],
    });
  });

  it("refuses what it does not read, with the line", () => {
    expect(() => parseToml("a = 1\nb = 1979-05-27")).toThrow(/dates and times are not supported here at line 2/);
    expect(() => parseToml('a = "open')).toThrow(/unterminated string/);
    expect(() => parseToml("a = 1\na = 2")).toThrow(/a is defined twice at line 2/);
    expect(() => parseToml("a = 1 b = 2")).toThrow(/after a value at line 1/);
    expect(() => parseToml("[t\nx = 1")).toThrow(/expected \]/);
  });
});

describe("scanModule", () => {
  it("finds imports, exports and classes, and ignores commented-out code", () => {
    const mod = scanModule(`import { Container as Base, type Env } from "workerd-containers";
import * as ns from "./ns";
// export class Hidden extends Base {}
/* class AlsoHidden extends Base {} */
export class A extends Base<{ X: string }> implements Thing {
  static outbound = () => { return "}"; };
}
class B extends ns.Container {}
export { B as Renamed, type Env };
export * from "./more";
export default A;
`);
    expect(mod.imports.get("Base")).toEqual({ from: "workerd-containers", imported: "Container" });
    expect(mod.imports.has("Env")).toBe(false);
    expect(mod.imports.get("ns")).toEqual({ from: "./ns", imported: "*" });
    expect([...mod.classes.keys()]).toEqual(["A", "B"]);
    expect(mod.classes.get("A")?.base).toBe("Base");
    expect(mod.classes.get("A")?.body).toMatch(/^\{[\s\S]*static outbound[\s\S]*\}$/);
    expect(mod.classes.get("B")?.base).toBe("ns.Container");
    expect(mod.exports.get("Renamed")).toEqual({ local: "B" });
    expect(mod.exports.has("Env")).toBe(false);
    expect(mod.exports.get("default")).toEqual({ local: "A" });
    expect(mod.starFrom).toEqual(["./more"]);
  });

  it("a mixin base is not followed", () => {
    expect(scanModule("export class A extends mixin(Base) {}").classes.get("A")?.base).toBe("?");
  });
});

describe("ModuleGraph", () => {
  const dir = mkdtempSync(join(tmpdir(), "wc-doctor-graph-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("follows export * and import-as chains across files", () => {
    writeFileSync(join(dir, "index.ts"), 'export * from "./objects";\n');
    writeFileSync(
      join(dir, "objects.ts"),
      'import * as lib from "./lib.js";\nexport class Mine extends lib.Shared {}\n',
    );
    writeFileSync(
      join(dir, "lib.ts"),
      'import { Container } from "workerd-containers";\nexport class Shared extends Container {}\n',
    );
    const graph = new ModuleGraph();
    const found = graph.resolveExport(join(dir, "index.ts"), "Mine");
    expect(found).toEqual({ kind: "local", file: join(dir, "objects.ts"), name: "Mine" });
    expect(graph.traceContainer(found.file, found.name)).toMatchObject({
      ok: true,
      chain: ["Mine", "lib.Shared", "Container"],
    });
    expect(graph.resolveExport(join(dir, "index.ts"), "Nothing")).toBeUndefined();
  });
});
