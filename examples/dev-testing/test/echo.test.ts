// The Worker and its container under `wrangler dev`, from Node: startDev()
// builds the image, runs wrangler (adding what this machine lacks: a docker
// wrapper without buildx, a sidecar stand-in without a registry) and stop()
// removes every container it started.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevServer, startDev } from "workerd-containers/dev";

interface Echo {
  greeting: string;
  path: string;
  hostname: string;
}

// This example's wrangler.jsonc, wherever vitest was started (workers-types' ImportMeta has no url).
const config = new URL("../wrangler.jsonc", (import.meta as ImportMeta & { url: string }).url);
let dev: DevServer;

beforeAll(async () => {
  dev = await startDev({ config });
});

afterAll(async () => {
  await dev?.stop();
});

describe("the echo container", () => {
  it("answers from a real container, one per name", async () => {
    const res = await dev.fetch("/echo/alice/hi?x=1");
    expect(res.status).toBe(200);
    const alice = (await res.json()) as Echo;
    expect(alice).toMatchObject({ greeting: "hello from a real container", path: "/echo/alice/hi?x=1" });

    const bob = (await (await dev.fetch("/echo/bob/")).json()) as Echo;
    expect(bob.hostname).not.toBe(alice.hostname);

    const running = (await dev.containers()).filter((c) => !c.sidecar && c.state === "running");
    expect(running).toHaveLength(2);
  });
});
