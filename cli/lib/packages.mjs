// Finding the installed wrangler, miniflare and workerd the way Node would
// (node_modules folders from a directory upwards), and reading from them what
// doctor needs: versions, the Node range wrangler accepts, and the networking
// sidecar image miniflare hands to workerd.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";

/**
 * The directory of package `name` as resolved from `fromDir` (walking up), or undefined.
 * @param {string} name
 * @param {string} fromDir
 */
export function findPackageDir(name, fromDir) {
  let dir = fromDir;
  for (;;) {
    const candidate = join(dir, "node_modules", name);
    if (existsSync(join(candidate, "package.json"))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** package.json of a package directory, or undefined. */
export function readManifest(dir) {
  try {
    return JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
  } catch {
    return undefined;
  }
}

/**
 * wrangler and the miniflare and workerd it resolves (its own nested copies first).
 * @param {string} projectDir
 */
export function findToolchain(projectDir) {
  const wranglerDir = findPackageDir("wrangler", projectDir);
  const from = wranglerDir ?? projectDir;
  const miniflareDir = findPackageDir("miniflare", from);
  const workerdDir = findPackageDir("workerd", miniflareDir ?? from);
  const info = (dir) => (dir ? { dir, manifest: readManifest(dir) } : undefined);
  return { wrangler: info(wranglerDir), miniflare: info(miniflareDir), workerd: info(workerdDir) };
}

const IMAGE_ASSIGNMENT = /DEFAULT_CONTAINER_EGRESS_INTERCEPTOR_IMAGE\s*=\s*["']([^"']+)["']/;
const IMAGE_LITERAL = /["'](cloudflare\/proxy-everything[^"'\s]*:[^"'\s]+)["']/;

/** The default sidecar image named in one file, or undefined. */
function imageIn(file) {
  let text;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
  return (IMAGE_ASSIGNMENT.exec(text) ?? IMAGE_LITERAL.exec(text))?.[1];
}

/**
 * The sidecar image `wrangler dev` runs, from MINIFLARE_CONTAINER_EGRESS_IMAGE
 * or else the default compiled into the installed miniflare (which configures
 * workerd) or wrangler (which pulls it).
 * @returns {{ image: string, source: string } | undefined}
 */
export function findSidecarImage(toolchain, env, projectDir) {
  if (env.MINIFLARE_CONTAINER_EGRESS_IMAGE) {
    return { image: env.MINIFLARE_CONTAINER_EGRESS_IMAGE, source: "MINIFLARE_CONTAINER_EGRESS_IMAGE" };
  }
  const places = [
    [toolchain.miniflare, ["dist/src/index.js", "dist/src/index.mjs"]],
    [toolchain.wrangler, ["wrangler-dist/cli.js"]],
  ];
  for (const [pkg, files] of places) {
    if (!pkg) continue;
    for (const file of files) {
      const image = imageIn(join(pkg.dir, file));
      if (image) {
        const version = pkg.manifest?.version ? ` ${pkg.manifest.version}` : "";
        return {
          image,
          source: `${pkg.manifest?.name ?? "?"}${version}, ${relative(projectDir, join(pkg.dir, file))}`,
        };
      }
    }
  }
  return undefined;
}

/** "name:tag" of a reference that may carry a digest too ("name:tag@sha256:…"). */
export function splitImage(reference) {
  const [nameTag, digest] = reference.split("@");
  return { nameTag, digest };
}

/**
 * Whether `version` (x.y.z) satisfies a simple ">=x.y.z" range; undefined
 * for a range of another form.
 */
export function satisfiesMinimum(version, range) {
  const min = /^\s*>=\s*v?(\d+)\.(\d+)\.(\d+)\s*$/.exec(range ?? "");
  if (!min) return undefined;
  return compareVersions(version, `${min[1]}.${min[2]}.${min[3]}`) >= 0;
}

/** Compares dotted numeric versions ("v22.12.0", "20.10.24"); prerelease suffixes are ignored. */
export function compareVersions(a, b) {
  const parts = (v) =>
    String(v)
      .replace(/^v/, "")
      .split(/[.+-]/)
      .slice(0, 3)
      .map((n) => Number.parseInt(n, 10) || 0);
  const [x, y] = [parts(a), parts(b)];
  for (let k = 0; k < 3; k++) if ((x[k] ?? 0) !== (y[k] ?? 0)) return (x[k] ?? 0) - (y[k] ?? 0);
  return 0;
}
