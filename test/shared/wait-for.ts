// The one way the tests wait for an effect that settles asynchronously: the
// suites on real containers call it directly, the workerd unit tests through
// `eventually` (test/unit/harness.ts), which polls assertions with a short
// interval. It returns as soon as the check passes, so a generous limit costs
// nothing on a fast machine and keeps a machine with busy cores from failing.

/**
 * Polls `check` until it returns a truthy value, and returns that value. A
 * check that throws has not passed yet. Once `timeoutMs` is over, the last
 * failure is thrown: the check's own error with "timed out … waiting for
 * <what>" before its message (so an assertion keeps its diff), or an error
 * naming the last value.
 */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T> | T,
  timeoutMs = 30_000,
  intervalMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
      last = value;
    } catch (error) {
      last = error;
    }
    if (Date.now() >= deadline) break;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  const timedOut = `timed out after ${timeoutMs} ms waiting for ${what}`;
  if (last instanceof Error) {
    last.message = `${timedOut}: ${last.message}`;
    throw last;
  }
  throw new Error(`${timedOut} (last: ${JSON.stringify(last) ?? String(last)})`);
}
