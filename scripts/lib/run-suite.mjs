// Runs a suite that needs real containers (a project of vitest.config.ts:
// integration, real-clients, faults, examples) and ends with one line:
//   <label>: N passed, N failed[, N skipped] (T s)
// It first runs scripts/setup-docker.sh, which installs and starts Docker when
// it can. With --if-available (how `npm test` calls the runners) a machine
// where Docker cannot be made available skips the suite, saying why; without
// it that is a failure. The Workers are bundled by wrangler without type
// checks, so the given TypeScript projects (tsconfig.json folders) are
// type-checked first.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";

/**
 * Runs the suite and exits with its result.
 * @param {{ label: string, project: string, report: string, typecheck: string[], env?: Record<string, string> }} suite
 */
export function runSuite(suite) {
  process.exit(runSuiteCode(suite));
}

/**
 * Runs the suite; returns the exit code (0: passed, or skipped with --if-available).
 * @param {{ label: string, project: string, report: string, typecheck: string[], env?: Record<string, string> }} suite
 */
export function runSuiteCode({ label, project, report: reportFile, typecheck, env = {} }) {
  const ifAvailable = process.argv.includes("--if-available");
  const started = Date.now();
  rmSync(reportFile, { force: true }); // a report from an earlier run must not count

  const setup = spawnSync("bash", ["scripts/setup-docker.sh"], { stdio: "inherit" });
  if (setup.status !== 0) {
    if (ifAvailable) {
      console.log(`${label}: skipped (Docker is not available here; scripts/setup-docker.sh said why, above)`);
      return 0;
    }
    console.error(`${label}: not run: Docker is not available (scripts/setup-docker.sh said why, above)`);
    return 1;
  }

  for (const project of typecheck) {
    const checked = spawnSync(process.execPath, ["node_modules/typescript/bin/tsc", "--noEmit", "-p", project], {
      stdio: "inherit",
    });
    if (checked.status !== 0) {
      console.log(`${label}: 0 passed, 1 failed (${project} does not type-check)`);
      return 1;
    }
  }

  const run = runVitest(project, reportFile, [], { WORKERD_CONTAINERS_DOCKER_READY: "1", ...env });

  const seconds = Math.round((Date.now() - started) / 1000);
  if (!existsSync(reportFile)) {
    console.log(
      `${label}: 0 passed, 1 failed (the tests did not run to the end; exit ${run.status ?? run.signal}; ${seconds} s)`,
    );
    return 1;
  }
  const report = JSON.parse(readFileSync(reportFile, "utf8"));
  const skipped = report.numPendingTests + report.numTodoTests;
  // A file that could not run (import error, failed setup) has no failed tests: count it.
  const failed = report.numFailedTests || (report.numFailedTestSuites ?? 0);
  // Errors outside any test (vitest's "Unhandled Errors") make the run fail: say so.
  const errors =
    failed === 0 && (report.success === false || run.status !== 0) ? ", plus errors outside the tests (see above)" : "";
  console.log(
    `${label}: ${report.numPassedTests} passed, ${failed} failed` +
      `${skipped ? `, ${skipped} skipped` : ""}${errors} (${seconds} s)`,
  );
  return failed === 0 && report.success !== false && run.status === 0 ? 0 : 1;
}

/**
 * Runs one project of vitest.config.ts with vitest's usual output and a JSON
 * report at `reportFile` (reporters are set per run, so the path comes from
 * here, not from the config). `args` narrow the run, e.g. to a folder.
 * @param {string} project
 * @param {string} reportFile
 * @param {string[]} [args]
 * @param {Record<string, string>} [env]
 */
export function runVitest(project, reportFile, args = [], env = {}) {
  // process.execPath is the Node that npm put first on PATH (Node 22, the `node` devDependency).
  return spawnSync(
    process.execPath,
    [
      "node_modules/vitest/vitest.mjs",
      "run",
      "--project",
      project,
      "--reporter=default",
      "--reporter=json",
      `--outputFile.json=${reportFile}`,
      ...args,
    ],
    { stdio: "inherit", env: { ...process.env, ...env } },
  );
}
