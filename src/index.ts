/**
 * @module workerd-containers
 * Drop-in replacement for `@cloudflare/containers`: the `Container` Durable
 * Object class and the helpers Workers use to route to it.
 */

export { Container } from "./container";
export { getContainer, getRandom, loadBalance, switchPort } from "./helpers";
export type {
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
} from "./types";
