// examples/outbound: the Worker adds the credential to the container's calls to
// the API and blocks every other host. The container sends HTTP through the
// local sidecar stand-in as an explicit proxy (http_proxy).
import { describe, expect, it } from "vitest";
import { useExample } from "./example";

const example = useExample("outbound");

interface Relay {
  asked: string;
  upstreamStatus: number;
  upstreamBody: string;
}

describe("examples/outbound", () => {
  it("the API call leaves the container without a key and arrives with the Worker's", async () => {
    const relay = (await (await fetch(example.url("/forecast?city=Lyon"))).json()) as Relay;
    expect(relay.asked).toBe("http://api.weather.example/v1/forecast?city=Lyon");
    expect(relay.upstreamStatus).toBe(200);
    expect(JSON.parse(relay.upstreamBody)).toEqual({ city: "Lyon", forecast: "sunny", source: "api.weather.example" });
  });

  it("any other host is blocked", async () => {
    const relay = (await (
      await fetch(example.url(`/fetch?url=${encodeURIComponent("http://example.com/")}`))
    ).json()) as Relay;
    expect(relay.upstreamStatus).toBe(520);
  });
});
