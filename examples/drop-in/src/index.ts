// A Worker written for @cloudflare/containers, unchanged: the import below
// stays "@cloudflare/containers", and package.json points that name at
// workerd-containers with an npm alias. (In this repository, wrangler.jsonc's
// `alias` does the same for the local sources, so no install is needed.)
import { Container, getContainer, getRandom } from "@cloudflare/containers";

export class MyContainer extends Container {
  defaultPort = 8080;
  sleepAfter = "2m";
  envVars = { MESSAGE: "set by the Container class" };

  onStart() {
    console.log("container started");
  }

  onStop(params: { exitCode: number; reason: string }) {
    console.log("container stopped", params.exitCode, params.reason);
  }

  onError(error: unknown) {
    console.log("container error", error);
    throw error;
  }
}

interface Env {
  MY_CONTAINER: DurableObjectNamespace<MyContainer>;
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const { pathname } = new URL(request.url);
    // /container/<id>: one container per id.
    if (pathname.startsWith("/container/")) {
      const id = pathname.split("/")[2] ?? "default";
      return getContainer(env.MY_CONTAINER, id).fetch(request);
    }
    // /lb: any of three instances.
    if (pathname === "/lb") {
      const stub = await getRandom(env.MY_CONTAINER, 3);
      return stub.fetch(request);
    }
    // /singleton: the one default-named instance.
    if (pathname === "/singleton") return getContainer(env.MY_CONTAINER).fetch(request);
    return new Response("try /container/<id>, /lb or /singleton\n");
  },
};
