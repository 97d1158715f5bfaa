// A Worker whose /echo/<name>/… requests go to the container instance <name>.
import { Container, getContainer } from "workerd-containers";

interface Env {
  ECHO: DurableObjectNamespace<EchoContainer>;
}

export class EchoContainer extends Container<Env> {
  override defaultPort = 8080;
  override sleepAfter = "1m";
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const match = /^\/echo\/([^/]+)(\/.*)?$/.exec(new URL(request.url).pathname);
    if (!match) return new Response("try /echo/<name>/<path>\n", { status: 404 });
    return getContainer(env.ECHO, match[1]).fetch(request);
  },
};
