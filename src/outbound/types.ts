/**
 * @module outbound/types
 * Public types of outbound (egress) interception. Shapes match
 * `@cloudflare/containers` so handlers written for it type-check unchanged.
 */

/** `params` absent, optional or required, depending on `Params`. */
type ParamsField<Params> = [Params] extends [undefined]
  ? { params?: undefined }
  : undefined extends Params
    ? { params?: Params }
    : { params: Params };

/** The third argument of an outbound handler. */
export type OutboundHandlerContext<Params = unknown> = {
  /** Id of the Durable Object whose container made the request. */
  containerId: string;
  /** Class name of that Durable Object. */
  className: string;
} & ParamsField<Params>;

/**
 * Answers a request a container made. Declared bivariantly, so a handler
 * with narrower params can be stored where a general one is expected.
 */
export type OutboundHandler<E = Cloudflare.Env, P = unknown> = {
  bivarianceHack(req: Request, env: E, ctx: OutboundHandlerContext<P>): Promise<Response> | Response;
}["bivarianceHack"];

/**
 * Any handler, whatever its env and params types (what the static fields and
 * the registry hold). Internal: generic-alias variance would otherwise reject
 * handlers with narrower params.
 */
// biome-ignore lint/suspicious/noExplicitAny: any env and context, by design; `unknown` rejects typed handlers
export type AnyOutboundHandler = (request: Request, env: any, ctx: any) => Promise<Response> | Response;

/** The general shape of handler params. */
export type OutboundHandlerParams = Record<string, unknown>;

/**
 * The params type a handler expects, read from its context parameter:
 * required params give `P`, optional ones `P | undefined`, none `undefined`.
 */
// biome-ignore lint/suspicious/noExplicitAny: matches a handler of any env; `unknown` would not (variance)
export type OutboundHandlerParamsOf<THandler> = THandler extends (req: Request, env: any, ctx: infer Ctx) => unknown
  ? unknown extends Ctx
    ? undefined
    : Ctx extends { params: infer Params }
      ? Params
      : Ctx extends { params?: infer Params }
        ? Params
        : undefined
  : never;

/** Named handlers (`static outboundHandlers`), typed per method. */
export type OutboundHandlers<ParamsByMethod extends OutboundHandlerParams, E = Cloudflare.Env> = {
  [Method in keyof ParamsByMethod]?: OutboundHandler<E, ParamsByMethod[Method]>;
};

/** The params argument of a runtime setter: none, optional or required. */
export type OutboundParamsArg<Params> = [Params] extends [undefined]
  ? []
  : undefined extends Params
    ? [params?: Params]
    : [params: Params];

/** A named handler chosen at runtime, with its params. */
export type OutboundHandlerOverride<Params = unknown> = { method: string } & ParamsField<Params>;

/** Per-host runtime handlers: a method name, or a method with params. */
export type OutboundByHostOverrideInput<Params = unknown> = Record<string, string | OutboundHandlerOverride<Params>>;

/**
 * Returns `params`, type-checked against what `handler` expects.
 *
 * @example
 * ```ts
 * await this.setOutboundHandler("withToken", outboundParams(MyContainer.outboundHandlers.withToken, { token }));
 * ```
 */
export function outboundParams<THandler extends OutboundHandler<unknown, unknown>>(
  _handler: THandler,
  params: OutboundHandlerParamsOf<THandler>,
): OutboundHandlerParamsOf<THandler> {
  return params;
}
