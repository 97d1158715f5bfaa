// Compile-only test of the outbound (egress) typing: handler params flow
// through OutboundHandler, OutboundHandlerParamsOf, outboundParams and the
// runtime setters. Checked by `tsc --noEmit -p test/types`.
import { Container, ContainerProxy, outboundParams } from "../../src";
import type {
  OutboundHandler,
  OutboundHandlerContext,
  OutboundHandlerParams,
  OutboundHandlerParamsOf,
  OutboundHandlers,
} from "../../src";

interface EgressEnv {
  SECRET: string;
}

type TokenParams = { token: string };

const withToken: OutboundHandler<EgressEnv, TokenParams> = (request, env, ctx) => {
  const token: string = ctx.params.token; // required params: no `?.` needed
  return fetch(new Request(request, { headers: { authorization: `Bearer ${token}:${env.SECRET}` } }));
};
const noParams: OutboundHandler<EgressEnv, undefined> = (_request, _env, ctx) => {
  // @ts-expect-error params is absent when the handler takes none
  ctx.params.anything;
  return new Response(ctx.className + ctx.containerId);
};
const maybeParams: OutboundHandler<EgressEnv, TokenParams | undefined> = (_request, _env, ctx) =>
  new Response(ctx.params?.token ?? "none");

const handlers: OutboundHandlers<{ withToken: TokenParams; noParams: undefined }, EgressEnv> = { withToken, noParams };

export class EgressContainer extends Container<EgressEnv> {
  override defaultPort = 8080;
  override interceptHttps = true;
  override allowedHosts = ["api.example.com", "*.trusted.dev"];
  override deniedHosts = ["evil.example"];

  // Handlers with narrower params are accepted where general ones are expected.
  static override outboundHandlers = { withToken, noParams, maybeParams };
  static override outboundByHost = { "api.example.com": withToken };
  static override outbound = (request: Request) => fetch(request);

  async configure(): Promise<void> {
    await this.setOutboundHandler<TokenParams>("withToken", { token: "t" });
    await this.setOutboundHandler("maybeParams");
    await this.setOutboundHandler<undefined>("noParams");
    // @ts-expect-error params are required for this handler's params type
    await this.setOutboundHandler<TokenParams>("withToken");
    // @ts-expect-error a handler without params takes none
    await this.setOutboundHandler<undefined>("noParams", { token: "t" });
    await this.setOutboundByHost<TokenParams>("api.example.com", "withToken", { token: "t" });
    // @ts-expect-error wrong params shape
    await this.setOutboundByHost<TokenParams>("api.example.com", "withToken", { tokn: "t" });
    await this.setOutboundByHosts({
      "a.example": "noParams",
      "b.example": { method: "withToken", params: { token: "x" } },
    });
    await this.removeOutboundByHost("a.example");
    await this.setAllowedHosts(["a.example"]);
    await this.setDeniedHosts(["b.example"]);
    await this.allowHost("c.example");
    await this.denyHost("d.example");
    await this.removeAllowedHost("c.example");
    await this.removeDeniedHost("d.example");
    // @ts-expect-error hosts are strings
    await this.setAllowedHosts("a.example");
  }
}

// OutboundHandlerParamsOf infers the params type from a handler.
const inferred: OutboundHandlerParamsOf<typeof withToken> = { token: "t" };
// @ts-expect-error inferred params are checked
const wrong: OutboundHandlerParamsOf<typeof withToken> = { nope: 1 };
// outboundParams types params for the handler it names.
const typed = outboundParams(withToken, { token: "t" });
const token: string = typed.token;
// @ts-expect-error params must match the handler
outboundParams(withToken, { token: 1 });

const general: OutboundHandlerParams = { any: "thing" };
const ctx: OutboundHandlerContext<TokenParams> = {
  containerId: "id",
  className: "EgressContainer",
  params: { token: "t" },
};

// The Worker re-exports ContainerProxy.
export { ContainerProxy };
export const used = [handlers, inferred, wrong, token, general, ctx];
