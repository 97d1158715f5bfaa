// What the faults tests add to the integration client (test/integration/client.ts).
import { baseUrl, type Kind } from "../integration/client";

/**
 * Evict the object as the runtime would (ctx.abort(): this instance is thrown
 * away, storage kept). The call itself fails, because the object is reset
 * under it, so its answer is ignored.
 */
export async function evict(kind: Kind, name: string): Promise<void> {
  const res = await fetch(`${baseUrl()}/${kind}/${name}/rpc/evict`, { method: "POST", body: "[]" });
  await res.body?.cancel();
}
