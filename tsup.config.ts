import { defineConfig } from "tsup";

// ESM + declarations; `cloudflare:workers` is provided by the runtime.
export default defineConfig({
  entry: { index: "src/index.ts", testing: "src/testing/index.ts" },
  format: ["esm"],
  target: "es2022",
  dts: true,
  sourcemap: true,
  clean: true,
  treeshake: true,
  external: ["cloudflare:workers"],
});
