// What the Workers of the real-container suites (test/integration,
// test/faults) share: a Container that records its hook calls in storage, and
// the HTTP routes the Node-side tests drive it through. The Durable Objects
// use this package's public API only, on the fixture app image
// (fixtures/app/server.mjs lists the routes the container serves).
//
// Routes (test/integration/client.ts builds these URLs):
//   /<kind>/<name>/proxy/<path>        stub.fetch(request for /<path>)
//   /<kind>/<name>/port/<p>/<path>     stub.fetch(switchPort(request, p))
//   /<kind>/<name>/rpc/<method>        run a method inside the object;
//                                      JSON body = args; answers {ok, value | error, ms}
//   /random/<n>/proxy/<path>           getRandom(<random kind's namespace>, n).fetch(...)
//   /docker/<kind>/<name>              "<class>-<id>": what Docker's container name contains
import { Container, getContainer, getRandom, switchPort } from "../../src";
import type { ContainerEvent, StopParams } from "../../src";
import { type CallResult, callMethod } from "./call-method";

const HOOKS_KEY = "it:hooks";
const EVENTS_KEY = "it:events";

/** A lifecycle event as the fixture keeps it: the library's own fields, an error as its message. */
export type RecordedEvent = Record<string, unknown> & { type: ContainerEvent["type"]; at: number };

/** Records every hook call in storage, so tests can read them after the fact. */
export class RecordingContainer<Env = unknown> extends Container<Env> {
  override defaultPort = 8080;
  override sleepAfter: string | number = "2m";

  /** Methods a test may run through `call` (subclasses add theirs). */
  protected callable = new Set([
    "start",
    "startAndWaitForPorts",
    "stop",
    "destroy",
    "getState",
    "hooks",
    "events",
    "waitForPort",
    "execOutput",
    "execStdout",
    "inspect",
  ]);

  /** Append `entry` to the hook log (also printed to wrangler's log). */
  protected record(entry: string): Promise<void> {
    console.log(`[it ${this.ctx.id.toString().slice(0, 8)}] hook ${entry}`);
    return this.#append(HOOKS_KEY, `${Date.now()} ${entry}`);
  }

  #writes: Promise<void> = Promise.resolve();

  /** Appends to a stored list; one append at a time, so concurrent hooks never lose an entry. */
  #append(key: string, item: unknown): Promise<void> {
    const write = this.#writes.then(async () => {
      const list = (await this.ctx.storage.get<unknown[]>(key)) ?? [];
      list.push(item);
      await this.ctx.storage.put(key, list);
    });
    this.#writes = write.catch(() => undefined);
    return write;
  }

  override async onStart(): Promise<void> {
    await this.record("start");
  }

  override async onStop(params: StopParams): Promise<void> {
    await this.record(`stop:${params.exitCode}:${params.reason}`);
  }

  override onError(error: unknown): unknown {
    void this.record(`error:${error instanceof Error ? error.message : String(error)}`);
    throw error;
  }

  override async onActivityExpired(): Promise<void | boolean> {
    await this.record("expired");
    return super.onActivityExpired();
  }

  override async onEvent(event: ContainerEvent): Promise<void> {
    // Every event, with the library's own timestamps: tests bound times by
    // these, never by their own clock.
    const recorded = {
      ...event,
      ...("error" in event ? { error: String((event.error as Error)?.message ?? event.error) } : {}),
    };
    await this.#append(EVENTS_KEY, recorded);
    if (event.type === "restart" || event.type === "restartGaveUp" || event.type === "hardTimeout") {
      await this.record(`event:${event.type}`);
    }
  }

  /** Hook calls so far, oldest first, as "<ms> <entry>". */
  async hooks(): Promise<string[]> {
    return (await this.ctx.storage.get<string[]>(HOOKS_KEY)) ?? [];
  }

  /** Lifecycle events so far, oldest first, as the library reported them. */
  async events(): Promise<RecordedEvent[]> {
    return (await this.ctx.storage.get<RecordedEvent[]>(EVENTS_KEY)) ?? [];
  }

  /** exec(cmd, options), then its whole output (what `output()` gives). */
  async execOutput(cmd: string[], options?: Record<string, unknown>): Promise<unknown> {
    const handle = await this.containerExec(cmd, options);
    return handle.output();
  }

  /** exec(cmd), reading only its stdout stream (stderr left to the library), then the exit code. */
  async execStdout(cmd: string[]): Promise<{ stdout: string; exitCode: number }> {
    const handle = await this.containerExec(cmd);
    const stdout = await new Response(handle.stdout).text();
    return { stdout, exitCode: await handle.exitCode };
  }

  /** Runs one allowed method inside the object and reports the outcome as data. */
  call(method: string, args: unknown[]): Promise<CallResult> {
    return callMethod(this, this.callable, method, args);
  }
}

/**
 * The kinds of container the tests can address: each one's namespace (of a
 * RecordingContainer subclass; namespaces of subclasses are not assignable to
 * one common type, hence `object`) and class name.
 */
export type KindTable = Record<string, [object, string]>;

type Namespace = DurableObjectNamespace<RecordingContainer>;

/** The request the container should see: same method, headers and body; path `rest`. */
function forward(request: Request, rest: string, search: string): Request {
  return new Request(`http://container/${rest}${search}`, request);
}

/**
 * The fetch handler of a fixture Worker: `kinds(env)` maps each kind in the
 * URL to its namespace; `random` names the kind `getRandom` spreads over.
 */
export function serveFixtures<Env>(kinds: (env: Env) => KindTable, random?: string): ExportedHandler<Env> {
  return {
    async fetch(request, env) {
      const url = new URL(request.url);
      const [kind = "", name = "", action = "", ...rest] = url.pathname.slice(1).split("/");
      const table = kinds(env);

      if (kind === "random" && random) {
        const stub = await getRandom(table[random]![0] as Namespace, Number(name));
        return stub.fetch(forward(request, rest.join("/"), url.search));
      }
      if (kind === "docker") {
        const entry = table[name];
        return entry
          ? new Response(`${entry[1]}-${(entry[0] as Namespace).idFromName(action)}`)
          : new Response("unknown kind", { status: 404 });
      }
      const entry = table[kind];
      if (!entry || !name) return new Response(`unknown route ${url.pathname}`, { status: 404 });
      const stub = getContainer(entry[0] as Namespace, name);

      if (action === "proxy") return stub.fetch(forward(request, rest.join("/"), url.search));
      if (action === "port") {
        const [port = "", ...path] = rest;
        return stub.fetch(switchPort(forward(request, path.join("/"), url.search), Number(port)));
      }
      if (action === "rpc") {
        const args = request.method === "POST" ? ((await request.json()) as unknown[]) : [];
        return Response.json(await stub.call(rest[0] ?? "", args));
      }
      return new Response(`unknown action ${action}`, { status: 404 });
    },
  };
}
