// The package's public surface, in one place: what `workerd-containers` and
// `workerd-containers/testing` export. SPEC's export list plus the additions
// noted below. scripts/check-package.mjs compares the built declaration files
// with it; test/unit/exports.test.ts compares the runtime values of src/.
// A new export goes here, in the barrel, with JSDoc and a test.

/** Runtime values of "workerd-containers": the original's seven, then the additions. */
export const INDEX_VALUES = [
  "Container",
  "ContainerProxy",
  "getContainer",
  "getRandom",
  "loadBalance",
  "outboundParams",
  "switchPort",
  // added beyond the original: the readiness-check factories it has proposed
  "isHealthy",
  "pathHealthy",
  "portResponding",
];

/** Types of "workerd-containers". */
export const INDEX_TYPES = [
  "CancellationOptions",
  "ContainerEventHandler",
  "ContainerMessage",
  "ContainerOptions",
  "ContainerStartConfigOptions",
  "Schedule",
  "Signal",
  "SignalInteger",
  "StartAndWaitForPortsOptions",
  "State",
  "StopParams",
  "WaitOptions",
  "OutboundHandler",
  "OutboundHandlerContext",
  "OutboundHandlerParams",
  "OutboundHandlerParamsOf",
  "OutboundHandlers",
  // added beyond the original: events, readiness, restart policy, wake: false
  "ContainerEvent",
  "ContainerEventType",
  "ContainerFetchInit",
  "ContainerInstanceType",
  "InstanceResources",
  "ExecHandle",
  "ExecOptions",
  "ExecResult",
  "PersistDisk",
  "ReadinessCheck",
  "ReadinessCheckOptions",
  "ReadyOn",
  "RestartPolicy",
  "RestartStatus",
  "SnapshotStatus",
];

/** Values and types of "workerd-containers/testing". */
export const TESTING_EXPORTS = [
  "FakeContainer",
  "FakeContainerOptions",
  "FakeExecBehaviour",
  "FakeExecRecord",
  "ExecHandler",
  "FakeRequestRecord",
  "FakeRestoreRecord",
  "FakeSnapshotRecord",
  "PortHandler",
  "fakeContainerFor",
  "installFakeContainer",
  "withFakeContainer",
];
