/**
 * @module workerd-containers
 * Drop-in replacement for `@cloudflare/containers`: the `Container` Durable
 * Object class and the helpers Workers use to route to it.
 */

export { Container } from "./container";
export { getContainer, getRandom, loadBalance, switchPort } from "./helpers";
export { ContainerProxy } from "./outbound/proxy";
export { outboundParams } from "./outbound/types";
export { isHealthy, pathHealthy, portResponding } from "./readiness-checks";
export type { ReadinessCheck, ReadinessCheckOptions } from "./readiness-checks";
export type {
  OutboundHandler,
  OutboundHandlerContext,
  OutboundHandlerParams,
  OutboundHandlerParamsOf,
  OutboundHandlers,
} from "./outbound/types";
export type { ContainerFetchInit } from "./container";
export type { ExecHandle, ExecOptions, ExecResult } from "./exec";
export type {
  CancellationOptions,
  ContainerInstanceType,
  InstanceResources,
  ContainerEvent,
  ContainerEventType,
  PersistDisk,
  ReadyOn,
  RestartPolicy,
  RestartStatus,
  ContainerEventHandler,
  ContainerMessage,
  ContainerOptions,
  ContainerStartConfigOptions,
  Schedule,
  Signal,
  SignalInteger,
  SnapshotStatus,
  StartAndWaitForPortsOptions,
  State,
  StopParams,
  WaitOptions,
} from "./types";
