// examples/hello: one port, getContainer; the first request starts the container.
import { describe, expect, it } from "vitest";
import { containersOf, useExample } from "./example";

const example = useExample("hello");

describe("examples/hello", () => {
  it("answers from the container, and every request reaches the same one", async () => {
    const first = await fetch(example.url("/"));
    expect(first.status).toBe(200);
    const text = await first.text();
    expect(text).toMatch(/^Hello from the container! You asked for GET \/ \(container \w+/);
    const again = await (await fetch(example.url("/again?x=1"))).text();
    expect(again).toContain("GET /again?x=1");
    // Same container: the hostname in both replies is the same.
    expect(again.match(/container (\w+)/)![1]).toBe(text.match(/container (\w+)/)![1]);
    expect(containersOf(example.runName).filter((c) => c.running)).toHaveLength(1);
  });
});
