// JSON with comments and trailing commas, as wrangler.jsonc allows. Comments
// and trailing commas are blanked out (same length, newlines kept) so that
// JSON.parse's error positions still point into the original text.

/**
 * @param {string} text
 * @returns {string} the text with `//` and `/* *\/` comments and trailing commas replaced by spaces
 */
export function blankJsonc(text) {
  const out = text.split("");
  let i = 0;
  /** Index of the last comma outside strings not yet followed by a value. */
  let pendingComma = -1;
  const blank = (from, to) => {
    for (let k = from; k < to; k++) if (out[k] !== "\n" && out[k] !== "\r") out[k] = " ";
  };
  while (i < text.length) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"' && text[j] !== "\n") j += text[j] === "\\" ? 2 : 1;
      i = j + 1;
      pendingComma = -1;
    } else if (c === "/" && text[i + 1] === "/") {
      let j = i;
      while (j < text.length && text[j] !== "\n") j++;
      blank(i, j);
      i = j;
    } else if (c === "/" && text[i + 1] === "*") {
      const end = text.indexOf("*/", i + 2);
      const j = end === -1 ? text.length : end + 2;
      blank(i, j);
      i = j;
    } else if (c === ",") {
      pendingComma = i;
      i++;
    } else if (c === "}" || c === "]") {
      if (pendingComma !== -1) out[pendingComma] = " ";
      pendingComma = -1;
      i++;
    } else {
      if (!/\s/.test(c)) pendingComma = -1;
      i++;
    }
  }
  return out.join("");
}

/** Line and column (1-based) of a character offset. */
export function lineColumn(text, offset) {
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  return { line, column: offset - before.lastIndexOf("\n") };
}

/**
 * Parses JSONC. Errors name the line and column.
 * @param {string} text
 * @returns {unknown}
 */
export function parseJsonc(text) {
  const plain = blankJsonc(text.replace(/^\uFEFF/, ""));
  try {
    return JSON.parse(plain);
  } catch (error) {
    const match = /position (\d+)/.exec(error.message);
    if (match) {
      const { line, column } = lineColumn(plain, Number(match[1]));
      throw new Error(
        `${error.message.replace(/\s*(?:at|in JSON at) position \d+.*$/, "")} at line ${line}, column ${column}`,
      );
    }
    if (/Unexpected end/.test(error.message))
      throw new Error("unexpected end of the file (a bracket or brace is not closed)");
    throw error;
  }
}
