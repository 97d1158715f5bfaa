// Runs the integration suite (test/integration: real containers under
// `wrangler dev`, issue 4) and ends with one line:
//   integration: N passed, N failed[, N skipped]
// It first runs scripts/setup-docker.sh, which installs and starts Docker
// when it can. With --if-available (how `npm test` calls it) a machine where
// Docker cannot be made available skips the suite, saying why; without it
// (`npm run test:integration`) that is a failure.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";

const ifAvailable = process.argv.includes("--if-available");
const REPORT = "coverage/integration-results.json";
const started = Date.now();

const setup = spawnSync("bash", ["scripts/setup-docker.sh"], { stdio: "inherit" });
if (setup.status !== 0) {
  if (ifAvailable) {
    console.log("integration: skipped (Docker is not available here; scripts/setup-docker.sh said why, above)");
    process.exit(0);
  }
  console.error("integration: not run: Docker is not available (scripts/setup-docker.sh said why, above)");
  process.exit(1);
}

// The Worker is bundled by wrangler without type checks: check it here.
const typecheck = spawnSync(process.execPath, ["node_modules/typescript/bin/tsc", "--noEmit", "-p", "test/integration"], {
  stdio: "inherit",
});
if (typecheck.status !== 0) {
  console.log("integration: 0 passed, 1 failed (test/integration/worker.ts does not type-check)");
  process.exit(1);
}

rmSync(REPORT, { force: true });
// process.execPath is the Node that npm put first on PATH (Node 22, the `node` devDependency).
const run = spawnSync(
  process.execPath,
  ["node_modules/vitest/vitest.mjs", "run", "--config", "vitest.integration.config.ts"],
  { stdio: "inherit", env: { ...process.env, WORKERD_CONTAINERS_DOCKER_READY: "1" } },
);

const seconds = Math.round((Date.now() - started) / 1000);
if (!existsSync(REPORT)) {
  console.log(`integration: 0 passed, 1 failed (the suite did not run to the end; exit ${run.status ?? run.signal}; ${seconds} s)`);
  process.exit(1);
}
const report = JSON.parse(readFileSync(REPORT, "utf8"));
const skipped = report.numPendingTests + report.numTodoTests;
// A file that could not run (import error, failed setup) has no failed tests: count it.
const failed = report.numFailedTests || (report.numFailedTestSuites ?? 0);
console.log(
  `integration: ${report.numPassedTests} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""} (${seconds} s)`,
);
process.exit(failed === 0 && report.success !== false && run.status === 0 ? 0 : 1);
