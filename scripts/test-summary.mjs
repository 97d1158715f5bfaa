// Prints the closing line of `npm test` from vitest's JSON report:
// "unit: N passed, N failed" (plus skipped), so CI logs end with one plain count.
import { readFileSync } from "node:fs";

const report = JSON.parse(readFileSync("coverage/unit-results.json", "utf8"));
const skipped = report.numPendingTests + report.numTodoTests;
console.log(
  `unit: ${report.numPassedTests} passed, ${report.numFailedTests} failed${skipped ? `, ${skipped} skipped` : ""}`,
);
process.exit(report.numFailedTests === 0 && report.success !== false ? 0 : 1);
