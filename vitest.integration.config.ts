// Integration suite: real containers under `wrangler dev`. Run with
// `npm run test:integration`; test/integration/harness.ts starts and stops
// everything. Node environment; one file at a time (one wrangler, one Docker).
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/integration/**/*.test.ts"],
    environment: "node",
    globalSetup: ["test/integration/harness.ts"],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 240_000,
    // The JSON report feeds scripts/test-summary.mjs ("integration: N passed, N failed").
    reporters: ["default", ["json", { outputFile: "coverage/integration-results.json" }]],
  },
});
