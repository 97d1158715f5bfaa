// A small Worker with a Container: the code under test in this example.
import { Container, getContainer } from "workerd-containers";

export class Greeter extends Container<Env> {
  override defaultPort = 8080;
  override sleepAfter = "2m";
  starts = 0;

  override onStart(): void {
    this.starts++;
  }

  /** RPC: ask the container to greet someone. */
  async greet(name: string): Promise<string> {
    const response = await this.containerFetch(`/greet?name=${encodeURIComponent(name)}`);
    if (!response.ok) throw new Error(`greeter answered ${response.status}`);
    return response.text();
  }
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    const who = url.searchParams.get("who") ?? "anonymous";
    return getContainer(env.GREETER, who).fetch(request);
  },
};
