/**
 * @module testing
 * Test kit: a fake `ctx.container` runtime for unit tests under workerd.
 */

export { FakeContainer, fakeContainerFor, installFakeContainer } from "./fake-runtime";
export type { FakeContainerOptions, FakeRequestRecord, PortHandler } from "./fake-runtime";
