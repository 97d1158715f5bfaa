// The sidecar stand-in `workerd-containers dev` builds, as both dev (which
// builds it) and doctor (which looks for it and for what building it takes)
// know it: its tag for this package version, and the static busybox it carries.
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { readManifest } from "./packages.mjs";
import { run } from "./run.mjs";

export const PACKAGE_VERSION = readManifest(join(dirname(fileURLToPath(import.meta.url)), "../.."))?.version ?? "0.0.0";
export const STANDIN_IMAGE = `workerd-containers/sidecar-standin:${PACKAGE_VERSION}`;

/** Where the stand-in takes busybox from: workerd restores directory snapshots with its /bin/cp. */
export const BUSYBOX = "/bin/busybox";

/** `path` if it is a statically linked busybox (a dynamic one would need its libraries too), else undefined. */
export async function staticBusybox(env, path = BUSYBOX) {
  if (!existsSync(path)) return undefined;
  const result = await run("ldd", [path], { timeoutMs: 10_000, env });
  return result.code !== 0 || /not a dynamic executable|statically linked/.test(result.stdout + result.stderr)
    ? path
    : undefined;
}
