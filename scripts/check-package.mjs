// Checks the built package as a consumer sees it: publint's rules, every
// path in package.json exists, the `bin` and what it imports are in "files",
// and dist/index.d.ts exports exactly the public surface
// (scripts/lib/public-surface.mjs).
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
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

console.log("check-package: the command-line tool ships");
// Each bin and the folder of every module it imports must be in "files" (npm pack leaves the rest out).
const shipped = (path) => pkg.files.includes(path.replace(/^\.\//, "").split("/")[0]);
for (const bin of Object.values(pkg.bin ?? {})) {
  if (!existsSync(bin)) {
    fail(`bin ${bin} does not exist`);
    continue;
  }
  const source = readFileSync(bin, "utf8");
  if (!source.startsWith("#!/usr/bin/env node")) fail(`bin ${bin} does not start with #!/usr/bin/env node`);
  if (!shipped(bin)) fail(`bin ${bin} is not in "files"`);
  for (const [, target] of source.matchAll(/from\s+"(\.\.?\/[^"]+)"/g)) {
    const path = join(dirname(bin), target);
    if (!existsSync(path)) fail(`${bin} imports ${target}, which does not exist`);
    else if (!shipped(path)) fail(`${bin} imports ${path}, which is not in "files"`);
  }
}

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

console.log("check-package: workerd-containers/dev and what `dev` runs ship");
// The Node-only entry is plain JavaScript from cli/ with a hand-written .d.mts;
// `dev` hands cli/docker-wrapper.sh to wrangler, which runs it directly.
for (const path of Object.values(pkg.exports["./dev"] ?? {})) {
  if (!shipped(path)) fail(`exports["./dev"] names ${path}, which is not in "files"`);
}
if (!pkg.exports["./dev"]) fail('exports has no "./dev" entry');
for (const file of ["cli/docker-wrapper.sh", "cli/sidecar/sidecar.mjs", "cli/sidecar/test-ca.pem"]) {
  if (!existsSync(file)) fail(`${file} is missing`);
}
if (existsSync("cli/docker-wrapper.sh") && (statSync("cli/docker-wrapper.sh").mode & 0o111) === 0) {
  fail("cli/docker-wrapper.sh is not executable (chmod +x it)");
}

const deps = Object.keys(pkg.dependencies ?? {});
if (deps.length) fail(`runtime dependencies are not allowed: ${deps.join(", ")}`);

if (failed) process.exit(1);
console.log(`check-package: ok (${actual.length} exports, ${paths.length} paths, no runtime dependencies)`);
