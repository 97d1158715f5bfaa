// Outbound interception end to end: a process inside a real container makes
// HTTP requests; the Worker's ContainerProxy decides. The fixture app sends
// them through the sidecar stand-in as an explicit proxy (`http_proxy`), since
// the stand-in cannot capture traffic transparently as the real sidecar does.
import { describe, expect, it } from "vitest";
import { proxy, useContainers } from "./client";

const use = useContainers();

interface Outbound {
  status?: number;
  body?: string;
  error?: string;
}

async function fetchFromContainer(name: string, url: string): Promise<Outbound> {
  const res = await proxy("egress", name, `/fetch?url=${encodeURIComponent(url)}`);
  return (await res.json()) as Outbound;
}

describe("outbound interception on a real container", () => {
  it("a request made inside the container is answered by the Worker's per-host handler", async () => {
    const name = use("egress");
    const result = await fetchFromContainer(name, "http://api.example.test/v1/items?x=1");
    expect(result.status).toBe(200);
    expect(JSON.parse(result.body!)).toEqual({
      handledBy: "worker",
      url: "http://api.example.test/v1/items?x=1",
      className: "EgressContainer",
    });
  });

  it("a denied host gets 520, and so does any other host with internet off", async () => {
    const name = use("egress");
    expect(await fetchFromContainer(name, "http://blocked.example.test/")).toMatchObject({
      status: 520,
      body: "Origin is disallowed",
    });
    expect(await fetchFromContainer(name, "http://elsewhere.example.test/")).toMatchObject({ status: 520 });
  });
});
