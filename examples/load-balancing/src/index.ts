// Stateless load balancing: each request goes to one of INSTANCES containers
// picked at random by getRandom (named instance-0 … instance-<N-1>). Works for
// servers that keep no per-user state; each instance starts on its first request.
import { Container, getRandom } from "workerd-containers";

const INSTANCES = 3;

interface Env {
  WORKERS: DurableObjectNamespace<StatelessContainer>;
}

export class StatelessContainer extends Container<Env> {
  override defaultPort = 8080;
  override sleepAfter = "1m";
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const stub = await getRandom(env.WORKERS, INSTANCES);
    return stub.fetch(request);
  },
};
