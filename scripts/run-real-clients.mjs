// Real clients on real containers: the unmodified @cloudflare/sandbox
// (test/real-clients/sandbox) on this package, then the same suite on the
// original @cloudflare/containers 0.3.7 as a control. Prints one table with
// both columns and ends with "real-clients: N passed, N failed (T s)" for this
// package's column; the control column informs and never fails the run (a test
// that fails on the original too is shown as such).
//
//   npm run test:real-clients                  both columns
//   node scripts/run-real-clients.mjs --ours-only   skip the control
//   node scripts/run-real-clients.mjs --if-available   (what `npm test` runs)
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { runSuiteCode } from "./lib/run-suite.mjs";

const COLUMNS = [
  { which: "ours", title: "workerd-containers" },
  { which: "original", title: "original 0.3.7" },
];
const oursOnly = process.argv.includes("--ours-only");
const columns = oursOnly ? COLUMNS.slice(0, 1) : COLUMNS;
const started = Date.now();
const codes = {};
for (const { which, title } of columns) {
  console.log(`[real-clients] @cloudflare/sandbox on ${title}`);
  codes[which] = runSuiteCode({
    label: `real-clients (${title})`,
    project: "real-clients",
    report: `coverage/real-clients-${which}-results.json`,
    typecheck: which === "ours" ? ["test/real-clients/sandbox"] : [],
    env: { SANDBOX_CONTAINERS: which },
  });
}

const table = resultsTable();
if (table) {
  console.log(table);
  writeFileSync("coverage/real-clients.md", `${table}\n`);
  console.log("[real-clients] table written to coverage/real-clients.md");
}
const ours = report("ours");
const seconds = Math.round((Date.now() - started) / 1000);
if (ours) {
  const failed = ours.numFailedTests || (ours.numFailedTestSuites ?? 0);
  console.log(`real-clients: ${ours.numPassedTests} passed, ${failed} failed (${seconds} s)`);
}
process.exit(codes.ours ?? 1);

function report(which) {
  const file = `coverage/real-clients-${which}-results.json`;
  return existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : undefined;
}

/** One row per test, one column per library: passed (time) / FAILED / skipped / not run. */
function resultsTable() {
  const outcomes = new Map();
  for (const { which } of columns) {
    for (const file of report(which)?.testResults ?? []) {
      for (const test of file.assertionResults) {
        // The test's own title: the describe line names the library, which differs by column.
        const name = test.title;
        const row = outcomes.get(name) ?? {};
        row[which] =
          test.status === "passed"
            ? `passed (${(test.duration / 1000).toFixed(1)} s)`
            : test.status === "failed"
              ? "FAILED"
              : test.status;
        outcomes.set(name, row);
      }
    }
  }
  if (outcomes.size === 0) return undefined;
  const cell = (value) => String(value ?? "not run").replaceAll("|", "\\|");
  return [
    `| @cloudflare/sandbox 0.12.7 | ${columns.map((c) => c.title).join(" | ")} |`,
    `|---|${columns.map(() => "---").join("|")}|`,
    ...[...outcomes].map(([name, row]) => `| ${cell(name)} | ${columns.map((c) => cell(row[c.which])).join(" | ")} |`),
  ].join("\n");
}
