// examples/drop-in: a Worker written for @cloudflare/containers, run unchanged.
import { describe, expect, it } from "vitest";
import { useExample } from "./example";

const example = useExample("drop-in");

describe("examples/drop-in", () => {
  it("getContainer per id: the class's envVars reach the container; ids get their own container", async () => {
    const a = await (await fetch(example.url("/container/a"))).json();
    const a2 = await (await fetch(example.url("/container/a"))).json();
    const b = await (await fetch(example.url("/container/b"))).json();
    expect(a).toMatchObject({ path: "/container/a", message: "set by the Container class" });
    expect(a2.instance).toBe(a.instance);
    expect(b.instance).not.toBe(a.instance);
  });

  it("getRandom and the default singleton answer too", async () => {
    expect(await (await fetch(example.url("/lb"))).json()).toMatchObject({ path: "/lb" });
    expect(await (await fetch(example.url("/singleton"))).json()).toMatchObject({ path: "/singleton" });
  });
});
