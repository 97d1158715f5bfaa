// Global setup of the examples' integration tests: Docker answers
// (scripts/setup-docker.sh, unless scripts/run-examples.mjs just ran it) and
// the local base images exist. Each test file then starts its own example
// under `wrangler dev` (example.ts).
import { execFileSync } from "node:child_process";
import { join } from "node:path";
// @ts-expect-error plain JavaScript module shared with the command line
import { buildFixtureImages } from "../../fixtures/build-images.mjs";
import { ROOT } from "../../scripts/lib/devserver.mjs";

const log = (line: string) => console.log(`[examples] ${line}`);

export default function setup(): void {
  if (process.env.WORKERD_CONTAINERS_DOCKER_READY !== "1") {
    log("making Docker available (scripts/setup-docker.sh)");
    execFileSync("bash", [join(ROOT, "scripts/setup-docker.sh")], { stdio: "inherit" });
  }
  log("building the base images");
  buildFixtureImages(log);
}
