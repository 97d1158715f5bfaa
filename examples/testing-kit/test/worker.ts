// The test Worker: the real Worker, with its Container wrapped so that
// ctx.container is the fake runtime from workerd-containers/testing.
import { withFakeContainer } from "workerd-containers/testing";
import worker, { Greeter } from "../src/index";

/** The "server" the fake container runs on port 8080. */
export function greeterServer(request: Request): Response {
  const url = new URL(request.url);
  if (url.pathname === "/greet") return new Response(`Hello, ${url.searchParams.get("name")}!`);
  return new Response(`greeter saw ${request.method} ${url.pathname}`);
}

export const TestGreeter = withFakeContainer(Greeter, (fake) => {
  fake.ports.set(8080, greeterServer);
});

export default worker;
