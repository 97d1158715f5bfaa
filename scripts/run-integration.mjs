// Runs the integration suite (test/integration: real containers under
// `wrangler dev`). See scripts/lib/run-suite.mjs for Docker set-up,
// --if-available and the closing "integration: N passed, N failed" line.
import { runSuite } from "./lib/run-suite.mjs";

runSuite({
  label: "integration",
  project: "integration",
  report: "coverage/integration-results.json",
  typecheck: ["test/integration"],
});
