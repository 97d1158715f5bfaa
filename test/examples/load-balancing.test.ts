// examples/load-balancing: getRandom over 3 instances.
import { describe, expect, it } from "vitest";
import { containersOf, useExample } from "./example";

const example = useExample("load-balancing");

describe("examples/load-balancing", () => {
  it("spreads requests over at most 3 instances, more than one of them", async () => {
    const instances = new Map<string, number>();
    for (let i = 0; i < 30; i++) {
      const res = await fetch(example.url(`/?text=request-${i}`));
      expect(res.status).toBe(200);
      const body = (await res.json()) as { instance: string; sha256: string };
      expect(body.sha256).toMatch(/^[0-9a-f]{64}$/);
      instances.set(body.instance, (instances.get(body.instance) ?? 0) + 1);
    }
    // 30 uniform picks out of 3 all landing on one instance: probability 3 / 3^30.
    expect(instances.size).toBeGreaterThan(1);
    expect(instances.size).toBeLessThanOrEqual(3);
    expect(containersOf(example.runName).length).toBe(instances.size);
  });
});
