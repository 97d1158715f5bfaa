// The subset of TOML that wrangler.toml files use: tables, arrays of tables,
// dotted and quoted keys, strings (basic, literal, multi-line), integers,
// floats, booleans, arrays and inline tables. Dates and times are refused
// with a clear error rather than misread.

const BARE_KEY = /[A-Za-z0-9_-]/;
const ESCAPES = { b: "\b", t: "\t", n: "\n", f: "\f", r: "\r", '"': '"', "\\": "\\" };

/**
 * @param {string} text
 * @returns {Record<string, unknown>}
 */
export function parseToml(text) {
  const src = text.replace(/^\uFEFF/, "");
  let i = 0;
  const root = {};
  let table = root;

  const fail = (message) => {
    const before = src.slice(0, i);
    const line = before.split("\n").length;
    throw new Error(`${message} at line ${line}, column ${i - before.lastIndexOf("\n")}`);
  };
  const skipSpaces = () => {
    while (src[i] === " " || src[i] === "\t") i++;
  };
  /** Spaces, newlines and comments (inside arrays, and between statements). */
  const skipBlank = () => {
    for (;;) {
      skipSpaces();
      if (src[i] === "#") while (i < src.length && src[i] !== "\n") i++;
      else if (src[i] === "\n" || src[i] === "\r") i++;
      else return;
    }
  };
  const endOfLine = () => {
    skipSpaces();
    if (src[i] === "#") while (i < src.length && src[i] !== "\n") i++;
    if (src[i] === "\r") i++;
    if (i < src.length && src[i] !== "\n") fail(`unexpected ${JSON.stringify(src[i])} after a value`);
  };

  const basicString = () => {
    const multi = src.startsWith('"""', i);
    i += multi ? 3 : 1;
    if (multi && src[i] === "\n") i++;
    else if (multi && src.startsWith("\r\n", i)) i += 2;
    let out = "";
    for (;;) {
      if (i >= src.length) fail("unterminated string");
      if (multi ? src.startsWith('"""', i) && !src.startsWith('""""', i) : src[i] === '"') break;
      const c = src[i];
      if (!multi && c === "\n") fail("newline in a string");
      if (c !== "\\") {
        out += c;
        i++;
        continue;
      }
      const e = src[i + 1];
      if (e in ESCAPES) {
        out += ESCAPES[e];
        i += 2;
      } else if (e === "u" || e === "U") {
        const len = e === "u" ? 4 : 8;
        const hex = src.slice(i + 2, i + 2 + len);
        if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== len) fail("bad unicode escape");
        out += String.fromCodePoint(Number.parseInt(hex, 16));
        i += 2 + len;
      } else if (multi && /[ \t\r\n]/.test(e)) {
        // line-ending backslash: the newline and the blanks after it are dropped
        i++;
        while (/[ \t\r\n]/.test(src[i] ?? "")) i++;
      } else {
        fail(`bad escape \\${e}`);
      }
    }
    i += multi ? 3 : 1;
    return out;
  };

  const literalString = () => {
    const multi = src.startsWith("'''", i);
    i += multi ? 3 : 1;
    if (multi && src[i] === "\n") i++;
    const end = src.indexOf(multi ? "'''" : "'", i);
    if (end === -1) fail("unterminated string");
    const out = src.slice(i, end);
    if (!multi && out.includes("\n")) fail("newline in a string");
    i = end + (multi ? 3 : 1);
    return out;
  };

  const key = () => {
    const parts = [];
    for (;;) {
      skipSpaces();
      if (src[i] === '"') parts.push(basicString());
      else if (src[i] === "'") parts.push(literalString());
      else {
        const start = i;
        while (i < src.length && BARE_KEY.test(src[i])) i++;
        if (i === start) fail("expected a key");
        parts.push(src.slice(start, i));
      }
      skipSpaces();
      if (src[i] !== ".") return parts;
      i++;
    }
  };

  const value = () => {
    const c = src[i];
    if (c === '"') return basicString();
    if (c === "'") return literalString();
    if (c === "[") {
      i++;
      const items = [];
      for (;;) {
        skipBlank();
        if (src[i] === "]") break;
        items.push(value());
        skipBlank();
        if (src[i] === ",") i++;
        else if (src[i] !== "]") fail("expected , or ] in an array");
      }
      i++;
      return items;
    }
    if (c === "{") {
      i++;
      const inline = {};
      skipSpaces();
      if (src[i] === "}") {
        i++;
        return inline;
      }
      for (;;) {
        keyValue(inline);
        skipSpaces();
        if (src[i] === ",") i++;
        else if (src[i] === "}") {
          i++;
          return inline;
        } else fail("expected , or } in an inline table");
      }
    }
    if (src.startsWith("true", i) && !BARE_KEY.test(src[i + 4] ?? "")) {
      i += 4;
      return true;
    }
    if (src.startsWith("false", i) && !BARE_KEY.test(src[i + 5] ?? "")) {
      i += 5;
      return false;
    }
    const word = /^[+-]?[0-9A-Za-z_.:+-]+/.exec(src.slice(i))?.[0] ?? "";
    if (/^\d{4}-\d{2}-\d{2}|^\d{2}:\d{2}/.test(word)) fail("dates and times are not supported here");
    if (/^[+-]?(?:0|[1-9](?:_?\d)*)$/.test(word)) {
      i += word.length;
      return Number(word.replace(/_/g, ""));
    }
    if (/^[+-]?(?:0|[1-9](?:_?\d)*)(?:\.\d(?:_?\d)*)?(?:[eE][+-]?\d(?:_?\d)*)?$/.test(word)) {
      i += word.length;
      return Number(word.replace(/_/g, ""));
    }
    if (/^0x[0-9A-Fa-f_]+$/.test(word)) {
      i += word.length;
      return Number.parseInt(word.slice(2).replace(/_/g, ""), 16);
    }
    return fail(word ? `unsupported value ${JSON.stringify(word)}` : "expected a value");
  };

  /** Walks or creates tables along `path` from `start`; an array of tables means its last element. */
  const descend = (start, path) => {
    let node = start;
    for (const part of path) {
      if (!(part in node)) node[part] = {};
      let next = node[part];
      if (Array.isArray(next)) next = next[next.length - 1];
      if (next === null || typeof next !== "object" || Array.isArray(next)) fail(`${part} is not a table`);
      node = next;
    }
    return node;
  };

  const keyValue = (target) => {
    const path = key();
    if (src[i] !== "=") fail("expected = after a key");
    i++;
    skipSpaces();
    const parent = descend(target, path.slice(0, -1));
    const last = path[path.length - 1];
    if (Object.hasOwn(parent, last)) fail(`${path.join(".")} is defined twice`);
    parent[last] = value();
  };

  for (;;) {
    skipBlank();
    if (i >= src.length) return root;
    if (src[i] === "[") {
      const arrayOfTables = src[i + 1] === "[";
      i += arrayOfTables ? 2 : 1;
      const path = key();
      if (!src.startsWith(arrayOfTables ? "]]" : "]", i)) fail(`expected ${arrayOfTables ? "]]" : "]"}`);
      i += arrayOfTables ? 2 : 1;
      if (arrayOfTables) {
        const parent = descend(root, path.slice(0, -1));
        const last = path[path.length - 1];
        if (!(last in parent)) parent[last] = [];
        if (!Array.isArray(parent[last])) fail(`${path.join(".")} is not an array of tables`);
        table = {};
        parent[last].push(table);
      } else {
        table = descend(root, path);
      }
    } else {
      keyValue(table);
    }
    endOfLine();
  }
}
