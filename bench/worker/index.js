// The benchmark Worker: three Durable Object classes bound to the same
// fixture image (fixtures/app), one per variant. Each class uses only its own
// library:
//   OursContainer     workerd-containers (this repository's src/, via wrangler's alias)
//   OriginalContainer @cloudflare/containers 0.3.7 (npm alias cloudflare-containers-original)
//   DirectContainer   no library: ctx.container.start() + getTcpPort(8080).fetch()
// Routes: /<ours|original|direct>/<instance>/<path...> → that variant's DO,
// with the URL rewritten to /<path...>. Control paths (/__bench/...) are
// answered by the DO itself and never reach the container.
import { DurableObject } from "cloudflare:workers";
import { Container as Ours } from "workerd-containers";
import { Container as Original } from "cloudflare-containers-original";

const PORT = 8080;
// Large enough that no variant stops its container during a run.
const SLEEP_AFTER = "2h";

/** Per-instance counters, shared by the three classes' control endpoints. */
function makeCounters() {
  return { alarms: 0, setAlarm: 0 };
}

/** Counts ctx.storage.setAlarm calls (the idle timer's storage writes), where the runtime lets us wrap it. */
function countSetAlarm(ctx, counters) {
  try {
    const storage = ctx.storage;
    const original = storage.setAlarm.bind(storage);
    storage.setAlarm = (...args) => {
      counters.setAlarm++;
      return original(...args);
    };
    return true;
  } catch {
    return false;
  }
}

function control(self, url) {
  const op = url.pathname.slice("/__bench/".length);
  if (op === "setup") {
    const delay = url.searchParams.get("delay") ?? "0";
    self.envVars = { PORTS: String(PORT), START_DELAY_MS: delay };
    return Response.json({ ok: true, delay });
  }
  if (op === "counters") return Response.json({ ...self.counters, wrapped: self.wrapped });
  if (op === "reset") {
    self.counters.alarms = 0;
    self.counters.setAlarm = 0;
    return Response.json({ ok: true });
  }
  return undefined;
}

/**
 * The same instrumentation on either library's class: alarm() and
 * ctx.storage.setAlarm counters, and the /__bench/ control routes.
 */
function instrumented(Base) {
  return class extends Base {
    defaultPort = PORT;
    sleepAfter = SLEEP_AFTER;
    envVars = { PORTS: String(PORT) };
    constructor(ctx, env) {
      super(ctx, env);
      this.counters = makeCounters();
      this.wrapped = countSetAlarm(ctx, this.counters);
    }
    async alarm(info) {
      this.counters.alarms++;
      return super.alarm(info);
    }
    async fetch(request) {
      const url = new URL(request.url);
      if (url.pathname.startsWith("/__bench/")) {
        if (url.pathname === "/__bench/destroy") {
          await this.destroy();
          return Response.json({ ok: true });
        }
        return control(this, url) ?? new Response("unknown control", { status: 404 });
      }
      return super.fetch(request);
    }
  };
}

export class OursContainer extends instrumented(Ours) {}

export class OriginalContainer extends instrumented(Original) {}

/** The physical limit: start the container and forward to its port, nothing else. */
export class DirectContainer extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    this.envVars = { PORTS: String(PORT) };
    this.counters = makeCounters();
    this.wrapped = countSetAlarm(ctx, this.counters);
    this.starting = undefined;
  }
  async alarm() {
    this.counters.alarms++;
  }
  /** Starts the container if needed and retries the port until it accepts a connection. */
  async ensureStarted() {
    const container = this.ctx.container;
    if (!container.running) container.start({ env: this.envVars, enableInternet: false });
    const port = container.getTcpPort(PORT);
    const deadline = Date.now() + 30_000;
    let wait = 2;
    for (;;) {
      try {
        const res = await port.fetch("http://container/ping");
        await res.body?.cancel();
        return;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, wait));
        wait = Math.min(wait * 2, 20);
      }
    }
  }
  async fetch(request) {
    const url = new URL(request.url);
    if (url.pathname.startsWith("/__bench/")) {
      if (url.pathname === "/__bench/destroy") {
        if (this.ctx.container.running) {
          const exited = this.ctx.container.monitor().catch(() => {});
          await this.ctx.container.destroy();
          await exited;
        }
        this.starting = undefined;
        return Response.json({ ok: true });
      }
      return control(this, url) ?? new Response("unknown control", { status: 404 });
    }
    if (!this.ctx.container.running || this.starting === undefined) {
      this.starting ??= this.ensureStarted().catch((error) => {
        this.starting = undefined;
        throw error;
      });
    }
    await this.starting;
    return this.ctx.container.getTcpPort(PORT).fetch(request);
  }
}

const BINDINGS = { ours: "OURS", original: "ORIGINAL", direct: "DIRECT" };

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const [, variant, instance, ...rest] = url.pathname.split("/");
    const binding = BINDINGS[variant];
    if (!binding || !instance) return new Response("use /<ours|original|direct>/<instance>/<path>", { status: 404 });
    const target = new URL(`/${rest.join("/")}${url.search}`, url);
    const stub = env[binding].get(env[binding].idFromName(instance));
    return stub.fetch(new Request(target, request));
  },
};
