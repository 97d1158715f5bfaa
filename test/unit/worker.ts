// Entry point of the unit-test Worker: exports the fixture Durable Objects.
export {
  AbortingContainer,
  CountingContainer,
  FieldContainer,
  OverridingContainer,
  OptionsContainer,
  PortlessContainer,
  TestContainer,
  UnconfiguredContainer,
} from "./objects/containers";

export {
  AllowListContainer,
  EgressContainer,
  HttpsContainer,
  NamedOnlyContainer,
  NoProxyExportContainer,
} from "./objects/egress";
export { AssignedEgressContainer } from "./objects/egress-assigned.js";
export { PersistContainer } from "./objects/persist";
export { PassThroughContainer, UpgradeRecordingContainer } from "./objects/websocket";
export { ContainerProxy } from "../../src";

export default {
  fetch(): Response {
    return new Response("workerd-containers unit-test worker");
  },
};
