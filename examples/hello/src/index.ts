// The smallest Worker + Container: every request goes to one container
// instance, which is started on the first request and stopped after
// two minutes without traffic.
import { Container, getContainer } from "workerd-containers";

interface Env {
  HELLO: DurableObjectNamespace<HelloContainer>;
}

export class HelloContainer extends Container<Env> {
  override defaultPort = 8080; // the port the server in ./container listens on
  override sleepAfter = "2m"; // stop after two minutes without requests
}

export default {
  fetch(request: Request, env: Env): Promise<Response> {
    // One named instance; pass another name to get another container.
    return getContainer(env.HELLO, "hello").fetch(request);
  },
};
