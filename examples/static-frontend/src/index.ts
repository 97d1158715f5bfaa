// Static frontend + container backend: wrangler serves the files in ./public
// (index.html, app.js) as static assets; requests to /api/* reach this Worker,
// which sends them to the API server running in the container.
import { Container, getContainer } from "workerd-containers";

interface Env {
  API: DurableObjectNamespace<ApiContainer>;
  ASSETS: Fetcher;
}

export class ApiContainer extends Container<Env> {
  override defaultPort = 8080;
  override sleepAfter = "5m";
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname.startsWith("/api/")) {
      // The container sees the same path (/api/...), method, headers and body.
      return getContainer(env.API, "api").fetch(request);
    }
    // Anything else that is not a file in ./public: let the assets layer answer (404).
    return env.ASSETS.fetch(request);
  },
};
