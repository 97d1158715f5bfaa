// Fixture for the persistDisk tests: the main fixture (hooks and events
// recorded) keeping two directories across stops, each 1 KiB in the fake.
import type { PersistDisk } from "../../../src";
import type { FakeContainer } from "../../../src/testing";
import { TestContainer } from "./containers";

export class PersistContainer extends TestContainer {
  override persistDisk: PersistDisk | undefined = { directories: ["/data", "/home/app/"] };
  override swallowErrors = true;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const fake = ctx.container as unknown as FakeContainer;
    // Once per fake: a test's own sizes survive an eviction.
    if (Object.keys(fake.snapshotBytes).length === 0) fake.snapshotBytes = { "/data": 1024, "/home/app": 1024 };
  }
}
