import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

export default defineConfig({
  plugins: [cloudflareTest({ wrangler: { configPath: "./wrangler.test.jsonc" } })],
  test: {
    // test/faults/unit: the fault scenarios that need the fake runtime.
    include: ["test/unit/**/*.test.ts", "test/faults/unit/**/*.test.ts"],
    // Tests wait on effects with generous limits (see test/unit/helpers.ts
    // `eventually`) and pass as soon as the effect shows; the default 5 s would
    // fail a slow but correct run on busy cores.
    testTimeout: 60_000,
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
