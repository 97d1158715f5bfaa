// Global setup of the sandbox suite: one `wrangler dev` for the sandbox Worker
// on real Docker (see test/shared/suite-harness.ts). SANDBOX_CONTAINERS picks
// the `@cloudflare/containers` under the SDK: "ours" (default, this package's
// build) or "original" (the control column, 0.3.7).
import { copyFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { fixtureWorkerSetup } from "../../shared/suite-harness";

const which = process.env.SANDBOX_CONTAINERS ?? "ours";
if (which !== "ours" && which !== "original") {
  throw new Error(`SANDBOX_CONTAINERS=${which}: expected "ours" or "original".`);
}
const config = which === "ours" ? "wrangler.jsonc" : "wrangler.original.jsonc";

// Files the image needs from outside its build context (container/), copied in
// before wrangler builds it: the fixtures' WebSocket server, and capnweb for
// the rpc transport (the library itself, the version the SDK resolves).
const here = dirname(fileURLToPath(import.meta.url));
copyFileSync(join(here, "../../../fixtures/app/websocket.mjs"), join(here, "container/websocket.mjs"));
const sdkRequire = createRequire(createRequire(import.meta.url).resolve("@cloudflare/sandbox"));
const capnwebDir = join(dirname(sdkRequire.resolve("capnweb")), "..");
copyFileSync(join(capnwebDir, "dist/index.js"), join(here, "container/capnweb.js"));
copyFileSync(join(capnwebDir, "LICENSE.txt"), join(here, "container/capnweb.LICENSE.txt"));

export default fixtureWorkerSetup({ label: `sandbox-${which}`, config: `test/real-clients/sandbox/${config}` });
