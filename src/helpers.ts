/**
 * @module helpers
 * Helpers for Workers that route to containers: `getContainer`, `getRandom`,
 * `loadBalance` and `switchPort`.
 */

import { DEFAULT_INSTANCE_NAME, DEFAULT_RANDOM_INSTANCES, TARGET_PORT_HEADER } from "./constants";
import { assertPort } from "./ports";

/**
 * The stub of the container instance named `name`.
 *
 * @param binding the Durable Object namespace of a `Container` subclass
 * @param name stable instance name
 * @default name "cf-singleton-container"
 * @example
 * ```ts
 * return getContainer(env.MY_CONTAINER, sessionId).fetch(request);
 * ```
 */
export function getContainer<T extends Rpc.DurableObjectBranded | undefined = undefined>(
  binding: DurableObjectNamespace<T>,
  name: string = DEFAULT_INSTANCE_NAME,
): DurableObjectStub<T> {
  return binding.get(binding.idFromName(name));
}

/**
 * The stub of one of `instances` interchangeable instances, picked uniformly
 * at random. Instances are named `instance-0` … `instance-<n-1>`, as in the
 * original, so a deployment that switches library keeps its instances.
 *
 * @param instances pool size (a positive integer)
 * @default instances 3
 * @throws {RangeError} when `instances` is not a positive integer
 * @example
 * ```ts
 * const container = await getRandom(env.WORKERS, 5);
 * return container.fetch(request);
 * ```
 */
export async function getRandom<T extends Rpc.DurableObjectBranded | undefined = undefined>(
  binding: DurableObjectNamespace<T>,
  instances: number = DEFAULT_RANDOM_INSTANCES,
): Promise<DurableObjectStub<T>> {
  if (!Number.isInteger(instances) || instances < 1) {
    throw new RangeError(`Invalid instances: ${String(instances)}. Expected a positive integer.`);
  }
  const n = Math.floor(Math.random() * instances);
  return binding.get(binding.idFromName(`instance-${n}`));
}

let warnedLoadBalance = false;

/**
 * Old name of {@link getRandom}; warns once.
 *
 * @deprecated Use `getRandom`.
 */
export async function loadBalance<T extends Rpc.DurableObjectBranded | undefined = undefined>(
  binding: DurableObjectNamespace<T>,
  instances: number = DEFAULT_RANDOM_INSTANCES,
): Promise<DurableObjectStub<T>> {
  if (!warnedLoadBalance) {
    warnedLoadBalance = true;
    console.warn("loadBalance is deprecated, use getRandom instead.");
  }
  return getRandom(binding, instances);
}

/**
 * A copy of `request` that `Container.fetch` sends to `port` (it sets the
 * `cf-container-target-port` header). Works for WebSocket upgrades too.
 *
 * @throws {RangeError} when `port` is not an integer from 1 to 65535
 * @example
 * ```ts
 * return getContainer(env.MY_CONTAINER).fetch(switchPort(request, 9090));
 * ```
 */
export function switchPort(request: Request, port: number): Request {
  assertPort(port);
  const headers = new Headers(request.headers);
  headers.set(TARGET_PORT_HEADER, String(port));
  return new Request(request, { headers });
}
