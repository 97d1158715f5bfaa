// Global setup of the faults suite: one `wrangler dev` for
// test/faults/wrangler.jsonc on real Docker (see test/shared/suite-harness.ts).
import { fixtureWorkerSetup } from "../shared/suite-harness";

export default fixtureWorkerSetup({ label: "faults", config: "test/faults/wrangler.jsonc" });
