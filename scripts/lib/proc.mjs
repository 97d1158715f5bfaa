// Finding workerd under `wrangler dev` and reading its memory, from /proc
// (Linux). Shared by the benchmarks and the faults suite's soak.
import { readdirSync, readFileSync } from "node:fs";

/** Every process's children: ppid → [{ pid, comm }]. */
function procChildren() {
  const children = new Map();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const close = stat.lastIndexOf(")");
      const comm = stat.slice(stat.indexOf("(") + 1, close);
      const ppid = Number(stat.slice(close + 2).split(" ")[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push({ pid: Number(entry), comm });
    } catch {
      // exited meanwhile
    }
  }
  return children;
}

/** PIDs of the workerd processes below `root` in the process tree. */
export function workerdPids(root) {
  const children = procChildren();
  const found = [];
  const stack = [root];
  while (stack.length) {
    for (const child of children.get(stack.pop()) ?? []) {
      if (child.comm.startsWith("workerd")) found.push(child.pid);
      stack.push(child.pid);
    }
  }
  return found;
}

/** Resident memory of `pids` together, in bytes (processes that are gone count 0). */
export function rssBytes(pids) {
  let total = 0;
  for (const pid of pids) {
    try {
      const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
      if (match) total += Number(match[1]) * 1024;
    } catch {
      // gone
    }
  }
  return total;
}
