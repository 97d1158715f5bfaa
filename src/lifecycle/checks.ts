/**
 * @module lifecycle/checks
 * The pass over `readyOn`'s readiness checks for one process: every check
 * side by side, one deadline for all of them (which a later caller with a
 * longer budget may push back), ended by the process's exit.
 */

import type { ResolvedConfig } from "../config";
import { ContainerTimeoutError, messageOf } from "../errors";
import { toContainerRequest } from "../proxy/http";
import { builtInOf, builtInProbe, type ReadinessCheck, type ReadinessCheckOptions } from "../readiness-checks";
import type { ContainerRuntime } from "../runtime";

/** What one pass needs from the lifecycle. */
export interface CheckPass {
  readonly checks: readonly ReadinessCheck[];
  readonly config: ResolvedConfig;
  /** When the pass gives up (read again when it is due: it may have moved). */
  deadline(): number;
  /** When the process was launched, for the timeout message. */
  readonly startedAt: number | undefined;
  /** Settles when the process has exited. */
  readonly exited: Promise<void>;
  readonly runtime: ContainerRuntime;
  /** What a custom check is called with: the Container. */
  readonly container: unknown;
  /** Poll a port as the start does (it ends when the process does). */
  pollPort(
    port: number,
    url: string,
    accept: ((status: number) => boolean) | undefined,
    deadline: number,
  ): Promise<unknown>;
}

/**
 * Run the checks side by side: the built-in ones polled like ports, the
 * others called with the container and `{ signal, deadline, fetch }`. The
 * signal aborts when the time is up or the process exits, and the wait ends
 * then too, whatever a check does with it.
 */
export async function runReadinessChecks(pass: CheckPass): Promise<void> {
  const { config, deadline } = pass;
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  // Re-armed while a later caller's longer budget keeps the pass going.
  const arm = () => {
    timer = setTimeout(
      () => {
        if (Date.now() < deadline()) return arm();
        const ms = Math.max(0, deadline() - (pass.startedAt ?? Date.now()));
        controller.abort(new ContainerTimeoutError(`The readiness checks did not all pass within ${ms} ms`));
      },
      Math.max(0, deadline() - Date.now()),
    );
  };
  arm();
  void pass.exited.then(() => controller.abort(new Error("The container exited before its readiness checks passed.")));
  const { signal } = controller;
  const gaveUp = new Promise<never>((_resolve, reject) => {
    signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });
  gaveUp.catch(() => undefined);
  const fetch = (input: string | Request, port?: number) => {
    const target = port ?? config.defaultPort ?? config.instancePort;
    const { request } = toContainerRequest(input);
    return pass.runtime.getTcpPort(target).fetch(request);
  };
  try {
    await Promise.all(
      pass.checks.map((check) => {
        const spec = builtInOf(check);
        if (spec) {
          const port = spec.port ?? config.defaultPort ?? config.instancePort;
          const probe = builtInProbe(spec, config.pingUrl);
          return pass.pollPort(port, probe.url, probe.accept, deadline());
        }
        const options: ReadinessCheckOptions = { signal, deadline: deadline(), fetch };
        const passed = Promise.resolve().then(() => check(pass.container, options));
        return Promise.race([passed, gaveUp]).catch((error: unknown) => {
          if (error === signal.reason) throw error;
          const name = check.name || "(anonymous)";
          throw new Error(`Readiness check ${name} failed: ${messageOf(error)}`, { cause: error });
        });
      }),
    );
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    // A check still running (another failed first) is told to stop.
    if (!signal.aborted) controller.abort(new Error("The readiness wait ended."));
  }
}
