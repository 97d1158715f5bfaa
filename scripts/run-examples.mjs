// Runs the examples' integration tests (test/examples: each example of
// examples/ under its own `wrangler dev` on real containers) and ends with:
//   examples: N passed, N failed[, N skipped]
// Like scripts/run-integration.mjs: it first runs scripts/setup-docker.sh; with
// --if-available (how `npm test` calls it) a machine without Docker skips the
// tests, saying why; without it (`npm run test:examples-integration`) that fails.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";

const ifAvailable = process.argv.includes("--if-available");
const REPORT = "coverage/examples-results.json";
const started = Date.now();
rmSync(REPORT, { force: true }); // a report from an earlier run must not count

const setup = spawnSync("bash", ["scripts/setup-docker.sh"], { stdio: "inherit" });
if (setup.status !== 0) {
  if (ifAvailable) {
    console.log("examples: skipped (Docker is not available here; scripts/setup-docker.sh said why, above)");
    process.exit(0);
  }
  console.error("examples: not run: Docker is not available (scripts/setup-docker.sh said why, above)");
  process.exit(1);
}

// wrangler bundles the examples without type checks: check them here.
for (const project of ["examples", "examples/drop-in"]) {
  const typecheck = spawnSync(process.execPath, ["node_modules/typescript/bin/tsc", "--noEmit", "-p", project], {
    stdio: "inherit",
  });
  if (typecheck.status !== 0) {
    console.log(`examples: 0 passed, 1 failed (${project} does not type-check)`);
    process.exit(1);
  }
}

const run = spawnSync(
  process.execPath,
  ["node_modules/vitest/vitest.mjs", "run", "--config", "vitest.examples.config.ts"],
  { stdio: "inherit", env: { ...process.env, WORKERD_CONTAINERS_DOCKER_READY: "1" } },
);

const seconds = Math.round((Date.now() - started) / 1000);
if (!existsSync(REPORT)) {
  console.log(`examples: 0 passed, 1 failed (the tests did not run to the end; exit ${run.status ?? run.signal}; ${seconds} s)`);
  process.exit(1);
}
const report = JSON.parse(readFileSync(REPORT, "utf8"));
const skipped = report.numPendingTests + report.numTodoTests;
// A file that could not run (import error, wrangler failed to start) has no failed tests: count it.
const failed = report.numFailedTests || (report.numFailedTestSuites ?? 0);
// Errors outside any test (vitest's "Unhandled Errors") make the run fail: say so.
const errors = failed === 0 && (report.success === false || run.status !== 0) ? ", plus errors outside the tests (see above)" : "";
console.log(`examples: ${report.numPassedTests} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}${errors} (${seconds} s)`);
process.exit(failed === 0 && report.success !== false && run.status === 0 ? 0 : 1);
