// Unit tests of the Greeter container, run inside workerd with the fake runtime.
import { env, runInDurableObject } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { FakeContainer } from "workerd-containers/testing";
import type { Greeter } from "../src/index";

function freshGreeter() {
  return env.GREETER.get(env.GREETER.idFromName(crypto.randomUUID()));
}

/** The fake runtime behind a stub (inside the object, where fake controls must run). */
function withFake<R>(stub: DurableObjectStub<Greeter>, fn: (fake: FakeContainer, instance: Greeter) => R | Promise<R>) {
  return runInDurableObject(stub, (instance: Greeter, state) =>
    fn(state.container as unknown as FakeContainer, instance),
  );
}

describe("Greeter", () => {
  it("starts its container on the first call and greets", async () => {
    const greeter = freshGreeter();
    expect(await greeter.greet("Ada")).toBe("Hello, Ada!");
    const starts = await withFake(greeter, (fake, instance) => ({
      runtime: fake.starts.length,
      hook: instance.starts,
    }));
    expect(starts).toEqual({ runtime: 1, hook: 1 });
  });

  it("serves HTTP through the Worker", async () => {
    const response = await exports.default.fetch("http://example.com/hello?who=bob");
    expect(await response.text()).toBe("greeter saw GET /hello");
  });

  it("recovers when the container crashes", async () => {
    const greeter = freshGreeter();
    await greeter.greet("first");
    await withFake(greeter, (fake) => fake.exit(1));
    expect(await greeter.greet("again")).toBe("Hello, again!");
    expect(await withFake(greeter, (fake) => fake.starts.length)).toBe(2);
  });

  it("reports a port that never opens as a clear error", async () => {
    const greeter = freshGreeter();
    const message = await withFake(greeter, async (fake, instance) => {
      fake.ports.delete(8080);
      instance.onError = () => undefined; // keep the test output quiet
      return instance.startAndWaitForPorts({ cancellationOptions: { portReadyTimeoutMS: 300 } }).then(
        () => "started",
        (error: Error) => error.message,
      );
    });
    expect(message).toMatch(/^Failed to verify port 8080 is available: Port 8080 was not ready in time/);
  });
});
