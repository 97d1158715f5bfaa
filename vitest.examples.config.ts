// The examples' integration tests (test/examples): each file runs one example
// of examples/ under its own `wrangler dev` on real containers. Run with
// `npm run test:examples-integration` (scripts/run-examples.mjs).
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/examples/**/*.test.ts"],
    environment: "node",
    globalSetup: ["test/examples/setup.ts"],
    // A few examples at a time: each is its own wrangler dev and containers.
    maxWorkers: 3,
    testTimeout: 90_000,
    hookTimeout: 240_000,
    // The JSON report feeds scripts/run-examples.mjs and scripts/ci-summary.mjs.
    reporters: ["default", ["json", { outputFile: "coverage/examples-results.json" }]],
  },
});
