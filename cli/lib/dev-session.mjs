// One `wrangler dev` session as `workerd-containers dev` and startDev() run
// it: prepare the machine (dev-env.mjs), remember the container sessions
// already there (sessions.mjs), start the project's wrangler in a process
// group of its own, and on stop: signal wrangler by PID, SIGKILL its process
// group (workerd and helpers), then remove the containers of its sessions.
import { spawn } from "node:child_process";
import { dirname, relative } from "node:path";
import { dockerEnvOf, findWrangler, prepareDev, readProject } from "./dev-env.mjs";
import { SessionTracker } from "./sessions.mjs";

/** The wrangler to run: `options.wrangler`, WORKERD_CONTAINERS_WRANGLER (tests), else the project's own. */
function wranglerCommand(options, env, projectDir) {
  if (options.wrangler) return { shown: options.wrangler.command, ...options.wrangler };
  const override = env.WORKERD_CONTAINERS_WRANGLER;
  if (override) {
    const script = /\.[cm]?js$/.test(override);
    return {
      command: script ? process.execPath : override,
      args: script ? [override] : [],
      shown: `${override} (WORKERD_CONTAINERS_WRANGLER)`,
    };
  }
  return findWrangler(projectDir);
}

/** SIGKILL to the process group `pid` leads; false when it is gone. */
function killGroup(pid) {
  try {
    process.kill(-pid, "SIGKILL");
    return true;
  } catch {
    return false;
  }
}

/**
 * Prepares and starts `wrangler dev <wranglerArgs>`.
 * @param {{ cwd: string, env: NodeJS.ProcessEnv, wranglerArgs: string[], offline?: boolean,
 *   pullTimeoutMs?: number, say: (line: string) => void, stdio: "inherit" | "pipe",
 *   wrangler?: { command: string, args: string[] } }} options
 * @returns {Promise<{ error: string } | { child: import("node:child_process").ChildProcess,
 *   tracker: SessionTracker, exited: Promise<number>, stop(signal?: NodeJS.Signals): Promise<number> }>}
 */
export async function openSession(options) {
  const { cwd, env, wranglerArgs, say } = options;
  const project = readProject(cwd, wranglerArgs);
  const projectDir = project.files[0] ? dirname(project.files[0]) : cwd;
  const wrangler = wranglerCommand(options, env, projectDir);
  if (!wrangler) {
    return { error: `wrangler is not installed in ${projectDir}: npm install --save-dev wrangler` };
  }
  const configs = project.files.map((file) => relative(cwd, file) || file).join(", ") || "none found";
  const names = project.workerNames.join(", ") || "unknown";
  say(`wrangler ${wrangler.version ?? ""} (${wrangler.shown}); config ${configs}; worker ${names}`.replace("  ", " "));

  const prepared = await prepareDev({
    env,
    projectDir,
    project,
    offline: options.offline,
    pullTimeoutMs: options.pullTimeoutMs,
    say,
  });
  const childEnv = { ...env, ...prepared.env };
  const tracker = new SessionTracker({
    dockerBin: prepared.dockerBin,
    dockerEnv: dockerEnvOf(env),
    workerNames: project.workerNames,
  });
  if (prepared.noContainers) {
    // nothing of Docker's to track
  } else if (project.workerNames.length === 0)
    say("containers: worker name unknown; this session's containers are left be");
  else if (!prepared.failed && !(await tracker.begin())) say("containers: docker ps failed; none will be removed");

  const child = spawn(wrangler.command, [...wrangler.args, "dev", ...wranglerArgs], {
    cwd,
    env: childEnv,
    detached: process.platform !== "win32",
    stdio: options.stdio === "pipe" ? ["ignore", "pipe", "pipe"] : "inherit",
  });
  say(`started wrangler dev (PID ${child.pid ?? "?"})`);
  const exited = new Promise((resolve) => {
    child.once("error", (error) => {
      say(`could not start wrangler: ${error.message}`);
      resolve(127);
    });
    child.once("exit", (code, signal) => {
      const signals = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };
      resolve(code ?? 128 + (signals[signal] ?? 1));
    });
  });
  // This process ending any other way must not leave wrangler or containers behind.
  const onExit = () => {
    if (child.pid !== undefined) killGroup(child.pid);
    tracker.removeSync();
  };
  process.on("exit", onExit);

  let cleaning;
  const cleanUp = () => {
    cleaning ??= (async () => {
      const code = await exited;
      if (child.pid !== undefined) killGroup(child.pid);
      try {
        const removed = await tracker.remove();
        if (removed.length) say(`removed ${removed.length} container(s) of this session: ${removed.join(", ")}`);
      } catch (error) {
        say(`could not remove this session's containers: ${error.message}`);
      }
      process.off("exit", onExit);
      return code;
    })();
    return cleaning;
  };
  exited.then(cleanUp);

  /** Signals wrangler (by PID), waits up to 10 s, then kills its process group; resolves with its exit code. */
  const stop = async (signal = "SIGTERM") => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      say(`stopping wrangler (PID ${child.pid}): ${signal}`);
      try {
        child.kill(signal);
      } catch {
        // already gone
      }
      let timer;
      const grace = new Promise((resolve) => {
        timer = setTimeout(() => resolve(true), 10_000);
      });
      const late = await Promise.race([exited.then(() => false), grace]);
      clearTimeout(timer);
      if (late) {
        say("wrangler is still running after 10 s: SIGKILL to its process group");
        killGroup(child.pid);
      }
    }
    return cleanUp();
  };
  return { child, tracker, exited, stop, finished: cleanUp };
}
