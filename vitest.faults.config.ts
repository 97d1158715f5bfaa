// Faults suite: real containers under `wrangler dev` crashing, evicted,
// flooded and fed garbage. Run with `npm run test:faults`;
// test/faults/harness.ts starts and stops everything. Each scenario appends
// its figures to coverage/faults-figures.jsonl; scripts/run-faults.mjs turns
// them into a table. One file at a time (one wrangler, one Docker).
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: [process.env.FAULTS_ONLY ?? "test/faults/*.test.ts"],
    environment: "node",
    globalSetup: ["test/faults/harness.ts"],
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 240_000,
    reporters: ["default", ["json", { outputFile: "coverage/faults-results.json" }]],
  },
});
