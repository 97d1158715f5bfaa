// The last line of a CI run: every suite's counts added up, as
// "total: N passed, N failed[, N skipped]", read from the vitest JSON reports.
import { existsSync, readFileSync } from "node:fs";

const reports = [
  "coverage/unit-results.json",
  "coverage/testing-kit-results.json",
  "coverage/cli-results.json",
  "coverage/integration-results.json",
  "coverage/real-clients-ours-results.json",
  "coverage/faults-results.json",
  "coverage/examples-results.json",
].filter((file) => existsSync(file));
let passed = 0;
let failed = 0;
let skipped = 0;
for (const file of reports) {
  const report = JSON.parse(readFileSync(file, "utf8"));
  passed += report.numPassedTests;
  failed += report.numFailedTests || (report.numFailedTestSuites ?? 0);
  skipped += report.numPendingTests + report.numTodoTests;
}
console.log(`total: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
process.exit(failed === 0 && reports.length > 0 ? 0 : 1);
