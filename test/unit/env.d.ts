import type {
  AbortingContainer,
  CountingContainer,
  FieldContainer,
  OverridingContainer,
  OptionsContainer,
  PortlessContainer,
  TestContainer,
  UnconfiguredContainer,
} from "./objects/containers";
import type {
  AllowListContainer,
  EgressContainer,
  HttpsContainer,
  NamedOnlyContainer,
  NoProxyExportContainer,
} from "./objects/egress";
import type { AssignedEgressContainer } from "./objects/egress-assigned.js";
import type { PersistContainer } from "./objects/persist";
import type { PassThroughContainer, UpgradeRecordingContainer } from "./objects/websocket";

declare global {
  interface Env extends Cloudflare.Env {}
  namespace Cloudflare {
    interface Env {
      TEST: DurableObjectNamespace<TestContainer>;
      COUNTING: DurableObjectNamespace<CountingContainer>;
      OVERRIDING: DurableObjectNamespace<OverridingContainer>;
      FIELDS: DurableObjectNamespace<FieldContainer>;
      OPTIONS: DurableObjectNamespace<OptionsContainer>;
      PORTLESS: DurableObjectNamespace<PortlessContainer>;
      UNCONFIGURED: DurableObjectNamespace<UnconfiguredContainer>;
      EGRESS: DurableObjectNamespace<EgressContainer>;
      NAMED: DurableObjectNamespace<NamedOnlyContainer>;
      ALLOWLIST: DurableObjectNamespace<AllowListContainer>;
      HTTPS: DurableObjectNamespace<HttpsContainer>;
      NOPROXY: DurableObjectNamespace<NoProxyExportContainer>;
      ASSIGNED: DurableObjectNamespace<AssignedEgressContainer>;
      ABORTING: DurableObjectNamespace<AbortingContainer>;
      PERSIST: DurableObjectNamespace<PersistContainer>;
      UPGRADES: DurableObjectNamespace<UpgradeRecordingContainer>;
      PASSTHROUGH: DurableObjectNamespace<PassThroughContainer>;
    }
  }
}
