// Global setup of the integration suite: one `wrangler dev` for
// test/integration/wrangler.jsonc on real Docker (see test/shared/suite-harness.ts).
// Teardown also removes the snapshot volumes and images workerd made for
// persistDisk during the run: they outlive wrangler.
import { execFileSync } from "node:child_process";
import type { TestProject } from "vitest/node";
import { fixtureWorkerSetup } from "../shared/suite-harness";

const setup = fixtureWorkerSetup({ label: "integration", config: "test/integration/wrangler.jsonc" });

/** Names workerd gives what `snapshotDirectory()` (volumes) and `snapshotContainer()` (images) create. */
const SNAPSHOT_VOLUME_PREFIX = "workerd-snap-";
const SNAPSHOT_IMAGE_PREFIX = "workerd-container-snap-";
const SNAPSHOT_CLONE_PREFIX = "workerd-snap-clone-";

export default async function integrationSetup(project: TestProject): Promise<() => Promise<void>> {
  const startedAt = Date.now();
  const teardown = await setup(project);
  return async () => {
    try {
      await teardown();
    } finally {
      removeSnapshotLeftovers(startedAt);
    }
  };
}

function docker(args: string[]): string {
  return execFileSync("docker", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
}

/**
 * Remove the snapshot volumes and images created since `sinceMs`, found by
 * name prefix (Docker's name filter matches anywhere in the name, so the
 * prefix is checked here too). Nothing else is touched, nor anything older:
 * another run's snapshots stay. Failures are logged, never thrown.
 */
function removeSnapshotLeftovers(sinceMs: number): void {
  const log = (line: string) => console.log(`[integration] ${line}`);
  const recent = (created: string) => Date.parse(created) >= sinceMs - 1_000;
  try {
    const volumes = docker(["volume", "ls", "-q", "--filter", `name=${SNAPSHOT_VOLUME_PREFIX}`])
      .split("\n")
      // Clone volumes (workerd-snap-clone-*) belong to running containers: left alone.
      .filter((name) => name.startsWith(SNAPSHOT_VOLUME_PREFIX) && !name.startsWith(SNAPSHOT_CLONE_PREFIX))
      .filter((name) => recent(docker(["volume", "inspect", "--format", "{{.CreatedAt}}", name])));
    const removed = (args: string[]) => {
      try {
        docker(args);
        return 1;
      } catch (error) {
        log(`could not ${args.join(" ")}: ${(error as Error).message.split("\n")[0]}`);
        return 0;
      }
    };
    let count = 0;
    for (const name of volumes) count += removed(["volume", "rm", name]);
    const images = docker([
      "image",
      "ls",
      "--format",
      "{{.Repository}}:{{.Tag}}\t{{.ID}}",
      "--filter",
      `reference=${SNAPSHOT_IMAGE_PREFIX}*`,
    ])
      .split("\n")
      .map((line) => line.split("\t"))
      .filter(([reference]) => reference?.startsWith(SNAPSHOT_IMAGE_PREFIX))
      .filter(([reference]) => recent(docker(["image", "inspect", "--format", "{{.Created}}", reference!])));
    for (const [reference] of images) count += removed(["image", "rm", reference!]);
    log(`removed ${count} of ${volumes.length} snapshot volume(s) and ${images.length} image(s) of this run`);
  } catch (error) {
    log(`removing the run's snapshot volumes and images failed: ${(error as Error).message}`);
  }
}
