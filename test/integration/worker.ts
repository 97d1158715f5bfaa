// The Worker the integration suite drives through `wrangler dev`. Its Durable
// Objects use this package's public API only, on real Docker containers built
// from fixtures/app (see fixtures/app/server.mjs for the routes they serve).
//
// Routes (the tests build these URLs in client.ts):
//   /<kind>/<name>/proxy/<path>        stub.fetch(request for /<path>)
//   /<kind>/<name>/port/<p>/<path>     stub.fetch(switchPort(request, p))
//   /<kind>/<name>/rpc/<method>        run a Container method inside the object;
//                                      JSON body = args; answers {ok, value | error, ms}
//   /random/<n>/proxy/<path>           getRandom(RANDOM, n).fetch(...)
//   /id/<kind>/<name>                  the Durable Object id (names the Docker container)
import { Container, ContainerProxy, getContainer, getRandom, switchPort } from "../../src";
import type { ContainerEvent, OutboundHandlerContext, StopParams } from "../../src";

// Outbound interception needs the Worker to export ContainerProxy.
export { ContainerProxy };

interface Env {
  APP: DurableObjectNamespace<AppContainer>;
  CONFIGURED: DurableObjectNamespace<ConfiguredContainer>;
  PORTS: DurableObjectNamespace<PortsContainer>;
  SLEEPY: DurableObjectNamespace<SleepyContainer>;
  RANDOM: DurableObjectNamespace<RandomContainer>;
  LATE: DurableObjectNamespace<LateContainer>;
  SILENT: DurableObjectNamespace<SilentContainer>;
  EGRESS: DurableObjectNamespace<EgressContainer>;
  SUPERVISED: DurableObjectNamespace<SupervisedContainer>;
}

const HOOKS_KEY = "it:hooks";

/** Records every hook call in storage, so tests can read them after the fact. */
class RecordingContainer extends Container<Env> {
  override defaultPort = 8080;
  override sleepAfter: string | number = "2m";

  async #record(entry: string): Promise<void> {
    console.log(`[it ${this.ctx.id.toString().slice(0, 8)}] hook ${entry}`);
    const hooks = (await this.ctx.storage.get<string[]>(HOOKS_KEY)) ?? [];
    hooks.push(`${Date.now()} ${entry}`);
    await this.ctx.storage.put(HOOKS_KEY, hooks);
  }

  override async onStart(): Promise<void> {
    await this.#record("start");
  }

  override async onStop(params: StopParams): Promise<void> {
    await this.#record(`stop:${params.exitCode}:${params.reason}`);
  }

  override onError(error: unknown): unknown {
    void this.#record(`error:${error instanceof Error ? error.message : String(error)}`);
    throw error;
  }

  override async onActivityExpired(): Promise<void | boolean> {
    await this.#record("expired");
    return super.onActivityExpired();
  }

  override async onEvent(event: ContainerEvent): Promise<void> {
    if (event.type === "restart" || event.type === "restartGaveUp" || event.type === "hardTimeout") {
      await this.#record(`event:${event.type}`);
    }
  }

  /** Hook calls so far, oldest first, as "<ms> <entry>". */
  async hooks(): Promise<string[]> {
    return (await this.ctx.storage.get<string[]>(HOOKS_KEY)) ?? [];
  }

  /**
   * Runs one public method inside the object and reports the outcome as data:
   * errors thrown across a stub lose their shape, and tests want the message.
   */
  async call(method: string, args: unknown[]): Promise<{ ok: boolean; value?: unknown; error?: string; ms: number }> {
    const allowed = ["start", "startAndWaitForPorts", "stop", "destroy", "getState", "hooks", "waitForPort", "setHardTimeout", "setReadyOnPath"];
    const started = Date.now();
    if (!allowed.includes(method)) return { ok: false, error: `unknown method ${method}`, ms: 0 };
    try {
      const fn = (this as unknown as Record<string, (...a: unknown[]) => unknown>)[method]!;
      const value = await fn.apply(this, args);
      return { ok: true, value: value ?? null, ms: Date.now() - started };
    } catch (error) {
      return { ok: false, error: error instanceof Error ? error.message : String(error), ms: Date.now() - started };
    }
  }
}

/** The general fixture: port 8080, hooks recorded. */
export class AppContainer extends RecordingContainer {}

/** Start configuration through class fields: env, entrypoint, labels. */
export class ConfiguredContainer extends RecordingContainer {
  override envVars: Record<string, string> = { FIXTURE_GREETING: "hello from envVars", PORTS: "8080" };
  override entrypoint?: string[] = ["/usr/local/bin/node", "/app/server.mjs", "--from-entrypoint", "extra-arg"];
  // The runtime accepts label names of at most 16 bytes.
  override labels: Record<string, string> = { "it-suite": "configured", team: "integration" };
}

/** Two ports that must both be ready. */
export class PortsContainer extends RecordingContainer {
  override requiredPorts?: number[] = [8080, 8081];
}

/** A short idle timeout. */
export class SleepyContainer extends RecordingContainer {
  override sleepAfter: string | number = "3s";
}

/** Its port opens 2.5 s after the process starts. */
export class LateContainer extends RecordingContainer {
  override envVars: Record<string, string> = { START_DELAY_MS: "2500" };
}

/** Its port never opens (well, not within 10 minutes). */
export class SilentContainer extends RecordingContainer {
  override envVars: Record<string, string> = { START_DELAY_MS: "600000" };
}

/**
 * Outbound interception: requests the app makes (through the sidecar
 * stand-in, as an explicit proxy: `http_proxy`) reach the Worker's handlers.
 * Internet is off, one host is denied.
 */
export class EgressContainer extends RecordingContainer {
  override envVars: Record<string, string> = { http_proxy: "http://127.0.0.1:39080" };
  override enableInternet = false;
  override deniedHosts = ["blocked.example.test"];
  static override outboundByHost = {
    "api.example.test": (request: Request, _env: unknown, ctx: OutboundHandlerContext) =>
      Response.json({ handledBy: "worker", url: request.url, className: ctx.className }),
  };
}

/**
 * The opt-in additions: HTTP readiness on /echo (answers 200 once listening),
 * a restart policy with short backoff, and a hard timeout set per test.
 */
export class SupervisedContainer extends RecordingContainer {
  override readyOn = { path: "/echo", status: 200 };
  override restart = { on: "failure" as const, maxRetries: 2, backoff: { initialMs: 300, jitter: 0 } };

  /** Set the hard timeout for this instance (seconds). */
  async setHardTimeout(seconds: number): Promise<void> {
    this.hardTimeout = seconds;
  }

  /** Point HTTP readiness at another path for this instance. */
  async setReadyOnPath(path: string): Promise<void> {
    this.readyOn = { path, status: 200 };
  }
}

/** Only for getRandom: its instance names (instance-<n>) are shared by design. */
export class RandomContainer extends RecordingContainer {}

type Kind = "app" | "configured" | "ports" | "sleepy" | "random" | "late" | "silent" | "egress" | "supervised";

function namespace(env: Env, kind: string): DurableObjectNamespace<RecordingContainer> | undefined {
  const byKind: Record<Kind, DurableObjectNamespace<RecordingContainer>> = {
    app: env.APP,
    configured: env.CONFIGURED,
    ports: env.PORTS,
    sleepy: env.SLEEPY,
    random: env.RANDOM,
    late: env.LATE,
    silent: env.SILENT,
    egress: env.EGRESS as unknown as DurableObjectNamespace<RecordingContainer>,
    supervised: env.SUPERVISED as unknown as DurableObjectNamespace<RecordingContainer>,
  };
  return byKind[kind as Kind];
}

/** The request the container should see: same method, headers and body; path `rest`. */
function forward(request: Request, rest: string, search: string): Request {
  return new Request(`http://container/${rest}${search}`, request);
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    const [kind = "", name = "", action = "", ...rest] = url.pathname.slice(1).split("/");

    if (kind === "random") {
      const stub = await getRandom(env.RANDOM, Number(name));
      return stub.fetch(forward(request, rest.join("/"), url.search));
    }
    if (kind === "id") {
      const ns = namespace(env, name);
      return ns ? new Response(ns.idFromName(action).toString()) : new Response("unknown kind", { status: 404 });
    }
    const ns = namespace(env, kind);
    if (!ns || !name) return new Response(`unknown route ${url.pathname}`, { status: 404 });
    const stub = getContainer(ns, name);

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
