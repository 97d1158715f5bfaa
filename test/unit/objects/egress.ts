// Fixture Container subclasses with outbound (egress) configuration.
import { Container } from "../../../src";
import type { OutboundHandler, OutboundHandlerContext } from "../../../src";
import { installFakeContainer } from "../../../src/testing";
import type { FakeContainer } from "../../../src/testing";
import { echoServer } from "./servers";

function withEcho(fake: FakeContainer): void {
  fake.ports.set(8080, echoServer);
}

/** Describe what a handler saw, so tests can assert on it. */
function report(label: string) {
  return (request: Request, _env: unknown, ctx: OutboundHandlerContext<unknown>) =>
    Response.json({
      label,
      url: request.url,
      containerId: ctx.containerId,
      className: ctx.className,
      params: ctx.params ?? null,
    });
}

const withToken: OutboundHandler<Env, { token: string }> = (request, _env, ctx) =>
  Response.json({
    label: "withToken",
    url: request.url,
    token: ctx.params.token,
    auth: request.headers.get("authorization"),
  });

/** Static configuration as TypeScript class fields (define semantics). */
export class EgressContainer extends Container<Env> {
  override defaultPort = 8080;
  override deniedHosts = ["blocked.example.com", "*.evil.test"];

  static override outboundByHost = {
    "api.example.com": report("by-host"),
    "api.example.com:8443": report("by-host-port"),
    "*.images.example.com": report("by-glob"),
  };
  static override outbound = report("catch-all");
  static override outboundHandlers = {
    withToken,
    other: report("other"),
    broken: (() => {
      throw new Error("handler broke");
    }) as OutboundHandler,
  };

  constructor(ctx: DurableObjectState, env: Env) {
    installFakeContainer(ctx, withEcho);
    super(ctx, env);
  }
}

/** Only named handlers: nothing intercepted until runtime configuration asks for it. */
export class NamedOnlyContainer extends Container<Env> {
  override defaultPort = 8080;
  static override outboundHandlers = { withToken, other: report("other") };

  constructor(ctx: DurableObjectState, env: Env) {
    installFakeContainer(ctx, withEcho);
    super(ctx, env);
  }
}

/**
 * The documented use: only allow-listed hosts, internet otherwise off, and a
 * handler that injects a credential for one API.
 */
export class AllowListContainer extends Container<Env> {
  override defaultPort = 8080;
  override enableInternet = false;
  override allowedHosts = ["api.partner.example", "*.trusted.dev"];
  static override outboundByHost = {
    "api.partner.example": (request: Request) => {
      const withCredential = new Request(request, {
        headers: { ...Object.fromEntries(request.headers), authorization: "Bearer injected" },
      });
      return Response.json({
        label: "credential",
        auth: withCredential.headers.get("authorization"),
        url: withCredential.url,
      });
    },
  };

  constructor(ctx: DurableObjectState, env: Env) {
    installFakeContainer(ctx, withEcho);
    super(ctx, env);
  }
}

/** HTTPS interception requested. */
export class HttpsContainer extends Container<Env> {
  override defaultPort = 8080;
  override interceptHttps = true;
  static override outbound = report("https-catch-all");

  constructor(ctx: DurableObjectState, env: Env) {
    installFakeContainer(ctx, withEcho);
    super(ctx, env);
  }
}

/** Interception configured, but the Worker "forgot" to export ContainerProxy. */
export class NoProxyExportContainer extends Container<Env> {
  override defaultPort = 8080;
  static override outbound = report("never");

  constructor(ctx: DurableObjectState, env: Env) {
    installFakeContainer(ctx, withEcho);
    Object.defineProperty(ctx, "exports", { value: {}, configurable: true });
    super(ctx, env);
  }
}

/**
 * A class that is never constructed, named "ContainerProxy" and given its
 * handlers by assignment at module load: what @cloudflare/sandbox does so that
 * proxies it builds with `className: "ContainerProxy"` find its handlers.
 */
const ProxyTarget = class extends Container<Env> {};
Object.defineProperty(ProxyTarget, "name", { value: "ContainerProxy" });
ProxyTarget.outboundHandlers = { mountHandler: report("mount") };
