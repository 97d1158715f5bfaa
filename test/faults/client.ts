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

/** How one request ended: a full body, a body cut off with an error, an error status, or no end in time. */
export type Ending = "complete" | "cut off" | `status ${number}` | "hung";

/**
 * How `response` ends within `limitMs`: "complete" when its body passes
 * `expectedBody`, "cut off" when the body fails or comes short, "status N"
 * for an error status, "hung" when nothing ends it in time.
 */
export async function ending(
  response: Promise<Response>,
  expectedBody: (text: string) => boolean,
  limitMs = 20_000,
): Promise<Ending> {
  const outcome = (async (): Promise<Ending> => {
    const res = await response;
    if (res.status !== 200) {
      await res.body?.cancel();
      return `status ${res.status}`;
    }
    try {
      return expectedBody(await res.text()) ? "complete" : "cut off";
    } catch {
      return "cut off";
    }
  })().catch((): Ending => "cut off");
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hung = new Promise<Ending>((resolve) => (timer = setTimeout(() => resolve("hung"), limitMs)));
  return Promise.race([outcome, hung]).finally(() => clearTimeout(timer));
}

/** How many times each value occurs. */
export function countOf(values: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}
