// Runs the examples' integration tests (test/examples: each example of
// examples/ under its own `wrangler dev` on real containers). See
// scripts/lib/run-suite.mjs for Docker set-up, --if-available and the closing
// "examples: N passed, N failed" line.
import { runSuite } from "./lib/run-suite.mjs";

runSuite({
  label: "examples",
  project: "examples",
  report: "coverage/examples-results.json",
  typecheck: ["examples", "examples/drop-in"],
});
