// Status hooks: onStart, onStop and onError log what happened (visible in the
// `wrangler dev` output) and keep the last events in storage; getState() is
// served as JSON.
//   GET /            the container's reply (starts it)
//   GET /state       getState(): { status, lastChange, exitCode? }
//   GET /events      what the hooks saw, oldest first
//   POST /stop       stop() with SIGTERM → onStop (exit code 0)
//   POST /crash      the process exits with code 3 → onStop (exit code 3)
//   POST /bad-start  waits for a port nothing listens on → onError
import { Container, getContainer, type StopParams } from "workerd-containers";

interface Env {
  WATCHED: DurableObjectNamespace<WatchedContainer>;
}

const EVENTS_KEY = "events";

export class WatchedContainer extends Container<Env> {
  override defaultPort = 8080;
  override sleepAfter = "2m";

  override async onStart(): Promise<void> {
    await this.record("start");
  }

  override async onStop({ exitCode, reason }: StopParams): Promise<void> {
    await this.record(`stop exitCode=${exitCode} reason=${reason}`);
  }

  override onError(error: unknown): unknown {
    void this.record(`error ${error instanceof Error ? error.message : String(error)}`);
    throw error; // the caller still sees the failure
  }

  /** Logs one event and keeps the last 20 in Durable Object storage. */
  private async record(event: string): Promise<void> {
    console.log(`[status-hooks] ${event}`);
    const events = (await this.ctx.storage.get<string[]>(EVENTS_KEY)) ?? [];
    events.push(`${new Date().toISOString()} ${event}`);
    await this.ctx.storage.put(EVENTS_KEY, events.slice(-20));
  }

  async events(): Promise<string[]> {
    return (await this.ctx.storage.get<string[]>(EVENTS_KEY)) ?? [];
  }

  /** A start that cannot succeed (nothing listens on port 9): shows onError. */
  async badStart(): Promise<string> {
    try {
      await this.startAndWaitForPorts({ ports: [9], cancellationOptions: { portReadyTimeoutMS: 2_000 } });
      return "started?";
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
  }
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const stub = getContainer(env.WATCHED, "watched");
    const { pathname } = new URL(request.url);
    const post = request.method === "POST";
    if (pathname === "/state") return Response.json(await stub.getState());
    if (pathname === "/events") return Response.json(await stub.events());
    if (pathname === "/stop" && post) {
      await stub.stop();
      return Response.json(await stub.getState());
    }
    if (pathname === "/crash" && post) return stub.fetch(new Request("http://container/crash", { method: "POST" }));
    if (pathname === "/bad-start" && post) return Response.json({ error: await stub.badStart() });
    return stub.fetch(request);
  },
};
