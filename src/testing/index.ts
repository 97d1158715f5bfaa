/**
 * @module workerd-containers/testing
 * Test kit for your own `Container` subclasses under
 * `@cloudflare/vitest-plugin`, whose runtime gives Durable Objects no real
 * `ctx.container`: a faithful fake of the runtime's container API, and a
 * wrapper that installs it.
 *
 * @example
 * ```ts
 * // test/worker.ts (the test Worker's main module)
 * import { withFakeContainer } from "workerd-containers/testing";
 * import { MyContainer } from "../src";
 * export const TestContainer = withFakeContainer(MyContainer, (fake) => {
 *   fake.ports.set(8080, () => new Response("hello from the fake"));
 * });
 * ```
 */

import { installFakeContainer, type FakeContainer } from "./fake-runtime";

export { FakeContainer, fakeContainerFor, installFakeContainer } from "./fake-runtime";
export type { FakeContainerOptions, FakeRequestRecord, PortHandler } from "./fake-runtime";
export type { FakeRestoreRecord, FakeSnapshotRecord } from "./fake-runtime";
export type { ExecHandler, FakeExecBehaviour, FakeExecRecord } from "./fake-runtime";

/** Any Durable Object class constructor. */
// biome-ignore lint/suspicious/noExplicitAny: a constructor of any env and extra arguments (parameter variance)
type DurableObjectClass = abstract new (ctx: DurableObjectState, env: any, ...rest: any[]) => object;

/**
 * A subclass of `Base` whose `ctx.container` is a {@link FakeContainer}. The
 * fake is shared by every instance with the same id (it outlives evictions, as
 * a real container does); `configure` runs once when it is created. The
 * subclass keeps `Base`'s name, which outbound interception uses.
 */
export function withFakeContainer<T extends DurableObjectClass>(Base: T, configure?: (fake: FakeContainer) => void): T {
  const Base_ = Base as unknown as new (ctx: DurableObjectState, env: unknown, ...rest: unknown[]) => object;
  const Faked = class extends Base_ {
    constructor(ctx: DurableObjectState, env: unknown, ...rest: unknown[]) {
      installFakeContainer(ctx, configure);
      super(ctx, env, ...rest);
    }
  };
  Object.defineProperty(Faked, "name", { value: Base.name });
  return Faked as unknown as T;
}
