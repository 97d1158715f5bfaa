// examples/static-frontend: static assets from the Worker, /api/* from the container.
import { describe, expect, it } from "vitest";
import { containersOf, useExample } from "./example";

const example = useExample("static-frontend");

describe("examples/static-frontend", () => {
  it("serves the page and its script as static assets, without starting a container", async () => {
    const page = await fetch(example.url("/"));
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toContain("text/html");
    expect(await page.text()).toContain("Static frontend + container backend");
    const script = await fetch(example.url("/app.js"));
    expect(script.status).toBe(200);
    expect(await script.text()).toContain("/api/todos");
    expect(containersOf(example.runName)).toHaveLength(0);
  });

  it("routes /api/* to the container: reads and writes go to the same backend", async () => {
    const list = await fetch(example.url("/api/todos"));
    expect(list.status).toBe(200);
    expect(await list.json()).toEqual([{ id: 1, title: "read the examples" }]);
    const created = await fetch(example.url("/api/todos"), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ title: "write a test" }),
    });
    expect(created.status).toBe(201);
    expect(await (await fetch(example.url("/api/todos"))).json()).toHaveLength(2);
    const bad = await fetch(example.url("/api/todos"), { method: "POST", body: "{}" });
    expect(bad.status).toBe(400);
  });

  it("other paths are 404 and do not reach the container", async () => {
    const res = await fetch(example.url("/nope.html"));
    expect(res.status).toBe(404);
    await res.body?.cancel();
  });
});
