/**
 * @module exec/request
 * The input of `exec`: the public option types, the checks that run before
 * anything runs or wakes, and the options handed to the runtime.
 */

import { describeValue } from "../errors";
import type { RuntimeExecOptions } from "../runtime";

/** Largest `timeout`: the timer limit (2^31 − 1 ms, about 24.8 days). */
export const EXEC_MAX_TIMEOUT_MS = 2_147_483_647;

/** Options of `exec()`. */
export interface ExecOptions {
  /** Working directory of the command. @default the image's working directory */
  cwd?: string;
  /** Environment variables added for the command. */
  env?: Record<string, string>;
  /** User to run as (`"name"`, `"uid"` or `"uid:gid"`). @default the image's user */
  user?: string;
  /** Milliseconds after which the command is killed (SIGKILL) and the call fails. @default none */
  timeout?: number;
  /** Aborting kills the command (SIGKILL); the call fails with the abort reason. Cannot cross RPC. */
  signal?: AbortSignal;
  /** What the command reads on stdin. @default nothing */
  stdin?: string | Uint8Array | ReadableStream<Uint8Array>;
  /** `"combined"`: stderr goes into stdout; `"ignore"`: it is thrown away. @default "pipe" */
  stderr?: "pipe" | "combined" | "ignore";
  /** Start the container when it is stopped (`Container.exec` acts on this, not `runExec`). @default true */
  wake?: boolean;
}

/** A checked `exec` call. */
export interface ExecRequest {
  readonly cmd: readonly string[];
  readonly cwd: string | undefined;
  readonly env: Readonly<Record<string, string>> | undefined;
  readonly user: string | undefined;
  readonly timeoutMs: number | undefined;
  readonly signal: AbortSignal | undefined;
  readonly stdin: string | Uint8Array | ReadableStream<Uint8Array> | undefined;
  readonly stderr: "pipe" | "combined" | "ignore";
  readonly wake: boolean;
}

const OPTION_NAMES: readonly string[] = ["cwd", "env", "user", "timeout", "signal", "stdin", "stderr", "wake"];
const ACCEPTED = "cwd, env, user, timeout (milliseconds), signal, stdin, stderr, wake";

/**
 * Check an `exec` call and normalise it, before anything runs or wakes.
 * @throws TypeError or RangeError naming what was wrong and what is accepted
 */
export function parseExecRequest(cmd: unknown, options: unknown = {}): ExecRequest {
  const command = parseCommand(cmd);
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new TypeError(
      `Invalid exec options: ${describe(options)}. Expected an object such as { cwd: "/app", timeout: 5000 }, ` +
        "or nothing.",
    );
  }
  const given = options as Record<string, unknown>;
  for (const key of Object.keys(given)) {
    if (!OPTION_NAMES.includes(key)) {
      throw new TypeError(`Unknown exec option ${JSON.stringify(key)}. Accepted: ${ACCEPTED}.`);
    }
  }
  const { cwd, env, user, timeout, signal, stdin, stderr, wake } = given;
  return Object.freeze({
    cmd: command,
    cwd: optionalText("cwd", cwd, "a directory in the container"),
    env: parseEnv(env),
    user: optionalText("user", user, 'a user name, uid or "uid:gid"'),
    timeoutMs: parseTimeout(timeout),
    signal: parseSignal(signal),
    stdin: parseStdin(stdin),
    stderr: parseStderr(stderr),
    wake: parseWake(wake),
  });
}

/** The options the runtime's `exec()` gets for `request` (stdin given as bytes becomes a stream). */
export function runtimeOptions(request: ExecRequest): RuntimeExecOptions {
  const options: RuntimeExecOptions = { stdout: "pipe", stderr: request.stderr };
  if (request.cwd !== undefined) options.cwd = request.cwd;
  if (request.env !== undefined) options.env = { ...request.env };
  if (request.user !== undefined) options.user = request.user;
  const { stdin } = request;
  if (typeof stdin === "string" || stdin instanceof Uint8Array) {
    const bytes = typeof stdin === "string" ? new TextEncoder().encode(stdin) : stdin;
    options.stdin = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes);
        controller.close();
      },
    });
  } else if (stdin !== undefined) {
    options.stdin = stdin;
  }
  return options;
}

function parseCommand(cmd: unknown): string[] {
  if (!Array.isArray(cmd) || cmd.length === 0) {
    throw new TypeError(
      `Invalid exec command: ${describe(cmd)}. Expected a non-empty array of strings, such as ["ls", "-la"].`,
    );
  }
  cmd.forEach((arg: unknown, index) => {
    if (typeof arg !== "string") {
      throw new TypeError(
        `Invalid exec command: element ${index} is ${describe(arg)}. Every element must be a string, ` +
          'such as ["ls", "-la"].',
      );
    }
    if (arg.includes("\0")) {
      throw new TypeError(
        `Invalid exec command: element ${index} contains a NUL character, which no argument can carry.`,
      );
    }
  });
  if (cmd[0] === "") {
    throw new TypeError(
      'Invalid exec command: the program (element 0) is an empty string. Expected its name or path, such as "ls".',
    );
  }
  return Object.freeze([...cmd]) as string[];
}

function optionalText(name: string, value: unknown, what: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || value === "" || value.includes("\0")) {
    throw new TypeError(`Invalid exec option ${name}: ${describe(value)}. Expected a non-empty string (${what}).`);
  }
  return value;
}

function parseEnv(env: unknown): Readonly<Record<string, string>> | undefined {
  if (env === undefined) return undefined;
  const fail = (detail: string): never => {
    throw new TypeError(
      `Invalid exec option env: ${detail}. Expected an object of strings, such as { NODE_ENV: "production" }.`,
    );
  };
  if (typeof env !== "object" || env === null || Array.isArray(env)) return fail(describe(env));
  for (const [key, value] of Object.entries(env)) {
    if (key === "" || key.includes("=") || key.includes("\0")) {
      fail(`the name ${JSON.stringify(key)} is empty or has "=" or NUL in it`);
    }
    if (typeof value !== "string") fail(`${key} is ${describe(value)}`);
    if ((value as string).includes("\0")) fail(`${key} contains a NUL character`);
  }
  return Object.freeze({ ...(env as Record<string, string>) });
}

function parseTimeout(timeout: unknown): number | undefined {
  if (timeout === undefined) return undefined;
  if (typeof timeout !== "number" || !(timeout > 0) || timeout > EXEC_MAX_TIMEOUT_MS) {
    throw new RangeError(
      `Invalid exec option timeout: ${describe(timeout)}. Expected milliseconds, a number greater than 0 and at ` +
        `most ${EXEC_MAX_TIMEOUT_MS} (a duration string such as "30s" is not accepted here).`,
    );
  }
  return timeout;
}

function parseSignal(signal: unknown): AbortSignal | undefined {
  if (signal === undefined) return undefined;
  if (!(signal instanceof AbortSignal)) {
    throw new TypeError(`Invalid exec option signal: ${describe(signal)}. Expected an AbortSignal.`);
  }
  return signal;
}

function parseStdin(stdin: unknown): ExecRequest["stdin"] {
  if (stdin === undefined || typeof stdin === "string" || stdin instanceof Uint8Array) return stdin;
  if (stdin instanceof ReadableStream) {
    if (stdin.locked) throw new TypeError("Invalid exec option stdin: the ReadableStream is locked (already read).");
    return stdin as ReadableStream<Uint8Array>;
  }
  throw new TypeError(
    `Invalid exec option stdin: ${describe(stdin)}. Expected a string, a Uint8Array or a ReadableStream of bytes.`,
  );
}

function parseStderr(stderr: unknown): ExecRequest["stderr"] {
  if (stderr === undefined) return "pipe";
  if (stderr === "pipe" || stderr === "combined" || stderr === "ignore") return stderr;
  throw new TypeError(
    `Invalid exec option stderr: ${describe(stderr)}. Expected "pipe" (the default), "combined" (into stdout) ` +
      'or "ignore".',
  );
}

function parseWake(wake: unknown): boolean {
  if (wake === undefined) return true;
  if (typeof wake !== "boolean") {
    throw new TypeError(`Invalid exec option wake: ${describe(wake)}. Expected true or false.`);
  }
  return wake;
}

function describe(value: unknown): string {
  return value === undefined ? "undefined" : describeValue(value);
}
