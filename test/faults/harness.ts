// Global setup of the faults suite: one `wrangler dev` for
// test/faults/wrangler.jsonc on real Docker (see test/shared/suite-harness.ts).
// Figures of an earlier run are cleared first, so the table is of this run only
// when vitest is run directly (scripts/run-faults.mjs clears them too).
import { rmSync } from "node:fs";
import type { TestProject } from "vitest/node";
import { fixtureWorkerSetup } from "../shared/suite-harness";
import { FIGURES_FILE } from "./figures";

const setup = fixtureWorkerSetup({ label: "faults", config: "test/faults/wrangler.jsonc" });

export default function faultsSetup(project: TestProject) {
  rmSync(FIGURES_FILE, { force: true });
  return setup(project);
}
