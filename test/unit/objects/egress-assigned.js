// A Container subclass whose static outbound configuration is assigned after
// the class body ([[Set]] semantics, as `useDefineForClassFields: false`
// compiles `static outbound = …`). Plain JavaScript on purpose.
import { Container } from "../../../src";
import { installFakeContainer } from "../../../src/testing";
import { echoServer } from "./servers";

export class AssignedEgressContainer extends Container {
  constructor(ctx, env) {
    installFakeContainer(ctx, (fake) => fake.ports.set(8080, echoServer));
    super(ctx, env);
    this.defaultPort = 8080;
  }
}

AssignedEgressContainer.outboundProxy = (request) =>
  new Response(`assigned-catch-all:${new URL(request.url).hostname}`);
AssignedEgressContainer.outboundProxies = {
  named: (_request, _env, ctx) => new Response(`assigned-named:${ctx.params?.tag}`),
};
