// Shared test helpers: fresh objects, access to the fake runtime and hook logs.
import { runInDurableObject } from "cloudflare:test";
import type { FakeContainer } from "../../src/testing";
import { fakeContainerFor } from "../../src/testing";
import { hookLog } from "./objects/containers";

/** A stub for a brand-new object (the pool shares objects between tests). */
export function fresh<T extends Rpc.DurableObjectBranded | undefined>(ns: DurableObjectNamespace<T>): DurableObjectStub<T> {
  return ns.get(ns.idFromName(crypto.randomUUID()));
}

/** The fake runtime of the object behind `stub` (constructing it if needed). */
export async function fakeOf(stub: DurableObjectStub<any>): Promise<FakeContainer> {
  await runInDurableObject(stub, () => undefined);
  const fake = fakeContainerFor(stub.id);
  if (!fake) throw new Error("no fake container installed for this object");
  return fake;
}

/** Hooks recorded by the fixture behind `stub`. */
export function hooks(stub: DurableObjectStub<any>): string[] {
  return hookLog.get(stub.id.toString()) ?? [];
}

/** Wait until `check` passes (for effects that settle asynchronously), or throw. */
export async function eventually<T>(check: () => T | Promise<T>, timeoutMs = 2_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > until) throw error;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
}
