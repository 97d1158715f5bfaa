// The unmodified @cloudflare/sandbox on real containers (worker.ts routes,
// the stand-in container server in container/). The same file runs on this
// package and, as a control, on the original (scripts/run-real-clients.mjs);
// SANDBOX_CONTAINERS says which, and the first test proves the bundle holds it.
//
// Time bounds come from the library (getState().lastChange), never from this
// process's clock; waits poll with generous budgets, since CI has 2 busy cores.
import { request as httpRequest } from "node:http";
import { describe, expect, inject, test } from "vitest";
import { waitFor } from "../../shared/wait-for";

const which = process.env.SANDBOX_CONTAINERS ?? "ours";
const baseUrl = (): string => inject("baseUrl");
/** A fresh sandbox per test; lowercase, as preview URLs require. */
const freshId = (): string => `t${crypto.randomUUID().slice(0, 8)}`;

type Options = Record<string, unknown> | undefined;
interface CallResult<T = unknown> {
  ok: boolean;
  value?: T;
  error?: string;
  ms: number;
}

/** `getSandbox(env.Sandbox, id, options)[method](...args)` inside the Worker. */
async function call<T = unknown>(id: string, method: string, args: unknown[] = [], options?: Options): Promise<T> {
  const res = await fetch(`${baseUrl()}/call`, { method: "POST", body: JSON.stringify({ id, method, args, options }) });
  const result = (await res.json()) as CallResult<T>;
  if (!result.ok) throw new Error(`${method} failed: ${result.error}`);
  return result.value as T;
}

interface ExecResult {
  success: boolean;
  exitCode: number;
  stdout: string;
  stderr: string;
}
interface ExecEvent {
  type: string;
  data?: string;
  exitCode?: number;
}
interface State {
  status: string;
  lastChange: number;
}
interface ProcessData {
  id: string;
  status: string;
  command: string;
}

const exec = (id: string, command: string, options?: Options) => call<ExecResult>(id, "exec", [command], options);

async function state(id: string): Promise<State> {
  const res = await fetch(`${baseUrl()}/state/${id}`);
  return (await res.json()) as State;
}

/** Polls the object's state until it is `status`; returns that state. */
function waitForStatus(id: string, status: string, timeoutMs = 60_000): Promise<State> {
  return waitFor(
    `sandbox ${id} to be ${status}`,
    async () => {
      const now = await state(id);
      return now.status === status ? now : undefined;
    },
    timeoutMs,
  );
}

/** A request to a preview URL: sent to wrangler, with the preview host in Host (what DNS would do). */
function previewGet(
  previewUrl: string,
  path: string,
): Promise<{ status: number; length: number | undefined; bytes: number; body: string }> {
  const preview = new URL(previewUrl);
  const local = new URL(baseUrl());
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: local.hostname, port: local.port, path, method: "GET", headers: { host: preview.host } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => {
          const body = Buffer.concat(chunks);
          // The stand-in states the size it sends in x-drip-bytes (content-length may not survive a proxy).
          const length = res.headers["x-drip-bytes"] ?? res.headers["content-length"];
          resolve({
            status: res.statusCode ?? 0,
            length: length === undefined ? undefined : Number(length),
            bytes: body.length,
            body: body.subarray(0, 200).toString(),
          });
        });
        res.on("error", reject);
        res.on("aborted", () =>
          reject(new Error(`preview response cut off after ${chunks.reduce((n, c) => n + c.length, 0)} bytes`)),
        );
      },
    );
    req.on("error", reject);
    req.end();
  });
}

/**
 * exposePort(8080) on a hostname that routes back to this wrangler:
 * `localhost:<port>` (on an IP address the SDK cannot add its subdomain).
 */
async function expose(id: string, options?: Options): Promise<string> {
  const hostname = `localhost:${new URL(baseUrl()).port}`;
  const { url } = await call<{ url: string }>(id, "exposePort", [8080, { hostname }], options);
  return url;
}

describe(`@cloudflare/sandbox on ${
  which === "ours" ? "workerd-containers" : "the original @cloudflare/containers"
}`, () => {
  test("the SDK's own import of @cloudflare/containers resolves to the library under test", async () => {
    const res = await fetch(`${baseUrl()}/which`);
    expect(await res.json()).toEqual({
      containers: which === "ours" ? "workerd-containers" : "original",
      sandboxExtendsIt: true,
    });
  });

  test("exec returns stdout and the exit code", async () => {
    const id = freshId();
    const ok = await exec(id, `node -e "console.log('hello from the sandbox')"`);
    expect(ok).toMatchObject({ success: true, exitCode: 0, stdout: "hello from the sandbox\n" });
    const failed = await exec(id, `node -e "console.error('bad'); process.exit(3)"`);
    expect(failed).toMatchObject({ success: false, exitCode: 3, stderr: "bad\n" });
    expect((await state(id)).status).toBe("healthy");
  });

  test("execStream delivers start, output and complete events in order", async () => {
    const id = freshId();
    const res = await fetch(`${baseUrl()}/stream`, {
      method: "POST",
      body: JSON.stringify({ id, command: `node -e "console.log('one'); setTimeout(() => console.log('two'), 300)"` }),
    });
    const result = (await res.json()) as CallResult & { events?: ExecEvent[] };
    expect(result.error).toBeUndefined();
    const events = result.events!;
    expect(events[0]!.type).toBe("start");
    expect(events.at(-1)).toMatchObject({ type: "complete", exitCode: 0 });
    const output = events
      .filter((e) => e.type === "stdout")
      .map((e) => e.data)
      .join("");
    expect(output).toBe("one\ntwo\n");
  });

  test("writeFile then readFile returns the same text", async () => {
    const id = freshId();
    const text = "line 1\nünïcödé ✓\n";
    await call(id, "writeFile", ["/tmp/note.txt", text]);
    const read = await call<{ content: string }>(id, "readFile", ["/tmp/note.txt"]);
    expect(read.content).toBe(text);
  });

  test("startProcess runs in the background and listProcesses shows it", async () => {
    const id = freshId();
    const started = await call<ProcessData>(id, "startProcess", [`node -e "setInterval(() => {}, 1000)"`]);
    expect(started.id).toEqual(expect.any(String));
    const listed = await call<ProcessData[]>(id, "listProcesses");
    expect(listed.find((p) => p.id === started.id)).toMatchObject({ status: "running" });
    await call(id, "killProcess", [started.id]);
    await waitFor("the killed process to leave the running state", async () => {
      const after = await call<ProcessData[]>(id, "listProcesses");
      return after.find((p) => p.id === started.id)?.status !== "running";
    });
  });

  test("exposePort gives a preview URL that proxyToSandbox routes to the container's port", async () => {
    const id = freshId();
    const url = await expose(id);
    expect(new URL(url).hostname.startsWith(`8080-${id}-`)).toBe(true);
    const res = await previewGet(url, "/hello");
    expect(res).toMatchObject({ status: 200, body: "hello from preview" });
  });

  // The stand-in tells each command which transport carried it (SANDBOX_STANDIN_TRANSPORT).
  const whichTransport = `node -e "console.log(process.env.SANDBOX_STANDIN_TRANSPORT)"`;

  test.each(["websocket", "rpc"])("the %s transport carries exec and files", async (transport) => {
    const id = freshId();
    const options = { transport };
    // The first call starts the container; while the SDK's own calls from
    // onStart connect, it may send a request over plain HTTP. Later ones use the transport.
    await exec(id, `node -e "1"`, options);
    const via = await exec(id, whichTransport, options);
    expect(via).toMatchObject({ exitCode: 0, stdout: `${transport}\n` });
    await call(id, "writeFile", ["/tmp/t.txt", `over ${transport}`], options);
    expect((await call<{ content: string }>(id, "readFile", ["/tmp/t.txt"], options)).content).toBe(
      `over ${transport}`,
    );
  });

  test("destroy() stops the container and the state says stopped", async () => {
    const id = freshId();
    await exec(id, `node -e "1"`);
    expect((await state(id)).status).toBe("healthy");
    await call(id, "destroy");
    const after = await waitForStatus(id, "stopped");
    expect(after.status).toBe("stopped");
  });

  test("sleepAfter puts an idle sandbox to sleep, no sooner than sleepAfter", async () => {
    const id = freshId();
    const options = { sleepAfter: "3s" };
    await exec(id, `node -e "1"`, options);
    const awake = await state(id);
    expect(awake.status).toBe("healthy");
    const asleep = await waitForStatus(id, "stopped");
    expect(asleep.lastChange - awake.lastChange).toBeGreaterThanOrEqual(3_000);
  });

  test("keepAlive keeps an idle sandbox running past sleepAfter, until it is turned off", async () => {
    const id = freshId();
    const options = { sleepAfter: "3s", keepAlive: true };
    await exec(id, `node -e "1"`, options);
    const awake = await state(id);
    // Three sleepAfter periods with no request: without keepAlive it would have stopped.
    await new Promise((resolve) => setTimeout(resolve, 9_000));
    expect(await state(id)).toEqual(awake);
    await call(id, "setKeepAlive", [false], options);
    const asleep = await waitForStatus(id, "stopped");
    expect(asleep.lastChange - awake.lastChange).toBeGreaterThanOrEqual(9_000);
  });

  test("a preview response that lasts longer than sleepAfter arrives whole", async () => {
    const id = freshId();
    const options = { sleepAfter: "3s" };
    const url = await expose(id, options);
    const awake = await state(id);
    expect(awake.status).toBe("healthy");
    // 8 s of streaming, more than twice sleepAfter; the SDK marks it busy via inflightRequests.
    const res = await previewGet(url, "/drip?ms=8000&chunks=64");
    expect(res.status).toBe(200);
    expect(res.length).toBe(64 * 1024);
    expect(res.bytes).toBe(res.length);
    // It sleeps afterwards, and not before the stream was over.
    const asleep = await waitForStatus(id, "stopped");
    expect(asleep.lastChange - awake.lastChange).toBeGreaterThanOrEqual(8_000);
  });

  test("a busy rpc session longer than sleepAfter keeps the sandbox awake until it is done", async () => {
    const id = freshId();
    const options = { transport: "rpc", sleepAfter: "3s" };
    await exec(id, `node -e "1"`, options);
    const awake = await state(id);
    expect(awake.status).toBe("healthy");
    // 8 s in one call, more than twice sleepAfter. The SDK marks the session
    // busy via inflightRequests; here the session's open WebSocket to the
    // container counts as activity too, so this holds even without that
    // (the preview test above is the one that needs inflightRequests).
    const slow = await exec(id, `node -e "setTimeout(() => console.log('finished'), 8000)"`, options);
    expect(slow).toMatchObject({ exitCode: 0, stdout: "finished\n" });
    const asleep = await waitForStatus(id, "stopped");
    expect(asleep.lastChange - awake.lastChange).toBeGreaterThanOrEqual(8_000);
  });
});
