// The root filesystem of a Node image built with no registry: a Node binary,
// the shared libraries `ldd` lists for it, a world-writable /tmp, and any
// other files. Used by `workerd-containers dev` for its sidecar stand-in and
// by the repository's fixture images (fixtures/build-images.mjs).
import { chmodSync, copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";

/** The library paths (and the loader) in `ldd`'s output; none for a static binary. */
export function lddLibraries(output) {
  return [...output.matchAll(/(?:=>\s*)?(\/\S+)\s+\(0x/g)].map((match) => match[1]);
}

/**
 * Fill `rootfs` (an empty or missing folder): `node` at /usr/local/bin/node,
 * each of `libraries` at its own path, each `[source, target, mode?]` of
 * `files`, and /tmp. Copies follow symlinks: real files at the linked names.
 */
export function fillNodeRootfs(rootfs, { node, libraries, files = [] }) {
  const put = (source, target, mode) => {
    const path = join(rootfs, target);
    mkdirSync(dirname(path), { recursive: true });
    copyFileSync(source, path);
    if (mode !== undefined) chmodSync(path, mode);
  };
  put(node, "/usr/local/bin/node", 0o755);
  for (const library of libraries) put(library, library);
  for (const [source, target, mode] of files) put(source, target, mode);
  mkdirSync(join(rootfs, "tmp"), { recursive: true });
  chmodSync(join(rootfs, "tmp"), 0o1777);
}
