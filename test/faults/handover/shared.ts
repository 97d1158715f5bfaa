// Scenario 6: the same Durable Object class, first built on the original
// @cloudflare/containers 0.3.7 (original.ts), then on this package (ours.ts),
// over the same persisted local storage. Both Workers are this file's class
// and routes on a different base class; nothing else changes, as for a user
// who switches the import.
//
// Routes: /<name>/<method> with a JSON array body of arguments → the result of
// that method run inside the object, as { ok, value | error }.
import { type CallResult, callMethod } from "../../shared/call-method";

/** The slice of a Container class both libraries provide that the scenario uses. */
// A mixin's base constructor must take any[] (TypeScript's rule for mixins).
export type ContainerBase = new (
  ...args: any[]
) => {
  defaultPort?: number;
  sleepAfter: string | number;
};

const TICKS_KEY = "handover:ticks";
const CALLABLE = new Set([
  "startAndWaitForPorts",
  "stop",
  "getState",
  "schedule",
  "getSchedule",
  "listSchedules",
  "ticks",
  "library",
  "hooks",
]);

/** The scenario's class on top of `Base`; `library` names which library it is. */
export function handoverClass<B extends ContainerBase>(Base: B, library: string) {
  class Handover extends Base {
    override defaultPort = 8080;
    override sleepAfter: string | number = "10m";

    /** A schedule callback: appends its payload's n to storage. */
    async tick(payload: { n: number }): Promise<void> {
      const storage = (this as unknown as { ctx: DurableObjectState }).ctx.storage;
      const ticks = (await storage.get<number[]>(TICKS_KEY)) ?? [];
      ticks.push(payload.n);
      await storage.put(TICKS_KEY, ticks);
    }

    async ticks(): Promise<number[]> {
      return (await (this as unknown as { ctx: DurableObjectState }).ctx.storage.get<number[]>(TICKS_KEY)) ?? [];
    }

    async library(): Promise<string> {
      return library;
    }

    onStop(params: { exitCode: number; reason: string }): void {
      void this.#hook(`stop:${params.exitCode}:${params.reason}`);
    }

    async #hook(entry: string): Promise<void> {
      const storage = (this as unknown as { ctx: DurableObjectState }).ctx.storage;
      await storage.put("handover:hooks", [
        ...((await storage.get<string[]>("handover:hooks")) ?? []),
        `${library} ${entry}`,
      ]);
    }

    async hooks(): Promise<string[]> {
      return (await (this as unknown as { ctx: DurableObjectState }).ctx.storage.get<string[]>("handover:hooks")) ?? [];
    }

    call(method: string, args: unknown[]): Promise<CallResult> {
      return callMethod(this, CALLABLE, method, args);
    }
  }
  return Handover;
}

interface Env {
  HANDOVER: DurableObjectNamespace;
}

type Callable = { call(method: string, args: unknown[]): Promise<unknown> };

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const [name = "", method = ""] = new URL(request.url).pathname.slice(1).split("/");
    if (!name || !method) return new Response("use /<name>/<method>", { status: 404 });
    const stub = env.HANDOVER.get(env.HANDOVER.idFromName(name)) as unknown as Callable;
    const args = request.method === "POST" ? ((await request.json()) as unknown[]) : [];
    return Response.json(await stub.call(method, args));
  },
} satisfies ExportedHandler<Env>;
