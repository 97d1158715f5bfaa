// A Worker that uses the unmodified @cloudflare/sandbox from npm. Which
// `@cloudflare/containers` it runs on is chosen by the wrangler config: this
// package's build (wrangler.jsonc, the alias a user of this package sets up)
// or the original 0.3.7 (wrangler.original.jsonc, the control). Nothing here
// knows which one it got.
//
// Routes (sandbox.test.ts drives them; JSON in, JSON out):
//   POST /call      { id, options?, method, args }  getSandbox(env.Sandbox, id, options)[method](...args)
//                                                   → { ok, value | error, ms }
//   POST /stream    { id, options?, command }       execStream, parsed with the SDK's parseSSEStream
//                                                   → { ok, events | error }
//   GET  /state/:id                                 the Durable Object's getState() (a Container method)
//   GET  /which                                     which @cloudflare/containers the bundle holds
//   anything else                                   proxyToSandbox (preview URLs), else 404
import { Container } from "@cloudflare/containers";
import { getSandbox, parseSSEStream, proxyToSandbox, Sandbox } from "@cloudflare/sandbox";

export { ContainerProxy, Sandbox } from "@cloudflare/sandbox";

interface Env {
  Sandbox: DurableObjectNamespace<Sandbox>;
}

type SandboxOptions = Parameters<typeof getSandbox>[2];

interface CallBody {
  id: string;
  options?: SandboxOptions;
  method: string;
  args?: unknown[];
}

/** The SDK calls a test may make through /call. */
const CALLABLE = new Set([
  "exec",
  "writeFile",
  "readFile",
  "startProcess",
  "listProcesses",
  "getProcess",
  "killProcess",
  "exposePort",
  "unexposePort",
  "getExposedPorts",
  "destroy",
  "setKeepAlive",
  "setSleepAfter",
]);

const json = (value: unknown, status = 200) => Response.json(value, { status });

/** Errors cross RPC as plain Errors; keep what a test reads. */
function failure(error: unknown, started: number) {
  return { ok: false, error: error instanceof Error ? error.message : String(error), ms: Date.now() - started };
}

/** A process handle carries methods (RPC stubs): keep only its data. */
function processData(process: unknown) {
  const { id, pid, command, status, exitCode } = process as Record<string, unknown>;
  return { id, pid, command, status, exitCode };
}

/** What a call returned, as JSON can carry it. */
function plain(method: string, value: unknown): unknown {
  if (method === "startProcess" || method === "getProcess") return value ? processData(value) : null;
  if (method === "listProcesses") return (value as unknown[]).map(processData);
  return value ?? null;
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    if (request.method === "POST" && url.pathname === "/call") {
      const body = (await request.json()) as CallBody;
      const started = Date.now();
      if (!CALLABLE.has(body.method)) return json(failure(new Error(`not callable: ${body.method}`), started), 400);
      try {
        const sandbox = getSandbox(env.Sandbox, body.id, body.options) as unknown as Record<
          string,
          (...a: unknown[]) => Promise<unknown>
        >;
        const value = await sandbox[body.method]!(...(body.args ?? []));
        return json({ ok: true, value: plain(body.method, value), ms: Date.now() - started });
      } catch (error) {
        return json(failure(error, started));
      }
    }
    if (request.method === "POST" && url.pathname === "/stream") {
      const body = (await request.json()) as { id: string; options?: SandboxOptions; command: string };
      const started = Date.now();
      try {
        const stream = await getSandbox(env.Sandbox, body.id, body.options).execStream(body.command);
        const events: unknown[] = [];
        for await (const event of parseSSEStream(stream)) events.push(event);
        return json({ ok: true, events, ms: Date.now() - started });
      } catch (error) {
        return json(failure(error, started));
      }
    }
    if (url.pathname === "/which") {
      // Only this package's Container has lifecycle events (onEvent): proof
      // that the alias reached the SDK's own import, not just this file's.
      const ours = typeof (Container.prototype as unknown as Record<string, unknown>).onEvent === "function";
      return json({
        containers: ours ? "workerd-containers" : "original",
        sandboxExtendsIt: Object.getPrototypeOf(Sandbox) === Container,
      });
    }
    const state = url.pathname.match(/^\/state\/([^/]+)$/);
    if (state) {
      const stub = env.Sandbox.get(env.Sandbox.idFromName(decodeURIComponent(state[1]!)));
      return json(await stub.getState());
    }
    return (await proxyToSandbox(request, env)) ?? new Response("not found", { status: 404 });
  },
};
