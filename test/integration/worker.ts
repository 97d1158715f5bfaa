// The Worker the integration suite drives through `wrangler dev`: one Durable
// Object class per container configuration, all on real Docker containers
// built from fixtures/app. The routes and the hook recording are shared with
// the faults suite (test/shared/fixture-worker.ts).
import { ContainerProxy, isHealthy } from "../../src";
import type { OutboundHandlerContext, ReadinessCheckOptions } from "../../src";
import { RecordingContainer, serveFixtures } from "../shared/fixture-worker";

// Outbound interception needs the Worker to export ContainerProxy.
export { ContainerProxy };

type NS<T extends RecordingContainer> = DurableObjectNamespace<T>;

interface Env {
  APP: NS<AppContainer>;
  CONFIGURED: NS<ConfiguredContainer>;
  PORTS: NS<PortsContainer>;
  SLEEPY: NS<SleepyContainer>;
  RANDOM: NS<RandomContainer>;
  LATE: NS<LateContainer>;
  SILENT: NS<SilentContainer>;
  EGRESS: NS<EgressContainer>;
  SUPERVISED: NS<SupervisedContainer>;
  NOSHELL: NS<NoShellContainer>;
  CHECKS: NS<ChecksContainer>;
  NAMED: NS<NamedImagesContainer>;
  PERSISTING: NS<PersistingContainer>;
  PASSTHROUGH: NS<PassThroughContainer>;
}

/** The general fixture: port 8080, hooks recorded. */
export class AppContainer extends RecordingContainer<Env> {}

/** Start configuration through class fields: env, entrypoint, labels. */
export class ConfiguredContainer extends RecordingContainer<Env> {
  override envVars: Record<string, string> = { FIXTURE_GREETING: "hello from envVars", PORTS: "8080" };
  override entrypoint?: string[] = ["/usr/local/bin/node", "/app/server.mjs", "--from-entrypoint", "extra-arg"];
  // The runtime accepts label names of at most 16 bytes.
  override labels: Record<string, string> = { "it-suite": "configured", team: "integration" };
}

/** Two ports that must both be ready. */
export class PortsContainer extends RecordingContainer<Env> {
  override requiredPorts?: number[] = [8080, 8081];
}

/** A short idle timeout. */
export class SleepyContainer extends RecordingContainer<Env> {
  override sleepAfter: string | number = "3s";
}

/** Its port opens 2.5 s after the process starts. */
export class LateContainer extends RecordingContainer<Env> {
  override envVars: Record<string, string> = { START_DELAY_MS: "2500" };
}

/** Its port never opens (well, not within 10 minutes). */
export class SilentContainer extends RecordingContainer<Env> {
  override envVars: Record<string, string> = { START_DELAY_MS: "600000" };
}

/**
 * Outbound interception: requests the app makes (through the sidecar
 * stand-in, as an explicit proxy: `http_proxy`) reach the Worker's handlers.
 * Internet is off, one host is denied.
 */
export class EgressContainer extends RecordingContainer<Env> {
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
export class SupervisedContainer extends RecordingContainer<Env> {
  override readyOn = { path: "/echo", status: 200 };
  override restartPolicy = { on: "failure" as const, maxRetries: 2, backoff: { initialMs: 300, jitter: 0 } };

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.callable.add("setHardTimeout").add("setReadyOnPath");
  }

  /** Set the hard timeout for this instance (seconds). */
  async setHardTimeout(seconds: number): Promise<void> {
    this.hardTimeout = seconds;
  }

  /** Point HTTP readiness at another path for this instance. */
  async setReadyOnPath(path: string): Promise<void> {
    this.readyOn = { path, status: 200 };
  }
}

/** On the Node base image as it is: no /bin/sh (fixtures/no-shell). */
export class NoShellContainer extends RecordingContainer<Env> {}

/**
 * readyOn as a list of checks, on a port that opens 1.5 s after the process
 * starts: an HTTP check and one of its own (it reads /env through the
 * check's direct fetch).
 */
export class ChecksContainer extends RecordingContainer<Env> {
  override envVars: Record<string, string> = { START_DELAY_MS: "1500" };
  override readyOn = [
    isHealthy("/echo"),
    async function bootKnown(_container: unknown, { fetch, signal }: ReadinessCheckOptions): Promise<void> {
      while (!signal.aborted) {
        const answer = await fetch("/env").catch(() => undefined);
        if (answer?.ok && ((await answer.json()) as { boot?: string }).boot) return;
        await answer?.body?.cancel();
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
  ];

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.callable.add("failChecks");
  }

  /** From now on, a check that fails. */
  async failChecks(): Promise<void> {
    this.setReadinessChecks([
      async function alwaysFails() {
        throw new Error("not today");
      },
    ]);
  }
}

/**
 * persistDisk on /data (files written there with exec), with a restart policy
 * for crashes; the idle time is set per test.
 */
export class PersistingContainer extends RecordingContainer<Env> {
  override persistDisk = { directories: ["/data"] };
  override restartPolicy = { on: "failure" as const, maxRetries: 2, backoff: { initialMs: 300, jitter: 0 } };

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.callable.add("setSleepAfter");
  }

  /** Set the idle time for this instance (seconds). */
  async setSleepAfter(seconds: number): Promise<void> {
    this.sleepAfter = seconds;
  }
}

/** Named images (wrangler's containers[].images): "app" unless a start names another. */
export class NamedImagesContainer extends RecordingContainer<Env> {
  override containerImage = "app";

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.callable.add("images");
  }

  /** The runtime's map of named images, as this object sees it. */
  async images(): Promise<Record<string, string>> {
    return { ...(this.ctx.container?.images ?? {}) };
  }
}

/** WebSocket upgrades handed back as the container answered them (webSocketProxy = "pass-through"). */
export class PassThroughContainer extends RecordingContainer<Env> {
  override webSocketProxy = "pass-through" as const;
}

/** Only for getRandom: its instance names (instance-<n>) are shared by design. */
export class RandomContainer extends RecordingContainer<Env> {}

export default serveFixtures<Env>(
  (env) => ({
    app: [env.APP, "AppContainer"],
    configured: [env.CONFIGURED, "ConfiguredContainer"],
    ports: [env.PORTS, "PortsContainer"],
    sleepy: [env.SLEEPY, "SleepyContainer"],
    random: [env.RANDOM, "RandomContainer"],
    late: [env.LATE, "LateContainer"],
    silent: [env.SILENT, "SilentContainer"],
    egress: [env.EGRESS, "EgressContainer"],
    supervised: [env.SUPERVISED, "SupervisedContainer"],
    noshell: [env.NOSHELL, "NoShellContainer"],
    checks: [env.CHECKS, "ChecksContainer"],
    named: [env.NAMED, "NamedImagesContainer"],
    persisting: [env.PERSISTING, "PersistingContainer"],
    passthrough: [env.PASSTHROUGH, "PassThroughContainer"],
  }),
  "random",
);
