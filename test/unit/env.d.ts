import type {
  FieldContainer,
  OptionsContainer,
  PortlessContainer,
  TestContainer,
  UnconfiguredContainer,
} from "./objects/containers";

declare global {
  interface Env extends Cloudflare.Env {}
  namespace Cloudflare {
    interface Env {
      TEST: DurableObjectNamespace<TestContainer>;
      FIELDS: DurableObjectNamespace<FieldContainer>;
      OPTIONS: DurableObjectNamespace<OptionsContainer>;
      PORTLESS: DurableObjectNamespace<PortlessContainer>;
      UNCONFIGURED: DurableObjectNamespace<UnconfiguredContainer>;
    }
  }
}
export {};
