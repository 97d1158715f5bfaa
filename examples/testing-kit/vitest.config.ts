import { fileURLToPath } from "node:url";
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

// In your own project, "workerd-containers" comes from node_modules; here it
// resolves to this repository's build (npm run build), the files npm publishes.
const dist = (file: string) => fileURLToPath(new URL(`../../dist/${file}`, import.meta.url));

export default defineConfig({
  plugins: [cloudflareTest({ wrangler: { configPath: "./test/wrangler.test.jsonc" } })],
  resolve: {
    alias: [
      { find: /^workerd-containers\/testing$/, replacement: dist("testing.js") },
      { find: /^workerd-containers$/, replacement: dist("index.js") },
    ],
  },
  test: {
    name: "testing-kit",
    root: fileURLToPath(new URL(".", import.meta.url)),
    include: ["test/**/*.test.ts"],
  },
});
