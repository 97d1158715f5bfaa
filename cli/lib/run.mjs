// Running an external command (docker, node) with a deadline. A hung Docker
// daemon leaves `docker …` waiting forever; doctor must not wait with it.
import { spawn } from "node:child_process";

/** Process groups still running; killed if doctor exits before they end. */
const live = new Set();
process.on("exit", () => {
  for (const pid of live) killGroup(pid);
});

function killGroup(pid) {
  try {
    // detached children lead their own process group: kill it with whatever it started.
    process.kill(process.platform === "win32" ? pid : -pid, "SIGKILL");
  } catch {
    // already gone
  }
}

const MAX_OUTPUT = 1 << 20;

/**
 * Runs `command args` and resolves (never rejects) once it exits or the
 * deadline passes, whichever is first. On the deadline the command's process
 * group is killed and `timedOut` is true.
 * @param {string} command
 * @param {string[]} args
 * @param {{ timeoutMs: number, env?: NodeJS.ProcessEnv, cwd?: string }} options
 * @typedef {{ code: number | null, stdout: string, stderr: string, timedOut: boolean, error?: Error }} RunResult
 * @returns {Promise<RunResult>}
 */
export function run(command, args, { timeoutMs, env, cwd }) {
  return new Promise((resolve) => {
    let stdout = "";
    let stderr = "";
    let done = false;
    let child;
    const finish = (code, timedOut, error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (child?.pid !== undefined) live.delete(child.pid);
      resolve({ code, stdout, stderr, timedOut, ...(error ? { error } : {}) });
    };
    const timer = setTimeout(() => {
      if (child?.pid !== undefined) killGroup(child.pid);
      child?.stdout?.destroy();
      child?.stderr?.destroy();
      child?.unref();
      finish(null, true);
    }, timeoutMs);
    try {
      child = spawn(command, args, {
        env,
        cwd,
        stdio: ["ignore", "pipe", "pipe"],
        detached: process.platform !== "win32",
      });
    } catch (error) {
      finish(null, false, error);
      return;
    }
    if (child.pid !== undefined) live.add(child.pid);
    child.stdout.setEncoding("utf8");
    child.stderr.setEncoding("utf8");
    child.stdout.on("data", (chunk) => {
      if (stdout.length < MAX_OUTPUT) stdout += chunk;
    });
    child.stderr.on("data", (chunk) => {
      if (stderr.length < MAX_OUTPUT) stderr += chunk;
    });
    child.on("error", (error) => finish(null, false, error));
    child.on("close", (code, signal) => finish(code ?? (signal ? 128 : null), false));
  });
}

/** The first line of a command's error output (or stdout), for messages. */
export function firstLine(result) {
  const text = `${result.stderr}\n${result.stdout}`.trim();
  return text.split("\n")[0]?.trim() ?? "";
}
