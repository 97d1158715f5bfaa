// The Worker of the faults suite (test/faults): Durable Objects on the fixture
// app image that let a test evict the object, schedule callbacks and read
// what survived. Routes are those of test/shared/fixture-worker.ts.
import { ContainerProxy, type OutboundHandlerContext } from "../../src";
import { ACTIVITY_DEADLINE_KEY } from "../../src/constants";
import { RecordingContainer, serveFixtures } from "../shared/fixture-worker";

// Outbound interception needs the Worker to export ContainerProxy.
export { ContainerProxy };

interface Env {
  FAULT: DurableObjectNamespace<FaultContainer>;
  IDLE: DurableObjectNamespace<IdleContainer>;
  SILENT: DurableObjectNamespace<NeverListens>;
  EGRESS: DurableObjectNamespace<EgressRules>;
}

/** Schedules, eviction and a view of what storage holds. */
export class FaultContainer extends RecordingContainer<Env> {
  /** This instance of the object: a new one after an eviction. */
  readonly #instance = crypto.randomUUID();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    for (const method of [
      "schedule",
      "getSchedule",
      "listSchedules",
      "instance",
      "evict",
      "activityDeadline",
      "ticks",
      "renew",
      "runtimeRunning",
    ]) {
      this.callable.add(method);
    }
  }

  /** A schedule callback: counts its runs per payload in storage. */
  async tick(payload: { n: number }): Promise<void> {
    await this.record(`tick:${payload.n}`);
  }

  /** The runs of `tick` so far, by payload. */
  async ticks(): Promise<string[]> {
    return (await this.hooks()).map((entry) => entry.split(" ")[1]!).filter((entry) => entry.startsWith("tick:"));
  }

  /** Which instance of the object answered (a new one after an eviction). */
  async instance(): Promise<string> {
    return this.#instance;
  }

  /** The idle deadline as stored (ms since epoch), if any. */
  async activityDeadline(): Promise<number | null> {
    return (await this.ctx.storage.get<number>(ACTIVITY_DEADLINE_KEY)) ?? null;
  }

  /** What the runtime says about the process, whatever the library's state says. */
  async runtimeRunning(): Promise<boolean> {
    return this.ctx.container?.running ?? false;
  }

  /** Activity without a request. */
  async renew(): Promise<void> {
    this.renewActivityTimeout();
  }

  /**
   * Evict the object as the runtime would: this instance is thrown away, its
   * storage kept; the next request or alarm constructs a new instance.
   * The call itself fails (the object is reset under it).
   */
  async evict(): Promise<never> {
    this.ctx.abort("evicted by the faults suite");
    throw new Error("unreachable: ctx.abort() returned");
  }
}

/** A short idle timeout, to check that the deadline survives eviction. */
export class IdleContainer extends FaultContainer {
  override sleepAfter: string | number = "8s";
}

/** Its port never opens within the tests' budgets. */
export class NeverListens extends FaultContainer {
  override envVars: Record<string, string> = { START_DELAY_MS: "600000" };
}

/**
 * Outbound rules set at run time (denyHost), which must survive a restart of
 * workerd. The app reaches them through the sidecar stand-in as an explicit
 * proxy (`http_proxy`); internet is off.
 */
export class EgressRules extends FaultContainer {
  override envVars: Record<string, string> = { http_proxy: "http://127.0.0.1:39080" };
  override enableInternet = false;
  static override outboundByHost = {
    "api.example.test": (request: Request, _env: unknown, ctx: OutboundHandlerContext) =>
      Response.json({ handledBy: "worker", url: request.url, className: ctx.className }),
  };

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.callable.add("denyHost");
  }
}

export default serveFixtures<Env>((env) => ({
  fault: [env.FAULT, "FaultContainer"],
  idle: [env.IDLE, "IdleContainer"],
  silent: [env.SILENT, "NeverListens"],
  egress: [env.EGRESS, "EgressRules"],
}));
