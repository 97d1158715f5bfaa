// Fixture Container subclasses for the unit tests. Each installs the fake
// runtime before calling the base constructor and records its hooks.
import { Container } from "../../../src";
import type { ContainerEvent, StopParams } from "../../../src";
import { installFakeContainer } from "../../../src/testing";
import type { FakeContainer } from "../../../src/testing";
import { echoServer, namedServer } from "./servers";

/** Hook calls per Durable Object id; module-level so they survive evictions. */
export const hookLog = new Map<string, string[]>();
/** Lifecycle events per Durable Object id (from onEvent). */
export const eventLog = new Map<string, ContainerEvent[]>();
/** Alarm runs per Durable Object id. */
export const alarmRuns = new Map<string, number>();

function record(id: DurableObjectId, entry: string): void {
  const key = id.toString();
  hookLog.set(key, [...(hookLog.get(key) ?? []), entry]);
}

function withEchoPorts(fake: FakeContainer): void {
  fake.ports.set(8080, echoServer);
  fake.ports.set(9090, namedServer("port-9090"));
}

/** The main fixture: port 8080, hooks recorded, schedulable methods. */
export class TestContainer extends Container<Env> {
  override defaultPort = 8080;
  override sleepAfter: string | number = "10s";
  /** What `onActivityExpired` does: the default (stop), or keep the container. */
  expiryMode: "default" | "keep" | "return-true" = "default";
  /** What `onError` does after recording. */
  swallowErrors = false;

  constructor(ctx: DurableObjectState, env: Env) {
    installFakeContainer(ctx, withEchoPorts);
    super(ctx, env);
  }

  override onStart(): void {
    record(this.ctx.id, "start");
  }

  override onEvent(event: ContainerEvent): void {
    const key = this.ctx.id.toString();
    eventLog.set(key, [...(eventLog.get(key) ?? []), event]);
  }

  override onStop(params: StopParams): void {
    record(this.ctx.id, `stop:${params.exitCode}:${params.reason}`);
  }

  override onError(error: unknown): unknown {
    record(this.ctx.id, `error:${error instanceof Error ? error.message : String(error)}`);
    if (this.swallowErrors) return undefined;
    throw error;
  }

  override async onActivityExpired(): Promise<void | boolean> {
    record(this.ctx.id, "expired");
    if (this.expiryMode === "keep") return;
    if (this.expiryMode === "return-true") return true;
    return super.onActivityExpired();
  }

  /** Counts runs, then lets the class do its work (an override must call super). */
  override async alarm(info?: AlarmInvocationInfo): Promise<void> {
    const key = this.ctx.id.toString();
    alarmRuns.set(key, (alarmRuns.get(key) ?? 0) + 1);
    await super.alarm(info);
  }

  /** A schedulable method. */
  async ping(payload: unknown): Promise<void> {
    record(this.ctx.id, `ping:${JSON.stringify(payload)}`);
  }

  /** A schedulable method that fails. */
  async explode(): Promise<void> {
    record(this.ctx.id, "explode");
    throw new Error("scheduled callback failed on purpose");
  }

  /** Not a method: a field, so schedule() must refuse it. */
  notAMethod = 42;
}

/** Class-field configuration only: proves fields hold from the first alarm. */
export class FieldContainer extends Container<Env> {
  override defaultPort = 9090;
  override sleepAfter = "2h";
  override requiredPorts = [8080, 9090];
  override envVars = { FROM_FIELD: "yes" };
  override entrypoint = ["node", "server.js"];
  override enableInternet = false;
  override labels = { team: "core" };

  constructor(ctx: DurableObjectState, env: Env) {
    installFakeContainer(ctx, withEchoPorts);
    super(ctx, env);
  }
}

/** Configuration through constructor options instead of fields. */
export class OptionsContainer extends Container<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    installFakeContainer(ctx, withEchoPorts);
    super(ctx, env, { defaultPort: 9090, sleepAfter: 30, envVars: { FROM_OPTIONS: "1" }, enableInternet: false });
  }
}

/** No port configured at all. */
export class PortlessContainer extends Container<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    installFakeContainer(ctx, withEchoPorts);
    super(ctx, env);
  }
}

/** No fake installed: `ctx.container` is undefined, as without Wrangler `containers` config. */
export class UnconfiguredContainer extends Container<Env> {
  async ok(): Promise<string> {
    return "constructed";
  }
}

/**
 * Declares `inflightRequests = 0` as a class field would under define
 * semantics (an own data property shadowing the base's accessor), as code
 * written for the original may: the count must still reach the idle timer.
 */
export class CountingContainer extends TestContainer {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    Object.defineProperty(this, "inflightRequests", { value: 2, writable: true, enumerable: true, configurable: true });
  }
}

/**
 * Overrides every public method the original calls on `this` in normal
 * operation, recording each call, then calls super: the overrides must run.
 */
export class OverridingContainer extends TestContainer {
  override sleepAfter: string | number = 0.1;

  override renewActivityTimeout(): void {
    record(this.ctx.id, "call:renewActivityTimeout");
    super.renewActivityTimeout();
  }

  override async scheduleNextAlarm(ms?: number): Promise<void> {
    record(this.ctx.id, "call:scheduleNextAlarm");
    await super.scheduleNextAlarm(ms);
  }

  override containerFetch(
    input: Request | string | URL,
    initOrPort?: RequestInit | number,
    port?: number,
  ): Promise<Response> {
    record(this.ctx.id, "call:containerFetch");
    return super.containerFetch(input, initOrPort, port);
  }

  override startAndWaitForPorts(...args: Parameters<Container["startAndWaitForPorts"]>): Promise<void> {
    record(this.ctx.id, "call:startAndWaitForPorts");
    return super.startAndWaitForPorts(...args);
  }

  override stop(...args: Parameters<Container["stop"]>): Promise<void> {
    record(this.ctx.id, "call:stop");
    return super.stop(...args);
  }
}

/**
 * Records `ctx.abort()` instead of resetting the object, so a test can see
 * that the library asked for a reset (a real abort would end the test's object).
 */
export class AbortingContainer extends TestContainer {
  constructor(ctx: DurableObjectState, env: Env) {
    Object.defineProperty(ctx, "abort", {
      value: (reason?: string) => record(ctx.id, `abort:${reason ?? ""}`),
      configurable: true,
    });
    super(ctx, env);
  }
}
