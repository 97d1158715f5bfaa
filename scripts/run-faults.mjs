// The faults suite: crashes, evictions, bursts, the switch from the
// original library, a soak and hostile input, with figures.
//
//   npm run test:faults                    all scenarios, 45 s soak; table in coverage/faults-results.md
//   npm run test:faults -- --soak-minutes 10   the same with the 10-minute soak (npm run test:soak)
//   npm run results:faults                 all scenarios; the table also refreshes test/faults/RESULTS.md
//   node scripts/run-faults.mjs --if-available --skip-unit   (what `npm test` runs)
//
// Two parts: the scenarios that need the fake runtime (test/faults/unit, in
// workerd) and those on real containers (test/faults, under wrangler dev with
// Docker; see scripts/lib/run-suite.mjs for --if-available). Each real scenario
// appends its figures to coverage/faults-figures.jsonl; the table is made from
// those lines and the fake-runtime report.
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { runSuiteCode, runVitest } from "./lib/run-suite.mjs";

const args = process.argv.slice(2);
const option = (name) => {
  const at = args.indexOf(name);
  return at === -1 ? undefined : args[at + 1];
};
const soakMinutes = Number(option("--soak-minutes") ?? 0.75);
if (!(soakMinutes > 0 && soakMinutes <= 60)) {
  console.error(`--soak-minutes must be a number of minutes above 0 and at most 60; got ${option("--soak-minutes")}`);
  process.exit(2);
}
const skipUnit = args.includes("--skip-unit");
// A run writes only into coverage/; the committed figures change when asked for.
const RESULTS = "coverage/faults-results.md";
const COMMITTED_RESULTS = "test/faults/RESULTS.md";
const updateResults = args.includes("--update-results");
const FIGURES = "coverage/faults-figures.jsonl";
const FAKE_RUNTIME_REPORT = "coverage/faults-unit-results.json";
/** The scenario each fake-runtime file covers (a file may cover several: its cases are counted together). */
const UNIT_SCENARIOS = [
  ["hostile", "8 hostile input"],
  ["eviction", "5 eviction"],
  ["runtime-drift", "9-14 vanished container, getState() repair, wording drift, runtime outage"],
];
const started = Date.now();

rmSync(FIGURES, { force: true });
rmSync(FAKE_RUNTIME_REPORT, { force: true });

let unitCode = 0;
if (!skipUnit) {
  console.log("[faults] fake-runtime scenarios (test/faults/unit, in workerd)");
  unitCode = runVitest("unit", FAKE_RUNTIME_REPORT, ["test/faults/unit"]).status ?? 1;
}

console.log(`[faults] real-container scenarios (test/faults), soak ${soakMinutes * 60} s`);
const realCode = runSuiteCode({
  label: "faults",
  project: "faults",
  report: "coverage/faults-results.json",
  typecheck: ["test/faults"],
  env: { SOAK_SECONDS: String(Math.round(soakMinutes * 60)) },
});

const table = resultsTable();
writeResults(RESULTS, table);
if (updateResults) writeResults(COMMITTED_RESULTS, table);
process.exit(unitCode || realCode);

/** The table of figures from the real scenarios' lines and the fake-runtime report. */
function resultsTable() {
  const rows = existsSync(FIGURES)
    ? readFileSync(FIGURES, "utf8")
        .split("\n")
        .filter(Boolean)
        .map((line) => JSON.parse(line))
    : [];
  for (const [file, tests] of unitFiles()) {
    const failed = tests.filter((t) => t.status !== "passed").length;
    rows.push({
      scenario: UNIT_SCENARIOS.find(([fragment]) => file.includes(fragment))?.[1] ?? file,
      detail: `${file}: ${tests.length} ${tests.length === 1 ? "case" : "cases"}`,
      sent: tests.length,
      lost: failed,
      started: 0,
      leaks: 0,
      measured: [`passed ${tests.length - failed} of ${tests.length}`],
      runtime: "fake runtime (workerd)",
    });
  }
  rows.sort((a, b) => a.scenario.localeCompare(b.scenario, "en", { numeric: true }));
  const cell = (value) => String(value ?? "").replaceAll("|", "\\|");
  const table = [
    `Last run: ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC, ` +
      `${Math.round((Date.now() - started) / 1000)} s, soak ${soakMinutes * 60} s ` +
      `(\`node scripts/run-faults.mjs ${args.join(" ")}\`).`,
    "",
    "| Scenario | Case | Runtime | Sent | Lost | Failed on purpose | Containers started | Leaks | Measured |",
    "|---|---|---|---:|---:|---:|---:|---:|---|",
    ...rows.map(
      (r) =>
        `| ${cell(r.scenario)} | ${cell(r.detail)} | ${cell(r.runtime)} | ${r.sent} | ${r.lost} | ` +
        `${r.failedOnPurpose ?? 0} | ${r.started} | ${r.leaks} | ${cell((r.measured ?? []).join("; "))} |`,
    ),
    "",
    `Totals: ${rows.reduce((n, r) => n + r.sent, 0)} sent, ${rows.reduce((n, r) => n + r.lost, 0)} lost, ` +
      `${rows.reduce((n, r) => n + r.leaks, 0)} leaks.`,
  ].join("\n");
  console.log(`[faults] figures of ${rows.length} cases`);
  return table;
}

/** Writes `table` between the markers of `resultsFile` (or as a new file). */
function writeResults(resultsFile, table) {
  const START = "<!-- figures:start -->";
  const END = "<!-- figures:end -->";
  const existing = existsSync(resultsFile)
    ? readFileSync(resultsFile, "utf8")
    : `# Faults suite results\n\n${START}\n${END}\n`;
  const before = existing.includes(START) ? existing.slice(0, existing.indexOf(START)) : `${existing}\n`;
  const after = existing.includes(END) ? existing.slice(existing.indexOf(END) + END.length) : "\n";
  writeFileSync(resultsFile, `${before}${START}\n${table}\n${END}${after}`);
  console.log(`[faults] figures written to ${resultsFile}`);
}

/** Test results of the fake-runtime report, by file. */
function unitFiles() {
  if (!existsSync(FAKE_RUNTIME_REPORT)) return [];
  const report = JSON.parse(readFileSync(FAKE_RUNTIME_REPORT, "utf8"));
  return report.testResults.map((file) => [
    file.name.slice(file.name.indexOf("test/faults/")),
    file.assertionResults.map((t) => ({ status: t.status })),
  ]);
}
