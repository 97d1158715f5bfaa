// Outbound interception: the container calls an external API
// (http://api.weather.example). Its requests pass through this Worker's
// handler, which adds the API credential (a Worker secret the container never
// sees). Every other host is blocked (520), because internet access is off.
//   GET /forecast?city=Paris   the container asks the API and relays the answer
//   GET /fetch?url=…           the container fetches any URL (to see the blocking)
import { Container, ContainerProxy, getContainer, type OutboundHandler } from "workerd-containers";

// The runtime sends the container's outbound requests to ContainerProxy: export it.
export { ContainerProxy };

interface Env {
  APP: DurableObjectNamespace<AppContainer>;
  WEATHER_API_KEY: string; // secret (.dev.vars locally)
}

/**
 * Stands in for the real API so the example runs offline: it answers only
 * requests that carry the right key. In your Worker, the handler would end
 * with `return fetch(authorized)`.
 */
function weatherApi(request: Request, env: Env): Response {
  if (request.headers.get("authorization") !== `Bearer ${env.WEATHER_API_KEY}`) {
    return Response.json({ error: "missing or wrong API key" }, { status: 401 });
  }
  const city = new URL(request.url).searchParams.get("city") ?? "nowhere";
  return Response.json({ city, forecast: "sunny", source: "api.weather.example" });
}

/** Adds the credential to every request for the weather API. */
const withApiKey: OutboundHandler<Env> = (request, env) => {
  const headers = new Headers(request.headers);
  headers.set("authorization", `Bearer ${env.WEATHER_API_KEY}`);
  const authorized = new Request(request, { headers });
  return weatherApi(authorized, env);
};

export class AppContainer extends Container<Env> {
  override defaultPort = 8080;
  override sleepAfter = "2m";
  override enableInternet = false; // nothing leaves unless a handler takes it
  // Local stand-in for the networking sidecar: the app sends HTTP through it
  // as an explicit proxy (the real one captures traffic without this).
  override envVars: Record<string, string> = { http_proxy: "http://127.0.0.1:39080" };
  static override outboundByHost = { "api.weather.example": withApiKey };
}

export default {
  fetch(request: Request, env: Env): Promise<Response> {
    return getContainer(env.APP, "app").fetch(request);
  },
};
