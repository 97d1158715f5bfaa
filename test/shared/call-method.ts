// Running one allowed method of a Durable Object and reporting the outcome as
// data, shared by the fixture Workers (errors thrown across a stub lose their
// shape, and tests want the message).

/** What `call` answers. */
export interface CallResult {
  ok: boolean;
  value?: unknown;
  error?: string;
  ms: number;
}

/** Runs `target[method](...args)` if `allowed` has it; never throws. */
export async function callMethod(
  target: object,
  allowed: ReadonlySet<string>,
  method: string,
  args: unknown[],
): Promise<CallResult> {
  const started = Date.now();
  if (!allowed.has(method)) return { ok: false, error: `unknown method ${method}`, ms: 0 };
  try {
    const fn = (target as Record<string, (...a: unknown[]) => unknown>)[method]!;
    const value = await fn.apply(target, args);
    return { ok: true, value: value ?? null, ms: Date.now() - started };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error), ms: Date.now() - started };
  }
}
