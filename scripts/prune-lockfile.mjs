// Removes, from package-lock.json, optional dependencies that the registry
// reachable here does not serve (platform binaries for other systems: the
// mirror answers 404, so npm records the edge but no package). `npm ci`
// rejects such a lock as "out of sync"; without the dangling edges it
// installs exactly what the lock pins. Run after every `npm install` that
// changes the lock: `node scripts/prune-lockfile.mjs`.
import { readFileSync, writeFileSync } from "node:fs";

const path = "package-lock.json";
const lock = JSON.parse(readFileSync(path, "utf8"));
const packages = lock.packages;

/** Where npm would look for `name` from the package at `from`. */
function resolves(from, name) {
  let dir = from;
  for (;;) {
    const candidate = `${dir ? `${dir}/` : ""}node_modules/${name}`;
    if (packages[candidate]) return true;
    if (!dir) return false;
    const cut = dir.lastIndexOf("/node_modules/");
    dir = cut === -1 ? "" : dir.slice(0, cut);
  }
}

let pruned = 0;
for (const [location, entry] of Object.entries(packages)) {
  const optional = entry.optionalDependencies;
  if (!optional) continue;
  for (const name of Object.keys(optional)) {
    if (!resolves(location, name)) {
      delete optional[name];
      pruned++;
    }
  }
}
writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`prune-lockfile: removed ${pruned} optional dependencies the registry does not serve`);
