// `npm test`: every check and suite in order, stopping at the first that
// fails. Each step is an npm script of its own (or the unit summary line),
// printed as it starts. The suites on real containers run with
// --if-available: where Docker cannot be made available each is skipped,
// saying why. The faults suite runs with --skip-unit: its fake-runtime half
// (test/faults/unit) is part of the unit project.
import { spawnSync } from "node:child_process";

const STEPS = [
  ["typecheck", "npm", ["run", "typecheck"]],
  ["lint and format", "npm", ["run", "lint"]],
  ["build", "npm", ["run", "build"]],
  ["unit", "npm", ["run", "test:unit"]],
  ["testing kit", "npm", ["run", "test:testing-kit"]],
  ["cli", "npm", ["run", "test:cli"]],
  ["package", "npm", ["run", "check:package"]],
  ["unit summary", process.execPath, ["scripts/test-summary.mjs"]],
  ["integration", "npm", ["run", "test:integration", "--", "--if-available"]],
  ["real clients", "npm", ["run", "test:real-clients", "--", "--if-available"]],
  ["faults", "npm", ["run", "test:faults", "--", "--if-available", "--skip-unit"]],
  ["examples", "npm", ["run", "test:examples", "--", "--if-available"]],
];

for (const [index, [name, command, args]] of STEPS.entries()) {
  const shown = command === process.execPath ? "node" : command;
  console.log(`\n[npm test] ${index + 1}/${STEPS.length} ${name}: ${shown} ${args.join(" ")}`);
  const { status, signal } = spawnSync(command, args, { stdio: "inherit" });
  if (status !== 0) {
    console.log(`[npm test] stopped: ${name} failed (exit ${status ?? signal})`);
    process.exit(status || 1);
  }
}
