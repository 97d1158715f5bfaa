// Fan-out, concurrency and big bodies on real containers.
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { baseUrl, dockerContainers, hooks, measure, proxy, proxyUrl, useContainers } from "./client";

const use = useContainers();

const MB = 1024 * 1024;
const BIG = 50 * MB;

/** The fixture's byte pattern (byte i = i % 251), produced in chunks. */
function patternStream(total: number): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent >= total) return controller.close();
      const size = Math.min(256 * 1024, total - sent);
      const chunk = new Uint8Array(size);
      for (let i = 0; i < size; i++) chunk[i] = (sent + i) % 251;
      sent += size;
      controller.enqueue(chunk);
    },
  });
}

async function digest(stream: ReadableStream<Uint8Array>): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash("sha256");
  let bytes = 0;
  for await (const chunk of stream) {
    bytes += chunk.length;
    hash.update(chunk);
  }
  return { bytes, sha256: hash.digest("hex") };
}

describe("fan-out and concurrency", () => {
  it("getRandom spreads requests across N instances: N containers", async () => {
    const N = 3;
    const boots = new Set<string>();
    for (let i = 0; i < 30; i++) {
      const res = await fetch(`${baseUrl()}/random/${N}/proxy/echo`);
      expect(res.status).toBe(200);
      boots.add(((await res.json()) as { boot: string }).boot);
    }
    // 30 uniform picks miss one of 3 instances with probability ~1.5e-5.
    expect(boots.size).toBe(N);
    for (let i = 0; i < N; i++) {
      use("random", `instance-${i}`);
      const running = (await dockerContainers("random", `instance-${i}`)).filter((c) => c.status === "running");
      expect(running).toHaveLength(1);
    }
  });

  it("50 concurrent requests at a cold instance share one start and one container", async () => {
    const name = use("app");
    const t = performance.now();
    const replies = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        proxy("app", name, `/echo?i=${i}`).then((r) => r.json() as Promise<{ boot: string; url: string }>),
      ),
    );
    measure("50 concurrent requests at a cold instance, all answered", performance.now() - t);
    expect(new Set(replies.map((r) => r.boot)).size).toBe(1);
    expect(new Set(replies.map((r) => r.url)).size).toBe(50);
    expect(await hooks("app", name)).toEqual(["start"]);
    expect(await dockerContainers("app", name)).toHaveLength(1);
  });
});

describe("big bodies stream", () => {
  it("a 50 MB request body reaches the container intact", async () => {
    const name = use("app");
    await proxy("app", name, "/echo"); // warm: time the body, not the start
    const expected = await digest(patternStream(BIG));
    const t = performance.now();
    const res = await fetch(proxyUrl("app", name, "/count"), {
      method: "POST",
      body: patternStream(BIG),
      duplex: "half",
    } as RequestInit);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(expected);
    measure("50 MB request body", performance.now() - t);
  });

  it("a 50 MB response body arrives intact", async () => {
    const name = use("app");
    await proxy("app", name, "/echo");
    const t = performance.now();
    const res = await proxy("app", name, `/bytes?n=${BIG}`);
    expect(res.status).toBe(200);
    expect(await digest(res.body!)).toEqual(await digest(patternStream(BIG)));
    measure("50 MB response body", performance.now() - t);
  });

  it("a streamed body is echoed back unchanged", async () => {
    const name = use("app");
    const size = 5 * MB;
    const res = await fetch(proxyUrl("app", name, "/stream"), {
      method: "POST",
      body: patternStream(size),
      duplex: "half",
    } as RequestInit);
    expect(res.status).toBe(200);
    expect(await digest(res.body!)).toEqual(await digest(patternStream(size)));
  });
});
