// Node, wrangler and workerd as the project has them: the versions in its
// node_modules and the Node that `npx wrangler` would run on.
import { existsSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { findPackageDir, satisfiesMinimum } from "../lib/packages.mjs";
import { fail, pass, warn } from "../lib/result.mjs";
import { run } from "../lib/run.mjs";
import { findOnPath } from "./docker.mjs";

const DEFAULT_NODE_RANGE = ">=22.12.0";

/** The nearest node_modules/.bin/node from `dir` upwards (the `node` npm package), or undefined. */
function projectNode(dir) {
  for (let at = dir; ; at = dirname(at)) {
    const file = join(at, "node_modules", ".bin", "node");
    if (existsSync(file)) return file;
    if (dirname(at) === at) return undefined;
  }
}

async function nodeVersion(ctx, file) {
  if (!file) return undefined;
  const result = await run(file, ["--version"], { timeoutMs: ctx.timeoutMs, env: ctx.env });
  const version = result.code === 0 ? result.stdout.trim() : "";
  return /^v?\d+\.\d+\.\d+/.test(version) ? version : undefined;
}

/** workerd's platform package for this machine, e.g. @cloudflare/workerd-linux-64. */
function workerdPlatformPackage() {
  const os = process.platform === "win32" ? "windows" : process.platform;
  const arch = process.arch === "x64" ? "64" : process.arch;
  return `@cloudflare/workerd-${os}-${arch}`;
}

const show = (ctx, dir) => relative(ctx.cwd, dir) || ".";

export const toolchainChecks = [
  {
    id: "node",
    label: "Node.js",
    async run(ctx) {
      const range = ctx.toolchain.wrangler?.manifest?.engines?.node ?? DEFAULT_NODE_RANGE;
      const onPath = findOnPath("node", ctx.env, { skip: (dir) => /node_modules[\\/]\.bin[\\/]?$/.test(dir) });
      const local = projectNode(ctx.projectDir);
      const [pathVersion, localVersion] = [await nodeVersion(ctx, onPath), await nodeVersion(ctx, local)];
      const fits = (version) => satisfiesMinimum(version, range) ?? true;
      const installFix =
        "Install Node 22.12 or later on PATH (https://nodejs.org/, or: nvm install 22), or add it to the project: " +
        "npm install --save-dev node@22 (npx and npm scripts then run wrangler on node_modules/.bin/node).";
      const effective = localVersion ?? pathVersion;
      if (!effective) {
        return fail("node", `Node.js: no node found on PATH${local ? ` and ${local} does not run` : ""}`, installFix);
      }
      if (!fits(effective)) {
        const where = localVersion ? show(ctx, local) : onPath;
        const wrangler = ctx.toolchain.wrangler?.manifest?.version;
        return fail(
          "node",
          `Node.js ${effective} (${where}): ${wrangler ? `wrangler ${wrangler}` : "wrangler 4"} needs ${range}`,
          installFix,
        );
      }
      if (localVersion && pathVersion && !fits(pathVersion)) {
        return warn(
          "node",
          `Node.js ${localVersion} (${show(ctx, local)}) for npx and npm scripts; ` +
            `the node on PATH (${onPath}) is ${pathVersion}, older than wrangler's ${range}`,
          "Start wrangler through npx or an npm script (they put node_modules/.bin first on PATH), " +
            "not a bare `wrangler`, or install Node 22.12 or later on PATH.",
        );
      }
      return pass(
        "node",
        `Node.js ${effective} (${localVersion ? show(ctx, local) : onPath}); wrangler needs ${range}`,
      );
    },
  },
  {
    id: "wrangler",
    label: "wrangler",
    async run(ctx) {
      const wrangler = ctx.toolchain.wrangler;
      if (!wrangler) {
        return fail(
          "wrangler",
          `wrangler: not installed in ${show(ctx, ctx.projectDir)} or a folder above`,
          "npm install --save-dev wrangler@4",
        );
      }
      const version = wrangler.manifest?.version ?? "?";
      const major = Number.parseInt(version, 10);
      if (!(major >= 4)) {
        return fail(
          "wrangler",
          `wrangler ${version}: containers under wrangler dev need wrangler 4`,
          "npm install --save-dev wrangler@4",
        );
      }
      return pass("wrangler", `wrangler ${version} (${show(ctx, wrangler.dir)})`);
    },
  },
  {
    id: "workerd",
    label: "workerd",
    async run(ctx) {
      const { workerd, miniflare, wrangler } = ctx.toolchain;
      if (!wrangler)
        return fail("workerd", "workerd: not checked (no wrangler installed)", "npm install --save-dev wrangler@4");
      if (!workerd || !miniflare) {
        const missing = [!miniflare && "miniflare", !workerd && "workerd"].filter(Boolean).join(" and ");
        return fail(
          "workerd",
          `workerd: wrangler's ${missing} not installed`,
          "Reinstall the dependencies: npm install",
        );
      }
      const platformPackage = workerdPlatformPackage();
      const miniflareNote = `miniflare ${miniflare.manifest?.version ?? "?"}`;
      const version = workerd.manifest?.version ?? "?";
      if (!findPackageDir(platformPackage, workerd.dir)) {
        return fail(
          "workerd",
          `workerd ${version}: its binary for this machine (${platformPackage}) is not installed`,
          "Reinstall with optional dependencies (not --omit=optional / --no-optional): " +
            "rm -rf node_modules && npm install",
        );
      }
      return pass("workerd", `workerd ${version}, ${miniflareNote} (${show(ctx, workerd.dir)})`);
    },
  },
];
