/**
 * @module exec
 * Run a command in the running container (`ctx.container.exec`) without the
 * runtime's traps: input is checked before anything runs, output that the
 * caller does not read is drained (the runtime never ends a process whose
 * stdout or stderr is left unread), the command counts as activity until it
 * ends, `timeout` and `signal` kill it, and the runtime's failures become
 * errors that say what to do.
 *
 * The handle has the members of the runtime's own `ExecProcess` (`pid`,
 * `stdout`, `stderr`, `exitCode`, `output()`, `kill()`) and is an
 * `RpcTarget`, so Durable Object RPC passes it by reference: the caller
 * gets a stub, the real object stays in the Durable Object. On the stub,
 * `await handle.exitCode` and `await handle.output()` run the getter and
 * the method in the object and carry back their results, `handle.stdout`
 * carries the stream across, and `kill()` returns a promise. Only members
 * of the class's prototype are reachable that way (its state is in `#`
 * fields, out of reach); the background draining keeps running in the
 * object whether or not the caller still holds the stub.
 *
 * Layout: `request.ts` checks the call, `run.ts` runs it and holds the
 * handle, `drain.ts` reads one output stream, `errors.ts` words the failures.
 */

export { execWithoutWakeError } from "./errors";
export type { ExecOptions, ExecRequest } from "./request";
export { parseExecRequest } from "./request";
export type { ExecHandle, ExecResult } from "./run";
export { runExec, runExecRequest } from "./run";
