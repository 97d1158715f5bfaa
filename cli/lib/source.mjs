// A static, best-effort reading of a Worker's modules: which names a module
// exports, where a class is declared and what it extends, and whether a
// class declares outbound interception. No parser: comments are blanked and
// the few statement forms that matter are matched. Anything it cannot follow
// is reported as unknown, never guessed.
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

/** Packages whose exported classes are Container classes (or ContainerProxy). */
export const CONTAINER_PACKAGES = ["workerd-containers", "@cloudflare/containers", "@cloudflare/sandbox"];

const EXTENSIONS = [".ts", ".tsx", ".mts", ".js", ".mjs", ".jsx", ".cts", ".cjs"];
const ID = "[A-Za-z_$][\\w$]*";

/** Replaces comments with spaces, leaving strings and line numbers as they are. */
export function blankComments(text) {
  const out = text.split("");
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '"' || c === "'" || c === "`") {
      let j = i + 1;
      while (j < text.length && text[j] !== c) {
        if (c !== "`" && text[j] === "\n") break;
        j += text[j] === "\\" ? 2 : 1;
      }
      i = j + 1;
    } else if (c === "/" && (text[i + 1] === "/" || text[i + 1] === "*")) {
      const end = text[i + 1] === "/" ? text.indexOf("\n", i) : text.indexOf("*/", i + 2) + 2;
      const j = end <= 1 ? text.length : end;
      for (let k = i; k < j; k++) if (out[k] !== "\n") out[k] = " ";
      i = j;
    } else {
      i++;
    }
  }
  return out.join("");
}

/** The names in `{ a, b as c, type d }`: [local, exported] pairs, type-only ones left out. */
function namedList(list) {
  return list
    .split(",")
    .map((part) => part.trim())
    .filter((part) => part && !/^type\s/.test(part))
    .map((part) => {
      const [local, exported = local] = part.split(/\s+as\s+/).map((name) => name.trim());
      return [local, exported];
    });
}

/**
 * What one module declares, imports and exports.
 * @param {string} text
 */
export function scanModule(text) {
  const code = blankComments(text);
  /** local name → { from, imported } ("*" for a namespace import) */
  const imports = new Map();
  for (const m of code.matchAll(/\bimport\s+(?!type\s)([\w$\s{},*]+?)\s+from\s+["']([^"']+)["']/g)) {
    const [, clause, from] = m;
    const named = /\{([^}]*)\}/.exec(clause);
    if (named) for (const [imported, local] of namedList(named[1])) imports.set(local, { from, imported });
    const namespace = /\*\s*as\s+([\w$]+)/.exec(clause);
    if (namespace) imports.set(namespace[1], { from, imported: "*" });
    const fallback = new RegExp(`^\\s*(${ID})\\s*(?:,|$)`).exec(clause);
    if (fallback && !clause.trim().startsWith("{")) imports.set(fallback[1], { from, imported: "default" });
  }

  /** exported name → { local } or { from, imported } */
  const exports = new Map();
  /** specifiers of `export * from …` */
  const starFrom = [];
  for (const m of code.matchAll(
    new RegExp(
      "\\bexport\\s+(default\\s+)?(?:declare\\s+)?(?:abstract\\s+)?" +
        `(?:class|(?:async\\s+)?function\\*?|const|let|var)\\s+(${ID})`,
      "g",
    ),
  )) {
    exports.set(m[1] ? "default" : m[2], { local: m[2] });
    if (m[1]) exports.set(m[2], { local: m[2], viaDefault: true });
  }
  for (const m of code.matchAll(/\bexport\s+(?!type\s)\{([^}]*)\}(\s*from\s*["']([^"']+)["'])?/g)) {
    for (const [local, exported] of namedList(m[1])) {
      exports.set(exported, m[3] ? { from: m[3], imported: local } : { local });
    }
  }
  for (const m of code.matchAll(/\bexport\s+\*\s+as\s+([\w$]+)\s+from\s*["']([^"']+)["']/g)) {
    exports.set(m[1], { from: m[2], imported: "*" });
  }
  for (const m of code.matchAll(/\bexport\s+\*\s+from\s*["']([^"']+)["']/g)) starFrom.push(m[1]);
  const defaultName = new RegExp(`\\bexport\\s+default\\s+(${ID})\\s*;`).exec(code);
  if (defaultName) exports.set("default", { local: defaultName[1] });

  /** class name → { base, body } */
  const classes = new Map();
  for (const m of code.matchAll(new RegExp(`\\bclass\\s+(${ID})\\s*(<)?`, "g"))) {
    let i = m.index + m[0].length;
    if (m[2]) i = skipAngles(code, i - 1);
    const rest = code.slice(i);
    const ext = new RegExp(`^\\s*extends\\s+(${ID}(?:\\.${ID})*)`).exec(rest);
    let base;
    if (ext && /^\s*\(/.test(rest.slice(ext[0].length))) {
      base = "?"; // extends a call (a mixin): not followed
      i += ext[0].length;
    } else if (ext) {
      base = ext[1];
      i += ext[0].length;
      if (/^\s*</.test(code.slice(i))) i = skipAngles(code, code.indexOf("<", i));
    } else if (/^\s*extends\b/.test(rest)) {
      base = "?"; // extends an expression (a mixin call…): not followed
    }
    const open = code.indexOf("{", i);
    if (open === -1) continue;
    classes.set(m[1], { base, body: code.slice(open, matchBrace(code, open) + 1) });
  }
  return { code, imports, exports, starFrom, classes };
}

/** Index just past the `>` that closes the `<` at `start` (arrows `=>` inside are not closers). */
function skipAngles(code, start) {
  let depth = 0;
  for (let i = start; i < code.length; i++) {
    const c = code[i];
    if (c === "<") depth++;
    else if (c === ">" && code[i - 1] !== "=") {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return code.length;
}

/** Index of the `}` that closes the `{` at `open`, skipping strings. */
function matchBrace(code, open) {
  let depth = 0;
  for (let i = open; i < code.length; i++) {
    const c = code[i];
    if (c === '"' || c === "'" || c === "`") {
      let j = i + 1;
      while (j < code.length && code[j] !== c) j += code[j] === "\\" ? 2 : 1;
      i = j;
    } else if (c === "{") depth++;
    else if (c === "}") {
      depth--;
      if (depth === 0) return i;
    }
  }
  return code.length - 1;
}

/** The file a relative import names (TypeScript's `./x.js` → `./x.ts` included), or undefined. */
export function resolveRelative(fromFile, specifier) {
  const base = resolve(dirname(fromFile), specifier);
  const candidates = [base, ...EXTENSIONS.map((ext) => base + ext)];
  const swapped = base.replace(/\.(m|c)?jsx?$/, "");
  if (swapped !== base) candidates.push(...EXTENSIONS.map((ext) => swapped + ext));
  candidates.push(...EXTENSIONS.map((ext) => join(base, `index${ext}`)));
  return candidates.find((file) => existsSync(file) && statSync(file).isFile());
}

const isRelative = (specifier) => specifier.startsWith(".") || specifier.startsWith("/");

/** Reads and scans modules on demand, once each. */
export class ModuleGraph {
  #modules = new Map();

  /** @param {string} file */
  module(file) {
    if (!this.#modules.has(file)) {
      let scanned;
      try {
        scanned = scanModule(readFileSync(file, "utf8"));
      } catch {
        scanned = undefined;
      }
      this.#modules.set(file, scanned);
    }
    return this.#modules.get(file);
  }

  /** Every module read so far. */
  get files() {
    return [...this.#modules.entries()].filter(([, mod]) => mod).map(([file, mod]) => ({ file, ...mod }));
  }

  /**
   * Where the name `exported` of `file` comes from:
   * { kind: "local", file, name }, { kind: "package", from, name }, or
   * { kind: "unknown", reason } when a re-export could not be followed,
   * or undefined when the module does not export it.
   */
  resolveExport(file, exported, depth = 0) {
    const mod = this.module(file);
    if (!mod || depth > 20) return { kind: "unknown", reason: `could not read ${file}` };
    const entry = mod.exports.get(exported);
    if (entry) {
      if ("local" in entry) return this.resolveLocal(file, entry.local, depth);
      return this.#follow(file, entry.from, entry.imported, depth);
    }
    let unknown;
    for (const from of mod.starFrom) {
      if (!isRelative(from)) {
        if (CONTAINER_PACKAGES.includes(from)) return { kind: "package", from, name: exported, star: true };
        unknown ??= { kind: "unknown", reason: `main re-exports everything of ${from}` };
        continue;
      }
      const target = resolveRelative(file, from);
      if (!target) {
        unknown ??= { kind: "unknown", reason: `cannot find ${from} (from ${file})` };
        continue;
      }
      const found = this.resolveExport(target, exported, depth + 1);
      if (found?.kind === "unknown") unknown ??= found;
      else if (found) return found;
    }
    return unknown;
  }

  /** What the local binding `name` of `file` is: declared there, or imported. */
  resolveLocal(file, name, depth = 0) {
    const mod = this.module(file);
    if (!mod) return { kind: "unknown", reason: `could not read ${file}` };
    if (mod.classes.has(name)) return { kind: "local", file, name };
    const imported = mod.imports.get(name);
    if (imported) return this.#follow(file, imported.from, imported.imported, depth);
    return { kind: "local", file, name };
  }

  #follow(file, from, imported, depth) {
    if (!isRelative(from)) return { kind: "package", from, name: imported };
    const target = resolveRelative(file, from);
    if (!target) return { kind: "unknown", reason: `cannot find ${from} (imported by ${file})` };
    if (imported === "*") return { kind: "namespace", file: target };
    return (
      this.resolveExport(target, imported, depth + 1) ?? {
        kind: "unknown",
        reason: `${from} has no export ${imported}`,
      }
    );
  }

  /**
   * Follows `class name extends …` from `file` up to a Container class of one
   * of CONTAINER_PACKAGES. Returns { ok: true, chain } when it gets there,
   * { ok: false, chain, reason } when the chain ends elsewhere, and
   * { ok: undefined, chain, reason } when it could not be followed.
   */
  traceContainer(file, name) {
    const chain = [name];
    let at = { file, name };
    for (let step = 0; step < 20; step++) {
      const mod = this.module(at.file);
      const declared = mod?.classes.get(at.name);
      if (!declared) return { ok: undefined, chain, reason: `no \`class ${at.name}\` found in ${at.file}` };
      if (declared.base === undefined) return { ok: false, chain, reason: `${at.name} extends nothing` };
      if (declared.base === "?") return { ok: undefined, chain, reason: `${at.name} extends an expression` };
      chain.push(declared.base);
      const [head, member] = declared.base.split(".");
      const origin = this.resolveLocal(at.file, head);
      // A class named Container is taken for the library's, wherever it comes from.
      if (declared.base === "Container" || (!member && origin.name === "Container")) {
        return { ok: true, chain, ...(origin.kind === "package" ? { from: origin.from } : {}) };
      }
      if (origin.kind === "package") {
        if (CONTAINER_PACKAGES.includes(origin.from)) return { ok: true, chain, from: origin.from };
        return { ok: false, chain, reason: `${declared.base} comes from ${origin.from}` };
      }
      if (origin.kind === "unknown") return { ok: undefined, chain, reason: origin.reason };
      if (origin.kind === "namespace") {
        if (!member) return { ok: undefined, chain, reason: `${declared.base} is a namespace` };
        const found = this.resolveExport(origin.file, member);
        if (found?.kind !== "local") return { ok: undefined, chain, reason: `cannot follow ${declared.base}` };
        at = { file: found.file, name: found.name };
        continue;
      }
      // declared in this project: a class of the same name as the base, or the base itself
      if (origin.file === at.file && origin.name === at.name) return { ok: undefined, chain, reason: "a cycle" };
      if (!this.module(origin.file)?.classes.has(origin.name)) {
        return { ok: undefined, chain, reason: `${declared.base} is not declared as a class that doctor can find` };
      }
      at = { file: origin.file, name: origin.name };
    }
    return { ok: undefined, chain, reason: "the class chain is too long to follow" };
  }

  /** The class declarations met on the way from `name` to its package base (for the interception check). */
  classBodies(file, name) {
    const bodies = [];
    let at = { file, name };
    for (let step = 0; step < 20 && at; step++) {
      const declared = this.module(at.file)?.classes.get(at.name);
      if (!declared) break;
      bodies.push({ name: at.name, body: declared.body });
      if (!declared.base || declared.base === "?" || declared.base.includes(".")) break;
      const origin = this.resolveLocal(at.file, declared.base);
      at = origin.kind === "local" && this.module(origin.file)?.classes.has(origin.name) ? origin : undefined;
    }
    return bodies;
  }

  /** Reads every module reachable from `file` through relative imports and re-exports. */
  loadAll(file, limit = 300) {
    const queue = [file];
    const seen = new Set();
    while (queue.length && seen.size < limit) {
      const next = queue.shift();
      if (seen.has(next)) continue;
      seen.add(next);
      const mod = this.module(next);
      if (!mod) continue;
      const specifiers = [
        ...[...mod.imports.values()].map((entry) => entry.from),
        ...[...mod.exports.values()].filter((entry) => entry.from).map((entry) => entry.from),
        ...mod.starFrom,
        ...[...mod.code.matchAll(/\bimport\s+["']([^"']+)["']/g)].map((m) => m[1]),
      ];
      for (const specifier of specifiers) {
        if (!isRelative(specifier)) continue;
        const target = resolveRelative(next, specifier);
        if (target && !seen.has(target)) queue.push(target);
      }
    }
    return this.files;
  }
}

/** The static fields that declare interception (registry.ts of the library reads the same ones). */
const OUTBOUND_STATICS = "outbound|outboundProxy|outboundByHost|outboundHandlers|outboundProxies";
const STATIC_INTERCEPTION = new RegExp(`\\bstatic\\s+(?:override\\s+)?(?:readonly\\s+)?(${OUTBOUND_STATICS})\\b`, "g");
const FIELD_INTERCEPTION = [
  [/\binterceptHttps\s*(?::\s*boolean\s*)?=\s*true\b/, "interceptHttps = true"],
  [/(?:^|[\s;{])(?:override\s+)?(allowedHosts|deniedHosts)\s*(?::[^=;]*)?=(?!=)/, undefined],
];
const SETTERS = /\.(setOutboundHandler|setOutboundByHosts?|setAllowedHosts|setDeniedHosts|allowHost|denyHost)\s*\(/;

/**
 * How the class (or a class it extends, or code that assigns its statics)
 * asks for outbound interception, e.g. ["static outboundByHost"]. Empty when
 * nothing was found.
 */
export function interceptionFeatures(graph, file, name) {
  const features = new Set();
  for (const { body } of graph.classBodies(file, name)) {
    for (const m of body.matchAll(STATIC_INTERCEPTION)) features.add(`static ${m[1]}`);
    for (const [pattern, label] of FIELD_INTERCEPTION) {
      const m = pattern.exec(body);
      if (m) features.add(label ?? m[1]);
    }
  }
  const assign = new RegExp(`\\b${name.replace(/\$/g, "\\$")}\\.(${OUTBOUND_STATICS})\\s*=(?!=)`);
  for (const mod of graph.files) {
    const m = assign.exec(mod.code);
    if (m) features.add(`${name}.${m[1]} = …`);
  }
  return [...features];
}

/** Setter calls anywhere in the Worker's modules (they configure interception at run time). */
export function interceptionCalls(graph) {
  const calls = new Set();
  for (const mod of graph.files) for (const m of mod.code.matchAll(new RegExp(SETTERS, "g"))) calls.add(`${m[1]}()`);
  return [...calls];
}
