// The benchmark Worker: three Durable Object classes bound to the same
// fixture image (fixtures/app), one per variant. Each class uses only its own
// library:
//   OursContainer     workerd-containers (this repository's src/, via wrangler's alias)
//   OriginalContainer @cloudflare/containers 0.3.7 (npm alias cloudflare-containers-original)
//   DirectContainer   no library: ctx.container.start() + getTcpPort(8080).fetch()
//   OursPassThrough   OursContainer with webSocketProxy = "pass-through" (row 4 only; route /passthrough/)
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
  return { alarms: 0, setAlarm: 0, writes: zeroWrites(), writesWrapped: [], sqlSamples: [] };
}

/** Storage writes by kind (bench/scale.mjs sums them): ctx.storage, ctx.storage.kv and sql.exec writes. */
const zeroWrites = () => ({ put: 0, delete: 0, setAlarm: 0, deleteAlarm: 0, kvPut: 0, kvDelete: 0, sqlWrite: 0 });
// sql.exec statements that change the database (SELECT and PRAGMA reads are not counted).
const SQL_WRITE = /^\s*(INSERT|UPDATE|DELETE|REPLACE|UPSERT|CREATE|DROP|ALTER)\b/i;

/** Replaces target[name] with a counting wrapper; whether the runtime kept the replacement. */
function wrapMethod(target, name, count) {
  try {
    const original = target?.[name];
    if (typeof original !== "function") return false;
    const bound = original.bind(target);
    const wrapper = (...args) => {
      count(...args);
      return bound(...args);
    };
    target[name] = wrapper;
    return target[name] === wrapper;
  } catch {
    return false;
  }
}

/** The same object on every read of storage[name] (so a wrapped method there stays wrapped), or undefined. */
function stableMember(storage, name) {
  try {
    const first = storage[name];
    return first && first === storage[name] ? first : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Counts ctx.storage.setAlarm calls (the idle timer's storage writes), where the runtime lets us wrap it,
 * and every storage write by kind into counters.writes (counters.writesWrapped lists the kinds counted).
 */
function countSetAlarm(ctx, counters) {
  const storage = ctx.storage;
  const w = () => counters.writes;
  const wrapped = wrapMethod(storage, "setAlarm", () => {
    counters.setAlarm++;
    w().setAlarm++;
  });
  const kinds = {
    put: wrapMethod(storage, "put", () => w().put++),
    delete: wrapMethod(storage, "delete", () => w().delete++),
    setAlarm: wrapped,
    deleteAlarm: wrapMethod(storage, "deleteAlarm", () => w().deleteAlarm++),
    kvPut: wrapMethod(stableMember(storage, "kv"), "put", () => w().kvPut++),
    kvDelete: wrapMethod(stableMember(storage, "kv"), "delete", () => w().kvDelete++),
    sqlWrite: wrapMethod(stableMember(storage, "sql"), "exec", (query) => {
      // miniflare's own bookkeeping (the __miniflare_do_name table, written once per object) is no variant's.
      if (typeof query !== "string" || !SQL_WRITE.test(query) || query.includes("__miniflare")) return;
      w().sqlWrite++;
      // The first few statements, to tell where writes come from.
      if (counters.sqlSamples.length < 4) counters.sqlSamples.push(query.trim().slice(0, 100));
    }),
  };
  counters.writesWrapped = Object.keys(kinds).filter((kind) => kinds[kind]);
  return wrapped;
}

/**
 * One cold start as the Durable Object saw it (Date.now(), which workerd moves on at each I/O): when the
 * request arrived, when ctx.container.start() was called, when each connection attempt to the container
 * began until one was answered (the probe schedule), and when the response was handed back. Row 3 reads
 * it through /__bench/trace; /__bench/setup starts a new one.
 */
const newTrace = () => ({ received: null, start: null, attempts: [], answered: null, responded: null });

/** Wraps ctx.container's start() and getTcpPort() to fill self.trace; whether the runtime kept both. */
function traceContainer(ctx, self) {
  self.trace = newTrace();
  const container = ctx.container;
  const started = wrapMethod(container, "start", () => {
    self.trace.start ??= Date.now();
  });
  try {
    const getTcpPort = container.getTcpPort.bind(container);
    const wrapper = (port) => {
      const tcp = getTcpPort(port);
      // Outside the traced cold start (warm requests), the runtime's own port: nothing on the measured path.
      if (self.trace.received === null || self.trace.answered !== null) return tcp;
      return {
        fetch: (...args) => traceAttempt(self.trace, () => tcp.fetch(...args)),
        connect: (...args) => tcp.connect(...args),
      };
    };
    container.getTcpPort = wrapper;
    return started && container.getTcpPort === wrapper;
  } catch {
    return false;
  }
}

/** One connection attempt: recorded from the traced request's arrival until the first one answered. */
async function traceAttempt(trace, send) {
  const recording = trace.received !== null && trace.answered === null;
  if (recording) trace.attempts.push(Date.now());
  const response = await send();
  if (recording) trace.answered ??= Date.now();
  return response;
}

/** Runs a request's handler; the first one after /__bench/setup records its arrival and when its response was ready. */
function traced(self, handle) {
  if (self.trace.responded !== null) return handle();
  self.trace.received ??= Date.now();
  return handle().then((response) => {
    self.trace.responded ??= Date.now();
    return response;
  });
}

function control(self, url) {
  const op = url.pathname.slice("/__bench/".length);
  if (op === "setup") {
    const delay = url.searchParams.get("delay") ?? "0";
    self.envVars = { PORTS: String(PORT), START_DELAY_MS: delay };
    self.trace = newTrace();
    return Response.json({ ok: true, delay });
  }
  if (op === "trace") return Response.json({ ...self.trace, traced: self.traced });
  if (op === "counters") return Response.json({ ...self.counters, wrapped: self.wrapped });
  if (op === "abort") {
    // Cleanup after /__bench/destroy (bench/scale.mjs): resets the Durable Object at once, so workerd removes
    // its networking sidecar now instead of when the idle object is evicted. The request itself fails.
    self.ctx.abort("bench cleanup");
    return Response.json({ ok: true });
  }
  if (op === "reset") {
    self.counters.alarms = 0;
    self.counters.setAlarm = 0;
    self.counters.writes = zeroWrites();
    self.counters.sqlSamples = [];
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
      this.traced = traceContainer(ctx, this);
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
      return traced(this, () => super.fetch(request));
    }
  };
}

export class OursContainer extends instrumented(Ours) {}

/** This package with the opt-in WebSocket pass-through (bench row 4 only; route /passthrough/). */
export class OursPassThrough extends OursContainer {
  webSocketProxy = "pass-through";
}

export class OriginalContainer extends instrumented(Original) {}

/** The physical limit: start the container and forward to its port, nothing else. */
export class DirectContainer extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    this.envVars = { PORTS: String(PORT) };
    this.counters = makeCounters();
    this.wrapped = countSetAlarm(ctx, this.counters);
    this.traced = traceContainer(ctx, this);
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
    return traced(this, async () => {
      if (!this.ctx.container.running || this.starting === undefined) {
        this.starting ??= this.ensureStarted().catch((error) => {
          this.starting = undefined;
          throw error;
        });
      }
      await this.starting;
      return this.ctx.container.getTcpPort(PORT).fetch(request);
    });
  }
}

const BINDINGS = { ours: "OURS", original: "ORIGINAL", direct: "DIRECT", passthrough: "OURS_PASS" };

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
