// Running a command line without a shell (the image has none): split it into
// words the way a POSIX shell would for the simple cases, resolve the program,
// spawn it. A handful of builtins (cd, export, unset, echo, pwd, true, false)
// run in-process, because the SDK itself sends `export K=V` / `unset K` for
// setEnvVars and a session's cd/export should stick like they do in bash.
//
// Supported syntax: words separated by blanks; '...' ; "..." with \" \\ \$ \`
// escapes; \x outside quotes; $NAME and ${NAME} (from the command's env);
// leading NAME=value assignments; # comments. (Expansions are not field-split:
// unquoted $X stays one word.) Anything needing a real shell
// (| & ; < > ( ) ` $( ) is refused with exit code 2 rather than misread.
import { spawn } from "node:child_process";
import { accessSync, constants as fsConstants, statSync } from "node:fs";
import { constants as osConstants } from "node:os";
import { isAbsolute, join, resolve } from "node:path";

export class ShellSyntaxError extends Error {}

const BLANK = new Set([" ", "\t", "\n"]);
const OPERATORS = new Set(["|", "&", ";", "<", ">", "(", ")", "`"]);
const NAME_START = /[A-Za-z_]/;
const NAME_CHAR = /[A-Za-z0-9_]/;

/** Splits a command line into words (see the header for what is understood). */
export function splitCommand(line, env = {}) {
  const words = [];
  let word = "";
  let inWord = false; // true once the current word has any part (even '')
  let i = 0;
  const finish = () => {
    if (inWord) words.push(word);
    word = "";
    inWord = false;
  };
  // $NAME, ${NAME}, $? etc. at line[i] === "$"; returns the new index.
  const expand = (at) => {
    const next = line[at + 1];
    if (next === "(") throw new ShellSyntaxError("command substitution $( ) needs a shell");
    if (next === "{") {
      const close = line.indexOf("}", at + 2);
      if (close === -1) throw new ShellSyntaxError("unterminated ${");
      const name = line.slice(at + 2, close);
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new ShellSyntaxError(`unsupported expansion \${${name}}`);
      word += env[name] ?? "";
      return close + 1;
    }
    if (next !== undefined && NAME_START.test(next)) {
      let end = at + 1;
      while (end < line.length && NAME_CHAR.test(line[end])) end++;
      word += env[line.slice(at + 1, end)] ?? "";
      return end;
    }
    word += "$"; // a lone $ is literal
    return at + 1;
  };

  while (i < line.length) {
    const c = line[i];
    if (BLANK.has(c)) {
      finish();
      i++;
    } else if (c === "#" && !inWord) {
      break; // comment to end of line
    } else if (c === "'") {
      const close = line.indexOf("'", i + 1);
      if (close === -1) throw new ShellSyntaxError("unterminated single quote");
      word += line.slice(i + 1, close);
      inWord = true;
      i = close + 1;
    } else if (c === '"') {
      inWord = true;
      i++;
      for (;;) {
        if (i >= line.length) throw new ShellSyntaxError("unterminated double quote");
        const d = line[i];
        if (d === '"') {
          i++;
          break;
        }
        if (d === "\\" && i + 1 < line.length && '"\\$`\n'.includes(line[i + 1])) {
          if (line[i + 1] !== "\n") word += line[i + 1];
          i += 2;
        } else if (d === "$") {
          i = expand(i);
        } else if (d === "`") {
          throw new ShellSyntaxError("command substitution ` ` needs a shell");
        } else {
          word += d;
          i++;
        }
      }
    } else if (c === "\\") {
      if (i + 1 < line.length) {
        if (line[i + 1] !== "\n") {
          word += line[i + 1];
          inWord = true;
        }
        i += 2;
      } else i++;
    } else if (c === "$") {
      const before = word.length;
      i = expand(i);
      // An unquoted expansion that came out empty adds no word by itself.
      if (word.length > before) inWord = true;
    } else if (OPERATORS.has(c)) {
      throw new ShellSyntaxError(`'${c}' needs a shell`);
    } else {
      word += c;
      inWord = true;
      i++;
    }
  }
  finish();
  return words;
}

const ASSIGNMENT = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s;

/**
 * Parses a command line: leading NAME=value assignments, then argv.
 * Assignments see earlier ones when expanding (`A=1 B=$A` is not bash, but
 * close enough); argv expands against env plus the assignments.
 */
export function parseCommand(line, env) {
  const words = splitCommand(line, env);
  const assignments = {};
  let start = 0;
  while (start < words.length) {
    const m = ASSIGNMENT.exec(words[start]);
    if (!m) break;
    assignments[m[1]] = m[2];
    start++;
  }
  return { assignments, argv: words.slice(start) };
}

function isExecutableFile(file) {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Where a program name resolves to, or null. Names without '/' are looked up. */
export function resolveProgram(name, env, cwd) {
  if (name.includes("/")) return isAbsolute(name) ? name : resolve(cwd, name);
  const dirs = ["/usr/local/bin", "/bin", ...(env.PATH ?? "").split(":").filter(Boolean)];
  for (const dir of dirs) {
    const candidate = join(dir, name);
    if (isExecutableFile(candidate)) return candidate;
  }
  return null;
}

export function signalNumber(signal) {
  return osConstants.signals[signal] ?? 0;
}

function isDirectory(path) {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Spawned children still running, so the server can kill them when it exits. */
export const liveChildren = new Set();

const BUILTINS = new Set(["cd", "export", "unset", "echo", "pwd", "true", "false"]);

/**
 * A running (or already finished) command. Callbacks:
 *   onOutput(stream: "stdout"|"stderr", text)  onExit(exitCode, signal|null)
 * `pid` is set for spawned programs, undefined for builtins and failures.
 * Output and exit are always delivered asynchronously, after launch returns.
 */
class Run {
  pid = undefined;
  exitCode = undefined;
  signal = null;
  #outputListeners = new Set();
  #exitListeners = new Set();
  #child = null;
  #timer = null;
  timedOut = false;

  onOutput(fn) {
    this.#outputListeners.add(fn);
    return () => this.#outputListeners.delete(fn);
  }
  onExit(fn) {
    if (this.exitCode !== undefined) queueMicrotask(() => fn(this.exitCode, this.signal));
    else this.#exitListeners.add(fn);
    return () => this.#exitListeners.delete(fn);
  }
  emit(stream, text) {
    if (text) for (const fn of this.#outputListeners) fn(stream, text);
  }
  finish(exitCode, signal = null) {
    if (this.exitCode !== undefined) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.exitCode = exitCode;
    this.signal = signal;
    for (const fn of this.#exitListeners) fn(exitCode, signal);
    this.#exitListeners.clear();
  }
  /** Finishes on the next turn with the given output (builtins, failures). */
  finishLater(exitCode, stdout = "", stderr = "") {
    setImmediate(() => {
      this.emit("stdout", stdout);
      this.emit("stderr", stderr);
      this.finish(exitCode);
    });
  }
  attach(child, timeoutMs) {
    this.#child = child;
    this.pid = child.pid;
    liveChildren.add(child);
    child.stdout.setEncoding("utf8");
    child.stderr.setEncoding("utf8");
    child.stdout.on("data", (text) => this.emit("stdout", text));
    child.stderr.on("data", (text) => this.emit("stderr", text));
    // "close" (not "exit"): all output has been read by then.
    child.on("close", (code, signal) => {
      liveChildren.delete(child);
      if (this.timedOut) this.emit("stderr", `stand-in: command timed out after ${timeoutMs} ms\n`);
      // A shell reports death by signal N as 128+N; so do we.
      this.finish(this.timedOut ? 124 : (code ?? 128 + signalNumber(signal)), signal);
    });
    if (timeoutMs > 0) {
      this.#timer = setTimeout(() => {
        this.timedOut = true;
        child.kill("SIGKILL");
      }, timeoutMs);
    }
  }
  get running() {
    return this.exitCode === undefined;
  }
  kill(signal = "SIGTERM") {
    if (this.#child && this.running) return this.#child.kill(signal);
    return false;
  }
}

/**
 * Runs a command line. `session` (optional) is { env, cwd } and is mutated by
 * cd/export/unset, as a bash session would be. `env` and `cwd` are per-call
 * overrides. Never throws: failures become exit codes with a message on
 * stderr, the way bash reports them (127 not found, 126 not executable,
 * 2 syntax, 1 bad cwd).
 */
export function launch(line, { session, env: extraEnv, cwd: cwdOverride, timeoutMs, baseEnv = process.env } = {}) {
  const run = new Run();
  const env = { ...baseEnv, ...(session?.env ?? {}), ...(extraEnv ?? {}) };
  const cwd = cwdOverride ?? session?.cwd ?? process.cwd();

  let parsed;
  try {
    parsed = parseCommand(line, env);
  } catch (error) {
    if (!(error instanceof ShellSyntaxError)) throw error;
    run.finishLater(2, "", `stand-in: syntax not supported without a shell: ${error.message}\n`);
    return run;
  }
  const { assignments, argv } = parsed;

  if (argv.length === 0) {
    // `NAME=value` alone sets a (session) variable.
    if (session) Object.assign(session.env, assignments);
    run.finishLater(0);
    return run;
  }
  if (!isDirectory(cwd)) {
    run.finishLater(1, "", `bash: line 1: cd: ${cwd}: No such file or directory\n`);
    return run;
  }

  const [program, ...args] = argv;
  if (BUILTINS.has(program)) {
    const result = builtin(program, args, { session, env: { ...env, ...assignments }, cwd });
    run.finishLater(result.exitCode, result.stdout, result.stderr);
    return run;
  }

  const childEnv = { ...env, ...assignments };
  const file = resolveProgram(program, childEnv, cwd);
  if (!file || !isExecutableFile(file)) {
    const exists = file && statSafe(file);
    if (exists && (exists.isDirectory() || !isExecutableFile(file))) {
      run.finishLater(
        126,
        "",
        `bash: line 1: ${program}: ${exists.isDirectory() ? "Is a directory" : "Permission denied"}\n`,
      );
    } else if (program.includes("/")) {
      run.finishLater(127, "", `bash: line 1: ${program}: No such file or directory\n`);
    } else {
      run.finishLater(127, "", `bash: line 1: ${program}: command not found\n`);
    }
    return run;
  }
  let child;
  try {
    child = spawn(file, args, { cwd, env: childEnv, stdio: ["ignore", "pipe", "pipe"], argv0: program });
  } catch (error) {
    run.finishLater(126, "", `bash: line 1: ${program}: ${error.message}\n`);
    return run;
  }
  child.on("error", (error) => {
    // spawn failures arrive here (e.g. ENOEXEC); "close" may not follow.
    liveChildren.delete(child);
    run.emit("stderr", `bash: line 1: ${program}: ${error.message}\n`);
    run.finish(error.code === "ENOENT" ? 127 : 126);
  });
  run.attach(child, timeoutMs);
  return run;
}

function statSafe(file) {
  try {
    return statSync(file);
  } catch {
    return null;
  }
}

function builtin(name, args, { session, env, cwd }) {
  const ok = (stdout = "") => ({ exitCode: 0, stdout, stderr: "" });
  switch (name) {
    case "true":
      return ok();
    case "false":
      return { exitCode: 1, stdout: "", stderr: "" };
    case "pwd":
      return ok(`${cwd}\n`);
    case "echo": {
      let newline = true;
      if (args[0] === "-n") {
        newline = false;
        args = args.slice(1);
      }
      return ok(args.join(" ") + (newline ? "\n" : ""));
    }
    case "cd": {
      const target = resolve(cwd, args[0] ?? env.HOME ?? "/");
      if (!isDirectory(target))
        return { exitCode: 1, stdout: "", stderr: `bash: line 1: cd: ${args[0]}: No such file or directory\n` };
      if (session) session.cwd = target;
      return ok();
    }
    case "export": {
      for (const arg of args) {
        const m = ASSIGNMENT.exec(arg);
        if (m) {
          if (session) session.env[m[1]] = m[2];
        } else if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(arg)) {
          return { exitCode: 1, stdout: "", stderr: `bash: line 1: export: \`${arg}': not a valid identifier\n` };
        }
      }
      return ok();
    }
    case "unset": {
      if (session) for (const arg of args) session.env[arg] = undefined;
      return ok();
    }
    default:
      return { exitCode: 127, stdout: "", stderr: `bash: line 1: ${name}: command not found\n` };
  }
}
