// Lines of at most 120 characters in the repository's code. Biome formats
// code to that width but leaves long strings and comments alone; this check
// (part of `npm run lint`) catches those. Markdown and JSON are not checked:
// tables and data have no sensible place to break.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

const MAX = 120;
const CHECKED = /\.(ts|mts|mjs|js|sh|jsonc)$/;

const files = execFileSync("git", ["ls-files", "-z"], { encoding: "utf8" })
  .split("\0")
  .filter((file) => CHECKED.test(file));

const long = [];
for (const file of files) {
  let text;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    continue; // deleted in the working tree, not yet in the index
  }
  text.split("\n").forEach((line, index) => {
    // Characters, not UTF-16 units: "≥" or "✓" count once.
    const length = [...line].length;
    if (length > MAX) long.push(`${file}:${index + 1}: ${length} characters`);
  });
}

if (long.length > 0) {
  console.error(`check-lines: ${long.length} line(s) longer than ${MAX} characters:`);
  for (const entry of long) console.error(`  ${entry}`);
  console.error("Split long strings with + and wrap comments; Biome formats the rest (npm run format).");
  process.exit(1);
}
console.log(`check-lines: ${files.length} files, no line longer than ${MAX} characters`);
