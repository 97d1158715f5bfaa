// What the integration tests use to drive the Worker (worker.ts routes) and to
// look at what Docker really did.
import { execFileSync, spawn } from "node:child_process";
import { afterEach, inject } from "vitest";
import { appContainers } from "../../scripts/lib/docker.mjs";

/** A kind of container the suite's Worker serves (its table in worker.ts, e.g. "app"). */
export type Kind = string;

export const baseUrl = (): string => inject("baseUrl");

/** A fresh container (Durable Object) name per test. */
export const freshName = (): string => crypto.randomUUID();

export function proxyUrl(kind: Kind, name: string, path: string): string {
  return `${baseUrl()}/${kind}/${name}/proxy/${path.replace(/^\//, "")}`;
}

/** A request that goes through `switchPort` to `port`. */
export function portUrl(kind: Kind, name: string, port: number, path: string): string {
  return `${baseUrl()}/${kind}/${name}/port/${port}/${path.replace(/^\//, "")}`;
}

export function proxy(kind: Kind, name: string, path: string, init?: RequestInit): Promise<Response> {
  return fetch(proxyUrl(kind, name, path), init);
}

/** Opens a WebSocket to the container's /ws route through the Worker. */
export function openSocket(kind: Kind, name: string): Promise<WebSocket> {
  const ws = new WebSocket(proxyUrl(kind, name, "/ws").replace(/^http/, "ws"));
  ws.binaryType = "arraybuffer";
  return new Promise((resolve, reject) => {
    ws.addEventListener("open", () => resolve(ws), { once: true });
    ws.addEventListener("error", () => reject(new Error("WebSocket failed to open")), { once: true });
  });
}

export type { CallResult } from "../shared/call-method";
import type { CallResult } from "../shared/call-method";

/** Runs a Container method inside the Durable Object (worker.ts `call`). */
export async function rpc(kind: Kind, name: string, method: string, ...args: unknown[]): Promise<CallResult> {
  const res = await fetch(`${baseUrl()}/${kind}/${name}/rpc/${method}`, { method: "POST", body: JSON.stringify(args) });
  if (!res.ok) throw new Error(`rpc ${method}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as CallResult;
}

/** Hook calls recorded by the object, without their timestamps. */
export async function hooks(kind: Kind, name: string): Promise<string[]> {
  const result = await rpc(kind, name, "hooks");
  return (result.value as string[]).map((entry) => entry.slice(entry.indexOf(" ") + 1));
}

export type { RecordedEvent } from "../shared/fixture-worker";
import type { RecordedEvent } from "../shared/fixture-worker";

/** Lifecycle events the object saw, with the library's own `at` and timings. */
export async function events(kind: Kind, name: string): Promise<RecordedEvent[]> {
  return (await rpc(kind, name, "events")).value as RecordedEvent[];
}

/** The events of one type, oldest first. */
export async function eventsOf(kind: Kind, name: string, type: RecordedEvent["type"]): Promise<RecordedEvent[]> {
  return (await events(kind, name)).filter((event) => event.type === type);
}

export interface DockerContainer {
  name: string;
  status: string; // running, exited, …
  exitCode: number;
  logs: () => string;
}

/** The app containers Docker has for one Durable Object (sidecars left out). */
export async function dockerContainers(kind: Kind, name: string): Promise<DockerContainer[]> {
  return dockerContainersById(await dockerFragment(kind, name));
}

export function dockerContainersById(fragment: string): DockerContainer[] {
  const names = appContainers(inject("runName"), { all: true })
    .map((container) => container.name)
    .filter((containerName) => containerName.includes(fragment));
  return names.map((containerName) => {
    const [status = "", exitCode = ""] = execFileSync(
      "docker",
      ["inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", containerName],
      { encoding: "utf8" },
    )
      .trim()
      .split(" ");
    return {
      name: containerName,
      status,
      exitCode: Number(exitCode),
      logs: () =>
        execFileSync("docker", ["logs", containerName], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }),
    };
  });
}

/**
 * Exit codes Docker reported for a container ("die" events) since `sinceMs`.
 * workerd runs app containers with restart policy on-failure, so after a
 * non-zero exit Docker may already have restarted the process; the event
 * log still has the real code.
 */
export function dockerExitCodes(containerName: string, sinceMs: number): number[] {
  return dockerEvents(containerName, "die", sinceMs)
    .filter((line) => line.startsWith(`${containerName} `))
    .map((line) => Number(line.slice(containerName.length + 1)));
}

/**
 * Docker events of one kind ("start", "die", …) for containers whose name
 * contains `fragment`, since `sinceMs`: "<container name> <exit code>".
 */
export function dockerEvents(fragment: string, event: string, sinceMs: number): string[] {
  const out = execFileSync(
    "docker",
    [
      "events",
      "--since",
      String(Math.floor(sinceMs / 1000) - 1),
      "--until",
      "0s",
      "--filter",
      `event=${event}`,
      "--format",
      "{{.TimeNano}} {{.Actor.Attributes.name}} {{.Actor.Attributes.exitCode}}",
    ],
    { encoding: "utf8" },
  );
  // --since counts whole seconds: drop what happened before sinceMs.
  const sinceNs = BigInt(sinceMs) * 1_000_000n;
  return out
    .split("\n")
    .filter((line) => line && BigInt(line.slice(0, line.indexOf(" "))) >= sinceNs)
    .map((line) => line.slice(line.indexOf(" ") + 1))
    .filter((line) => line.includes(fragment) && !line.split(" ")[0]!.endsWith("-proxy"));
}

/**
 * Follows Docker's events of one kind from now on, for containers whose name
 * contains `fragment` (sidecars left out). For long cases: the daemon keeps
 * only its last 256 events, so a later `docker events --since` can miss some.
 */
export function watchDockerEvents(fragment: string, event: string): { names: () => string[]; stop: () => void } {
  const seen: string[] = [];
  const child = spawn("docker", ["events", "--filter", `event=${event}`, "--format", "{{.Actor.Attributes.name}}"], {
    stdio: ["ignore", "pipe", "ignore"],
  });
  let partial = "";
  child.stdout.on("data", (chunk: Buffer) => {
    const lines = (partial + chunk.toString()).split("\n");
    partial = lines.pop() ?? "";
    seen.push(...lines.filter((name) => name.includes(fragment) && !name.endsWith("-proxy")));
  });
  return { names: () => [...seen], stop: () => child.kill() };
}

/** "<class>-<id>": the part of Docker's container name that identifies one Durable Object. */
export async function dockerFragment(kind: Kind, name: string): Promise<string> {
  return (await fetch(`${baseUrl()}/docker/${kind}/${name}`)).text();
}

export { waitFor } from "../shared/wait-for";

/**
 * A fresh container name per call, for `kind` (or `name`, when a test must
 * use a fixed one); every container named during a test is destroyed after it
 * (call once per test file).
 */
export function useContainers(): (kind: Kind, name?: string) => string {
  const used: Array<[Kind, string]> = [];
  afterEach(() => destroyAll(used));
  return (kind, name = freshName()) => {
    used.push([kind, name]);
    return name;
  };
}

/** Kills the container of each name used by a test; errors ignored (best effort). */
export async function destroyAll(used: Array<[Kind, string]>): Promise<void> {
  await Promise.all(used.splice(0).map(([kind, name]) => rpc(kind, name, "destroy").catch(() => undefined)));
}

/** A figure worth keeping in the report (times measured on real containers). */
export function measure(label: string, ms: number): void {
  console.log(`[measure] ${label}: ${ms.toFixed(0)} ms`);
}
