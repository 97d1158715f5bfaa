// Checks the built package as a consumer sees it: publint's rules, every
// path in package.json exists, and dist/index.d.ts exports exactly the
// public surface (scripts/lib/public-surface.mjs).
import { existsSync, readFileSync } from "node:fs";
import { publint } from "publint";
import { formatMessage } from "publint/utils";
import { INDEX_TYPES, INDEX_VALUES, TESTING_EXPORTS } from "./lib/public-surface.mjs";

const pkg = JSON.parse(readFileSync("package.json", "utf8"));
let failed = false;
const fail = (message) => {
  failed = true;
  console.error(`✗ ${message}`);
};

console.log("check-package: publint");
const { messages } = await publint({ pkgDir: ".", level: "warning", strict: true });
for (const message of messages) fail(`publint: ${formatMessage(message, pkg)}`);

console.log("check-package: exported paths exist");
const paths = [pkg.main, pkg.module, pkg.types];
for (const entry of Object.values(pkg.exports)) {
  if (typeof entry === "string") paths.push(entry);
  else paths.push(...Object.values(entry));
}
for (const path of paths) if (!existsSync(path)) fail(`${path} is named in package.json but was not built`);

console.log("check-package: public surface of dist/index.d.ts");
const expected = [...INDEX_VALUES, ...INDEX_TYPES].sort();
/** Names in the `export { … }` statements of a declaration file. */
function exportedNames(dts) {
  const block = [...dts.matchAll(/export\s*(?:type\s*)?\{([^}]*)\}/g)].map((m) => m[1]).join(",");
  return block
    .split(",")
    .map((name) =>
      name
        .trim()
        .replace(/^type\s+/, "")
        .split(/\s+as\s+/)
        .pop(),
    )
    .filter(Boolean)
    .sort();
}
const actual = exportedNames(readFileSync("dist/index.d.ts", "utf8"));
const missing = expected.filter((name) => !actual.includes(name));
const extra = actual.filter((name) => !expected.includes(name));
if (missing.length) fail(`missing exports: ${missing.join(", ")}`);
if (extra.length) fail(`exports not in the public surface: ${extra.join(", ")}`);

console.log("check-package: public surface of dist/testing.d.ts");
const testingExpected = [...TESTING_EXPORTS].sort();
const testingActual = exportedNames(readFileSync("dist/testing.d.ts", "utf8"));
if (JSON.stringify(testingActual) !== JSON.stringify(testingExpected)) {
  fail(`dist/testing.d.ts exports ${testingActual.join(", ")}; expected ${testingExpected.join(", ")}`);
}

const deps = Object.keys(pkg.dependencies ?? {});
if (deps.length) fail(`runtime dependencies are not allowed: ${deps.join(", ")}`);

if (failed) process.exit(1);
console.log(`check-package: ok (${actual.length} exports, ${paths.length} paths, no runtime dependencies)`);
