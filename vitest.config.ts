import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

export default defineConfig({
  plugins: [cloudflareTest({ wrangler: { configPath: "./wrangler.test.jsonc" } })],
  test: {
    // test/faults/unit: the fault scenarios that need the fake runtime (issue 8).
    include: ["test/unit/**/*.test.ts", "test/faults/unit/**/*.test.ts"],
    // The JSON report feeds scripts/test-summary.mjs (the closing "N passed, N failed" line).
    // (scripts/run-faults.mjs runs test/faults/unit alone and points UNIT_REPORT elsewhere.)
    reporters: ["default", ["json", { outputFile: process.env.UNIT_REPORT ?? "coverage/unit-results.json" }]],
    coverage: {
      provider: "istanbul",
      include: ["src/**/*.ts"],
      reporter: ["text-summary", "text"],
    },
  },
});
