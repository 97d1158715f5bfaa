import { env, evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { eventually, fakeOf, fresh, hooks } from "./helpers";

describe("starting", () => {
  it("a request cold-starts the container, waits for the port, then onStart runs once", async () => {
    const stub = fresh(env.TEST);
    const res = await stub.fetch("http://example.com/hello");
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ server: "echo", method: "GET", url: "http://example.com/hello" });
    const state = await stub.getState();
    expect(state.status).toBe("healthy");
    expect(hooks(stub)).toEqual(["start"]);
    const fake = await fakeOf(stub);
    expect(fake.starts).toHaveLength(1);
    await stub.fetch("http://example.com/again");
    expect(fake.starts).toHaveLength(1);
    expect(hooks(stub)).toEqual(["start"]);
  });

  it("concurrent cold requests share one start", async () => {
    const stub = fresh(env.TEST);
    const fake = await fakeOf(stub);
    fake.listenDelayMs = 50;
    const responses = await Promise.all(Array.from({ length: 40 }, (_, i) => stub.fetch(`http://c/${i}`)));
    expect(responses.map((r) => r.status)).toEqual(Array(40).fill(200));
    expect(fake.starts).toHaveLength(1);
    expect(hooks(stub)).toEqual(["start"]);
  });
});
