// Named images on real containers (wrangler's containers[].images, read
// through ctx.container.images): a name resolves to its reference, a start
// option picks another, and a name nobody configured is refused naming them.
import { describe, expect, it } from "vitest";
import { proxy, rpc, useContainers } from "./client";

const useContainer = useContainers();

describe("named images", () => {
  it("containerImage names the image a request starts; inspect() reports its reference", async () => {
    const name = useContainer("named");
    const images = (await rpc("named", name, "images")).value as Record<string, string>;
    expect(Object.keys(images).sort()).toEqual(["app", "bare"]);
    expect((await proxy("named", name, "/echo")).status).toBe(200);
    expect(await rpc("named", name, "inspect")).toMatchObject({ ok: true, value: { image: images.app } });
  });

  it("a start option picks another named image", async () => {
    const name = useContainer("named");
    const images = (await rpc("named", name, "images")).value as Record<string, string>;
    const started = await rpc("named", name, "start", { image: "bare" });
    expect(started.error).toBeUndefined();
    expect(await rpc("named", name, "inspect")).toMatchObject({ ok: true, value: { image: images.bare } });
  });

  it("a name that is not configured fails the start, naming the configured ones", async () => {
    const name = useContainer("named");
    const refused = await rpc("named", name, "start", { image: "nope" });
    expect(refused.ok).toBe(false);
    expect(refused.error).toMatch(/^No image "nope" is available to this container: configured named images are /);
    expect(refused.error).toContain('"app"');
    expect(refused.error).toContain('"bare"');
  });
});
