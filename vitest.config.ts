// Every test suite of the repository, one vitest project each. The npm
// scripts and the runners in scripts/ always name the project
// (`vitest run --project <name>`) and, where a runner reads the results, the
// JSON report on the command line (`--outputFile.json=coverage/…`): vitest
// takes reporters for a whole run, not per project.
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig, type TestProjectConfiguration } from "vitest/config";

/** In workerd, with the fixture Durable Objects of wrangler.test.jsonc. */
const UNIT: TestProjectConfiguration = {
  plugins: [cloudflareTest({ wrangler: { configPath: "./wrangler.test.jsonc" } })],
  test: {
    name: "unit",
    // test/faults/unit: the fault scenarios that need the fake runtime.
    include: ["test/unit/**/*.test.ts", "test/faults/unit/**/*.test.ts"],
    // Tests wait on effects with generous limits (`eventually` in
    // test/unit/harness.ts) and pass as soon as the effect shows; the
    // default 5 s would fail a slow but correct run on busy cores.
    testTimeout: 60_000,
  },
};

/** Node-side tests on real containers under `wrangler dev`; image builds come before the first test. */
const REAL_CONTAINERS = { environment: "node", hookTimeout: 240_000 } as const;

const OTHERS: TestProjectConfiguration[] = [
  // The example keeps its own config, the one a user copies; it resolves
  // "workerd-containers" to this repository's dist/.
  "examples/testing-kit/vitest.config.ts",
  {
    // `workerd-containers doctor` (bin/, cli/) in Node, against stub docker
    // commands and temporary projects; one file reads this machine's Docker.
    test: { name: "cli", environment: "node", include: ["test/cli/**/*.test.ts"], testTimeout: 60_000 },
  },
  {
    // test/integration/harness.ts starts one wrangler dev; one file at a time on it.
    test: {
      ...REAL_CONTAINERS,
      name: "integration",
      include: ["test/integration/**/*.test.ts"],
      globalSetup: ["test/integration/harness.ts"],
      fileParallelism: false,
      testTimeout: 120_000,
    },
  },
  {
    // The unmodified @cloudflare/sandbox; SANDBOX_CONTAINERS=original runs it
    // on the original library (the control column of scripts/run-real-clients.mjs).
    test: {
      ...REAL_CONTAINERS,
      name: "real-clients",
      include: ["test/real-clients/**/*.test.ts"],
      globalSetup: ["test/real-clients/sandbox/harness.ts"],
      fileParallelism: false,
      testTimeout: 120_000,
    },
  },
  {
    // Crashes, evictions, bursts, hostile input; each scenario appends its
    // figures to coverage/faults-figures.jsonl for scripts/run-faults.mjs.
    // FAULTS_ONLY narrows the run to one file.
    test: {
      ...REAL_CONTAINERS,
      name: "faults",
      include: [process.env.FAULTS_ONLY ?? "test/faults/*.test.ts"],
      globalSetup: ["test/faults/harness.ts"],
      fileParallelism: false,
      testTimeout: 180_000,
    },
  },
  {
    // Each file starts one example under its own wrangler dev: a few at a time.
    test: {
      ...REAL_CONTAINERS,
      name: "examples",
      // examples/dev-testing keeps its test (startDev from workerd-containers/dev) in the example.
      include: ["test/examples/**/*.test.ts", "examples/dev-testing/test/**/*.test.ts"],
      globalSetup: ["test/examples/setup.ts"],
      maxWorkers: 3,
      testTimeout: 90_000,
    },
  },
];

// Without --project vitest would run every project at once: the Docker
// suites side by side (the faults suite restarts dockerd under the others)
// and the testing kit before a build. A plain `vitest run` runs the unit
// project alone.
const projectChosen = process.argv.some((arg: string) => arg === "--project" || arg.startsWith("--project="));

export default defineConfig({
  test: {
    // Only `npm run test:unit` turns coverage on.
    coverage: {
      provider: "istanbul",
      include: ["src/**/*.ts"],
      reporter: ["text-summary", "text"],
    },
    projects: projectChosen ? [UNIT, ...OTHERS] : [UNIT],
  },
});
