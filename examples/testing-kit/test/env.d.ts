import type { Greeter } from "../src/index";

declare global {
  interface Env extends Cloudflare.Env {}
  namespace Cloudflare {
    interface Env {
      GREETER: DurableObjectNamespace<Greeter>;
    }
    interface GlobalProps {
      mainModule: typeof import("./worker");
    }
  }
}
