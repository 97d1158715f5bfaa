// One check's outcome, as printed and as `--json` emits it:
// { id, ok, level, message, fix? }. `level` is "ok", "warning", "error" or
// "skipped" (a check that could not run because an earlier one failed);
// `ok` is true for "ok" and "warning".

const make = (level) => (id, message, fix) => ({
  id,
  ok: level === "ok" || level === "warning",
  level,
  message,
  ...(fix ? { fix } : {}),
});

export const pass = make("ok");
export const warn = make("warning");
export const fail = make("error");
export const skip = make("skipped");
