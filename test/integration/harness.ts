// Global setup of the integration suite: one `wrangler dev` for
// test/integration/wrangler.jsonc on real Docker (see test/shared/suite-harness.ts).
import { fixtureWorkerSetup } from "../shared/suite-harness";

export default fixtureWorkerSetup({ label: "integration", config: "test/integration/wrangler.jsonc" });
