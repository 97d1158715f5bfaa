// Real clients: code nobody here wrote, run unchanged on real containers under
// `wrangler dev`. Today: @cloudflare/sandbox (test/real-clients/sandbox).
// Run with `npm run test:real-clients`, which runs the suite on this package
// and again on the original as a control (scripts/run-real-clients.mjs).
import { defineConfig } from "vitest/config";

const which = process.env.SANDBOX_CONTAINERS ?? "ours";

export default defineConfig({
  test: {
    include: ["test/real-clients/**/*.test.ts"],
    environment: "node",
    globalSetup: ["test/real-clients/sandbox/harness.ts"],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 240_000,
    reporters: ["default", ["json", { outputFile: `coverage/real-clients-${which}-results.json` }]],
  },
});
