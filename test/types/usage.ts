// Compile-only test: the public API used the way the @cloudflare/containers
// documentation uses it must type-check, and the `@ts-expect-error` lines
// mark what must not. Never run; checked by `tsc --noEmit -p test/types`.
import { Container, getContainer, getRandom, loadBalance, switchPort } from "../../src";
import type {
  CancellationOptions,
  ContainerEventHandler,
  ContainerMessage,
  ContainerOptions,
  ContainerStartConfigOptions,
  Schedule,
  Signal,
  SignalInteger,
  StartAndWaitForPortsOptions,
  State,
  StopParams,
  WaitOptions,
} from "../../src";

interface AppEnv {
  API_KEY: string;
  APP: DurableObjectNamespace<AppContainer>;
  POOL: DurableObjectNamespace<PoolContainer>;
}

interface ReportPayload {
  tenant: string;
  attempt: number;
}

export class AppContainer extends Container<AppEnv> {
  override defaultPort = 8080;
  override requiredPorts = [8080, 9222];
  override sleepAfter = "5m";
  override envVars = { NODE_ENV: "production", LOG_LEVEL: "info" };
  override entrypoint = ["npm", "run", "start"];
  override enableInternet = false;
  override pingEndpoint = "localhost/ready";
  override labels = { team: "platform" };
  override manualStart = true;

  readonly stops: StopParams[] = [];

  override async onStart(): Promise<void> {
    await this.containerFetch("http://localhost/bootstrap", { method: "POST" });
    const first: Schedule<string> = await this.schedule(60, "report");
    void first;
  }

  override onStop({ exitCode, reason }: StopParams): void {
    const kind: "exit" | "runtime_signal" = reason;
    const code: number = exitCode;
    this.stops.push({ exitCode: code, reason: kind });
  }

  override onError(error: unknown): never {
    console.error("start failed", error);
    throw error;
  }

  override async onActivityExpired(): Promise<void> {
    const state = await this.getState();
    if (state.status !== "stopped") await this.stop();
  }

  override async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/health") return new Response("ok");
    if (url.pathname === "/metrics") {
      // URL form with init and a port.
      return this.containerFetch(
        "http://localhost/internal/metrics",
        { headers: { authorization: request.headers.get("authorization") ?? "" } },
        9090,
      );
    }
    if (url.pathname === "/inspector") return this.containerFetch(request, 9222);
    if (url.pathname === "/relative") return this.containerFetch(new URL("http://container/x"));
    // Request form with the default port.
    return this.containerFetch(request);
  }

  async warm(): Promise<number> {
    // Object form.
    await this.startAndWaitForPorts({
      ports: [8080, 9222],
      startOptions: { envVars: { API_KEY: this.env.API_KEY }, labels: { tenant: "42" } },
      cancellationOptions: { portReadyTimeoutMS: 30_000, abort: new AbortController().signal },
    });
    // Positional form.
    await this.startAndWaitForPorts(8080, { instanceGetTimeoutMS: 5_000, waitInterval: 100 }, { enableInternet: true });
    await this.startAndWaitForPorts([8080, 9222]);
    await this.startAndWaitForPorts();
    await this.start(
      { entrypoint: ["node", "job.js"], enableInternet: false },
      { portToCheck: 8080, retries: 5, waitInterval: 200 },
    );
    await this.start();
    const attempts: number = await this.waitForPort({ portToCheck: 9222, retries: 20, waitInterval: 500 });
    return attempts;
  }

  async shutdown(): Promise<void> {
    await this.stop();
    await this.stop("SIGKILL");
    await this.stop("SIGINT");
    await this.stop(9);
    await this.destroy();
    this.renewActivityTimeout();
    await this.scheduleNextAlarm(500);
  }

  async describeState(): Promise<string> {
    const state: State = await this.getState();
    const changed: number = state.lastChange;
    if (state.status === "stopped_with_code") {
      const code: number | undefined = state.exitCode;
      return `exited with ${code ?? "?"} at ${changed}`;
    }
    // @ts-expect-error exitCode exists only when status is "stopped_with_code"
    void state.exitCode;
    const status: "running" | "healthy" | "stopping" | "stopped" = state.status;
    return status;
  }

  async planReport(): Promise<number> {
    const delayed = await this.schedule<ReportPayload>(30, "report", { tenant: "t-42", attempt: 1 });
    const tenant: string = delayed.payload.tenant;
    void tenant;
    if (delayed.type === "delayed") {
      const delay: number = delayed.delayInSeconds;
      return delay;
    }
    // @ts-expect-error delayInSeconds exists only on "delayed" schedules
    void delayed.delayInSeconds;
    const at = await this.schedule(new Date(Date.now() + 60_000), "report");
    const when: number = at.time;
    const found: Schedule<ReportPayload> | undefined = await this.getSchedule<ReportPayload>(delayed.taskId);
    const all: Schedule<ReportPayload>[] = await this.listSchedules<ReportPayload>("report");
    this.deleteSchedules("report");
    return when + (found ? 1 : 0) + all.length;
  }

  async report(payload: ReportPayload): Promise<void> {
    console.log("report", payload.tenant, payload.attempt);
  }

  mustNotCompile(request: Request): void {
    // @ts-expect-error not a signal stop() accepts
    void this.stop("SIGHUP");
    // @ts-expect-error `when` is a Date or a number of seconds
    void this.schedule("soon", "report");
    // @ts-expect-error ports are numbers
    void this.containerFetch(request, "8080");
    // @ts-expect-error waitForPort needs a portToCheck
    void this.waitForPort({ retries: 3 });
    // @ts-expect-error unknown start option
    void this.start({ env: { A: "1" } });
    // @ts-expect-error envVars values are strings
    void this.startAndWaitForPorts({ startOptions: { envVars: { A: 1 } } });
  }
}

export class PoolContainer extends Container<AppEnv> {
  override defaultPort = 3000;
  override sleepAfter = 90;

  constructor(ctx: DurableObjectState, env: AppEnv) {
    const options: ContainerOptions = { sleepAfter: "2m", envVars: { MODE: "pool" }, enableInternet: true };
    super(ctx, env, options);
  }
}

export class BadSleep extends Container {
  // @ts-expect-error sleepAfter is a string or a number of seconds
  override sleepAfter = true;
}

export default {
  async fetch(request: Request, env: AppEnv): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname.startsWith("/pool")) {
      const pooled = await getRandom(env.POOL, 5);
      return pooled.fetch(request);
    }
    if (url.pathname.startsWith("/legacy")) {
      const legacy = await loadBalance(env.POOL);
      return legacy.fetch(request);
    }
    if (url.pathname.startsWith("/ws")) {
      return getContainer(env.APP).fetch(switchPort(request, 9222));
    }
    const container = getContainer(env.APP, "workspace-123");
    if (url.pathname === "/warm") {
      // The documented object form, called through the Durable Object stub
      // (the docs' scheduled() example does exactly this).
      await container.startAndWaitForPorts({ ports: 8080, cancellationOptions: { portReadyTimeoutMS: 30_000 } });
      // The positional form through the stub.
      await container.startAndWaitForPorts([8080, 9222], { portReadyTimeoutMS: 30_000 });
      const state = await container.getState();
      return Response.json(state);
    }
    // @ts-expect-error getRandom returns a Promise of the stub
    void getRandom(env.POOL).fetch(request);
    // @ts-expect-error switchPort takes a numeric port
    void switchPort(request, "9222");
    return container.fetch(request);
  },

  async scheduled(_controller: ScheduledController, env: AppEnv): Promise<void> {
    await getContainer(env.APP, "nightly").start({ envVars: { REPORT_DATE: new Date().toISOString() } });
  },
} satisfies ExportedHandler<AppEnv>;

// The exported option and helper types are usable on their own.
export const cancellation: CancellationOptions = { abort: new AbortController().signal, instanceGetTimeoutMS: 8_000 };
export const startConfig: ContainerStartConfigOptions = {
  envVars: { A: "1" },
  entrypoint: ["sh"],
  enableInternet: true,
};
export const startArgs: StartAndWaitForPortsOptions = {
  ports: [1, 2],
  startOptions: startConfig,
  cancellationOptions: cancellation,
};
export const wait: WaitOptions = {
  portToCheck: 8080,
  signal: new AbortController().signal,
  retries: 3,
  waitInterval: 100,
};
export const signals: Array<Signal | SignalInteger> = ["SIGTERM", "SIGINT", "SIGKILL", 15];
export const message: ContainerMessage<{ id: number }> = { type: "ping", payload: { id: 1 } };
export const handler: ContainerEventHandler = async () => {};
export const stopped: StopParams = { exitCode: 137, reason: "runtime_signal" };
export const exitedState: State = { status: "stopped_with_code", exitCode: 1, lastChange: 0 };
export const plainState: State = { status: "healthy", lastChange: 0 };
// @ts-expect-error "sleeping" is not a status
export const badState: State = { status: "sleeping", lastChange: 0 };
// @ts-expect-error reason is "exit" or "runtime_signal"
export const badStop: StopParams = { exitCode: 0, reason: "crash" };
// @ts-expect-error "SIGHUP" is not a named Signal
export const badSignal: Signal = "SIGHUP";
