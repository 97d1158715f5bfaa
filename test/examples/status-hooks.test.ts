// examples/status-hooks: onStart / onStop / onError and the getState() endpoint.
import { describe, expect, it } from "vitest";
import { useExample, waitFor } from "./example";

const example = useExample("status-hooks");
const json = async (path: string, method = "GET") => (await fetch(example.url(path), { method })).json();
const events = async () => ((await json("/events")) as string[]).map((line) => line.slice(line.indexOf(" ") + 1));

describe("examples/status-hooks", () => {
  it("reports stopped before the first request, then running after it, with onStart logged", async () => {
    expect(await json("/state")).toMatchObject({ status: "stopped" });
    const res = await fetch(example.url("/"));
    expect(await res.text()).toMatch(/^container up for/);
    expect((await json("/state")) as { status: string }).toMatchObject({
      status: expect.stringMatching(/^(running|healthy)$/),
    });
    expect(await events()).toEqual(["start"]);
  });

  it("stop() ends in onStop with exit code 0 and state stopped", async () => {
    await json("/stop", "POST");
    await waitFor("stopped", async () => ((await json("/state")) as { status: string }).status === "stopped");
    expect(await events()).toEqual(["start", "stop exitCode=0 reason=exit"]);
  });

  it("a crash shows up in onStop with its exit code", async () => {
    await (await fetch(example.url("/"))).text(); // start again
    const res = await fetch(example.url("/crash"), { method: "POST" });
    expect(await res.text()).toContain("exiting with code 3");
    await waitFor("onStop with exit code 3", async () => (await events()).includes("stop exitCode=3 reason=exit"));
  });

  it("a start that cannot get ready reaches onError", async () => {
    // Make sure nothing runs (the crash above may have been restarted by Docker).
    await json("/stop", "POST");
    await waitFor("stopped", async () => /^stopped/.test(((await json("/state")) as { status: string }).status));
    const { error } = (await json("/bad-start", "POST")) as { error: string };
    expect(error).toBeTruthy();
    await waitFor("onError", async () => (await events()).some((event) => event.startsWith("error ")));
  });
});
