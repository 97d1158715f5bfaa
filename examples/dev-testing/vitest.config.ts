import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// Tests that run in Node against `wrangler dev` on real containers: no
// Workers pool. "workerd-containers/dev" comes from node_modules in your own
// project; here this repository's package.json resolves it (cli/start-dev.mjs).
// In this repository the examples project of ../../vitest.config.ts runs
// test/ too (npm run test:examples), after building the local base image.
export default defineConfig({
  test: {
    name: "dev-testing",
    root: fileURLToPath(new URL(".", import.meta.url)),
    include: ["test/**/*.test.ts"],
    environment: "node",
    // The first start builds the container's image.
    hookTimeout: 240_000,
    testTimeout: 60_000,
  },
});
