// The unit tests' harness: fresh objects, access to the fake runtime and hook
// logs, waiting for effects. (helpers.test.ts tests src/helpers.ts.)
import { runInDurableObject } from "cloudflare:test";
import type { FakeContainer } from "../../src/testing";
import { fakeContainerFor } from "../../src/testing";
import type { ContainerEvent } from "../../src";
import { waitFor } from "../shared/wait-for";
import { eventLog, hookLog } from "./objects/containers";

/** Any Durable Object stub (kept structural: tsc gives up instantiating DurableObjectStub<any>). */
type AnyStub = { readonly id: DurableObjectId };

/** A stub for a brand-new object (the pool shares objects between tests). */
export function fresh<T extends Rpc.DurableObjectBranded>(ns: DurableObjectNamespace<T>): DurableObjectStub<T> {
  // Through `any`: tsc gives up (TS2589) instantiating the generic `get` here.
  const untyped: any = ns;
  return untyped.get(untyped.idFromName(crypto.randomUUID()));
}

/** The fake runtime of the object behind `stub` (constructing it if needed). */
export async function fakeOf(stub: AnyStub): Promise<FakeContainer> {
  await inObject(stub, () => undefined);
  const fake = fakeContainerFor(stub.id);
  if (!fake) throw new Error("no fake container installed for this object");
  return fake;
}

/** Hooks recorded by the fixture behind `stub`. */
export function hooks(stub: AnyStub): string[] {
  return hookLog.get(stub.id.toString()) ?? [];
}

/**
 * Waits until `check` passes: the shared `waitFor` for a check made of
 * assertions, which passes once it stops throwing (its value may be
 * undefined), polled every 5 ms since the fake runtime settles in
 * milliseconds. Returns what the check returned.
 */
export async function eventually<T>(check: () => T | Promise<T>, timeoutMs = 15_000): Promise<T> {
  let value!: T;
  await waitFor(
    "the check to pass",
    async () => {
      value = await check();
      return true;
    },
    timeoutMs,
    5,
  );
  return value;
}

/**
 * Run `fn` inside the object, with its fake runtime. Fake controls that end a
 * process (`exit`, `crash`, `runtimeSignal`) must run here: the runtime
 * settles `monitor()` in the object's own I/O context, and so must the fake.
 */
export function inObject<R>(
  stub: AnyStub,
  fn: (instance: any, fake: FakeContainer, state: DurableObjectState) => R | Promise<R>,
): Promise<R> {
  const run = runInDurableObject as unknown as (
    stub: unknown,
    callback: (instance: unknown, state: DurableObjectState) => unknown,
  ) => Promise<unknown>;
  return run(stub, (instance, state) => fn(instance, state.container as unknown as FakeContainer, state)) as Promise<R>;
}

/**
 * The message `fn` rejects with, run inside the object. (A method that throws
 * through an RPC stub is also reported by the test pool as an unhandled
 * rejection on the object's side, so error cases are exercised in-object.)
 */
export function errorOf(stub: AnyStub, fn: (instance: any, fake: FakeContainer) => Promise<unknown>): Promise<string> {
  return inObject(stub, (instance, fake) =>
    fn(instance, fake).then(
      () => "resolved without error",
      (error: unknown) => (error instanceof Error ? error.message : String(error)),
    ),
  );
}

/** The time the object's alarm is armed for, or null. */
export function alarmOf(stub: AnyStub): Promise<number | null> {
  return inObject(stub, (_instance, _fake, state) => state.storage.getAlarm());
}

/** Lifecycle events the fixture behind `stub` received. */
export function events(stub: AnyStub): ContainerEvent[] {
  return eventLog.get(stub.id.toString()) ?? [];
}
