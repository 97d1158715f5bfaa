// `node bench/ws-profile.mjs`: where the Durable Object's time goes while a
// WebSocket echo runs through the relay (bench/results/ws-profile.md).
//
// Starts its own `wrangler dev` on a snapshot of bench/wrangler.jsonc, the
// bench's Worker and src/ (copied into coverage/ws-profile/snapshot/ first, so
// edits elsewhere in the tree do not reload the Worker mid-run; real Docker),
// then:
//   1. measures 1 KB binary echo (16 in flight) per variant, interleaved over
//      a few rounds, without the profiler attached (msg/s and the ratio to
//      direct, same run);
//   2. attaches to the Worker's isolate through wrangler's inspector (the
//      Chrome DevTools Protocol over a WebSocket; the Worker and its Durable
//      Objects share that isolate), runs Profiler.start, echoes through the
//      profiled variant, Profiler.stop, and sums self time per function and
//      per category (idle, GC, program, native, JavaScript by source).
//
// Writes coverage/ws-profile/<variant>.cpuprofile (opens in Chrome DevTools'
// Performance panel) and summary.json, and prints a Markdown summary.
//
// Env: WS_PROFILE_VARIANTS  variants to measure (default "ours,direct"; the
//                           bench Worker's routes: ours, original, direct,
//                           passthrough)
//      WS_PROFILE_TARGET    the variant profiled (default "ours"; "" = none)
//      WS_PROFILE_ROUNDS    measuring rounds (default 3)
//      WS_PROFILE_COUNT     messages per measurement (default 3000)
//      WS_PROFILE_SIZE      bytes per message (default 1024)
//      WS_PROFILE_WINDOW    messages in flight (default 16)
//      WS_PROFILE_SRC       the package sources to snapshot instead of src/ (e.g. a patched copy)
//      WS_PROFILE_WORKER    the Worker folder to snapshot instead of bench/worker (an experiment's copy)
//      WS_PROFILE_INTERVAL  sampling interval, µs (default 100)
import { randomUUID } from "node:crypto";
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join, resolve } from "node:path";
import { buildFixtureImages } from "../fixtures/build-images.mjs";
import { freePort, ROOT, startWranglerDev } from "../scripts/lib/devserver.mjs";
import { workerdPids } from "../scripts/lib/proc.mjs";
import { wsEcho as echoOver } from "./lib/ws-echo.mjs";

const env = process.env;
const VARIANTS = (env.WS_PROFILE_VARIANTS ?? "ours,direct").split(",").filter(Boolean);
const TARGET = env.WS_PROFILE_TARGET ?? "ours";
const ROUNDS = Number(env.WS_PROFILE_ROUNDS ?? 3);
const SPEC = {
  size: Number(env.WS_PROFILE_SIZE ?? 1024),
  count: Number(env.WS_PROFILE_COUNT ?? 3000),
  window: Number(env.WS_PROFILE_WINDOW ?? 16),
};
const INTERVAL_US = Number(env.WS_PROFILE_INTERVAL ?? 100);
const OUT = join(ROOT, "coverage/ws-profile");
const started = Date.now();
const say = (line) => console.log(`[ws-profile ${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}`);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
let base;

async function getOk(path) {
  const res = await fetch(`${base}${path}`, { signal: AbortSignal.timeout(120_000) });
  const body = await res.text();
  if (res.status !== 200) throw new Error(`${path}: HTTP ${res.status} ${body.slice(0, 200)}`);
  return body;
}

/** The bench's row-4 measurement (bench/lib/ws-echo.mjs) through `variant`; msg/s. */
async function wsEcho(variant, spec) {
  const url = `${base.replace("http", "ws")}/${variant}/prof/ws`;
  return (await echoOver(url, spec, { what: variant, timeoutMs: 120_000 })).msgsPerSec;
}

/** CPU time (ms, user + system) of each thread of `pids`, by "pid/thread name". */
function threadCpu(pids) {
  const tick = 1000 / 100; // ms per clock tick (CLK_TCK is 100 on Linux)
  const out = new Map();
  for (const pid of pids) {
    let tasks = [];
    try {
      tasks = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tasks) {
      try {
        const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
        const close = stat.lastIndexOf(")");
        const name = stat.slice(stat.indexOf("(") + 1, close);
        const fields = stat.slice(close + 2).split(" ");
        out.set(`${pid}/${tid} ${name}`, (Number(fields[11]) + Number(fields[12])) * tick);
      } catch {
        // the thread ended meanwhile
      }
    }
  }
  return out;
}

/** The machine's busy and total clock ticks so far (all cores, /proc/stat). */
function machineTicks() {
  const fields = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
  const total = fields.reduce((a, b) => a + b, 0);
  return { busy: total - fields[3] - (fields[4] ?? 0), total };
}

/** Runs `fn`, returning its result and workerd's CPU time during it: total and the busiest thread's. */
async function withCpu(pids, fn) {
  const machine = machineTicks();
  const before = threadCpu(pids);
  const t0 = performance.now();
  const result = await fn();
  const wallMs = performance.now() - t0;
  const after = threadCpu(pids);
  const machineAfter = machineTicks();
  const machineBusy = (machineAfter.busy - machine.busy) / (machineAfter.total - machine.total);
  let totalMs = 0;
  let busiest = { name: "", ms: 0 };
  for (const [name, ms] of after) {
    const used = ms - (before.get(name) ?? 0);
    totalMs += used;
    if (used > busiest.ms) busiest = { name, ms: used };
  }
  return { result, wallMs, cpuMs: totalMs, busiest, machineBusy };
}

/** A minimal Chrome DevTools Protocol client on one WebSocket. */
async function connectInspector(port) {
  const targets = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
  const target = targets.find((t) => /bench/.test(t.title ?? "")) ?? targets[0];
  if (!target) throw new Error(`no inspector target on port ${port}`);
  // The inspector proxy checks Origin against loopback names.
  const ws = new WebSocket(target.webSocketDebuggerUrl, { headers: { origin: "http://127.0.0.1" } });
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = (event) => reject(new Error(`inspector: ${event.message ?? "connection failed"}`));
  });
  let nextId = 1;
  const pending = new Map();
  ws.onmessage = (event) => {
    const message = JSON.parse(event.data);
    const waiter = message.id === undefined ? undefined : pending.get(message.id);
    if (!waiter) return;
    pending.delete(message.id);
    if (message.error) waiter.reject(new Error(`${waiter.method}: ${message.error.message}`));
    else waiter.resolve(message.result);
  };
  return {
    title: target.title,
    send(method, params = {}) {
      const id = nextId++;
      ws.send(JSON.stringify({ id, method, params }));
      return new Promise((resolve, reject) => pending.set(id, { resolve, reject, method }));
    },
    close: () => ws.close(),
  };
}

const SPECIAL = new Set(["(idle)", "(program)", "(garbage collector)", "(root)"]);

/** Self time per function and per category, from a V8 CPU profile. */
function summarise(profile) {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map();
  // timeDeltas[i + 1] is the time from sample i to the next one: charged to sample i.
  for (let i = 0; i < profile.samples.length; i++) {
    const delta = profile.timeDeltas[i + 1] ?? 0;
    selfUs.set(profile.samples[i], (selfUs.get(profile.samples[i]) ?? 0) + delta);
  }
  const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
  const byFunction = new Map();
  const byCategory = new Map();
  for (const [id, us] of selfUs) {
    const { functionName, url, lineNumber, sourceLine } = nodes.get(id).callFrame;
    const name = functionName || "(anonymous)";
    const file = url ? url.replace(/^.*\//, "") : "";
    const category = SPECIAL.has(name)
      ? name
      : !url
        ? "native (runtime APIs, builtins)"
        : /node_modules|cloudflare-internal|internal/.test(url)
          ? "JavaScript: runtime/internal"
          : "JavaScript: the Worker's bundle";
    const where = sourceLine ? `${file}:${lineNumber + 1}: \`${sourceLine.replaceAll("|", "\\|")}\`` : file;
    const key = SPECIAL.has(name) || !url ? name : `${name} (${where})`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + us);
    byCategory.set(category, (byCategory.get(category) ?? 0) + us);
  }
  const rows = (map) =>
    [...map].sort((a, b) => b[1] - a[1]).map(([name, us]) => ({ name, ms: us / 1000, share: us / total }));
  return {
    totalMs: total / 1000,
    samples: profile.samples.length,
    functions: rows(byFunction),
    categories: rows(byCategory),
  };
}

/** A frozen copy of the bench's Worker, its config and the package sources; returns the config's path. */
function snapshot() {
  const dir = join(OUT, "snapshot");
  rmSync(dir, { recursive: true, force: true });
  cpSync(env.WS_PROFILE_SRC ?? join(ROOT, "src"), join(dir, "src"), { recursive: true });
  cpSync(env.WS_PROFILE_WORKER ?? join(ROOT, "bench/worker"), join(dir, "worker"), { recursive: true });
  // bench/wrangler.jsonc has whole-line comments only.
  const text = readFileSync(join(ROOT, "bench/wrangler.jsonc"), "utf8");
  const config = JSON.parse(text.replace(/^\s*\/\/.*$/gm, ""));
  config.alias = { ...config.alias, "workerd-containers": "./src/index.ts" };
  for (const container of config.containers) container.image = resolve(ROOT, "bench", container.image);
  writeFileSync(join(dir, "wrangler.jsonc"), JSON.stringify(config, null, 2));
  return join(dir, "wrangler.jsonc");
}

async function main() {
  say("1/4 fixture images");
  buildFixtureImages((line) => say(`  ${line}`));
  const runName = `wc-wsprof-${randomUUID().slice(0, 6)}`;
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  say(`2/4 wrangler dev on ${base} (log: coverage/ws-profile-wrangler.log)`);
  const server = await startWranglerDev({
    config: snapshot(),
    runName,
    port,
    logFile: join(ROOT, "coverage/ws-profile-wrangler.log"),
    log: (line) => say(`  ${line}`),
    args: ["--persist-to", join(os.tmpdir(), runName)],
  });
  const args = server.child.spawnargs;
  const inspectorPort = Number(args[args.indexOf("--inspector-port") + 1]);
  const summary = { spec: SPEC, rounds: ROUNDS, measured: {}, profile: undefined };
  try {
    await server.ready;
    for (const v of new Set([...VARIANTS, ...(TARGET ? [TARGET] : [])])) {
      await getOk(`/${v}/prof/__bench/setup?delay=0`);
      await getOk(`/${v}/prof/`);
      await wsEcho(v, { ...SPEC, count: 500 }); // warm-up: JIT, connections
    }
    say(`3/4 ${ROUNDS} interleaved round(s), ${SPEC.count} × ${SPEC.size} B, ${SPEC.window} in flight`);
    const pids = workerdPids(server.child.pid);
    const runs = Object.fromEntries(VARIANTS.map((v) => [v, []]));
    const cpu = Object.fromEntries(VARIANTS.map((v) => [v, []]));
    for (let r = 0; r < ROUNDS; r++) {
      const order = VARIANTS.map((_, i) => VARIANTS[(i + r) % VARIANTS.length]);
      for (const v of order) {
        const measured = await withCpu(pids, () => wsEcho(v, SPEC));
        runs[v].push(measured.result);
        cpu[v].push(measured);
      }
      say(`  round ${r + 1}: ${order.map((v) => `${v} ${runs[v].at(-1).toFixed(0)}`).join(", ")} msg/s`);
    }
    for (const v of VARIANTS) {
      const msgs = median(runs[v]);
      const ratio = runs.direct ? msgs / median(runs.direct) : undefined;
      // CPU per echoed message across all workerd threads, and the busiest thread's share of the wall time.
      const cpuUs = median(cpu[v].map((c) => (c.cpuMs * 1000) / SPEC.count));
      const busiestShare = median(cpu[v].map((c) => c.busiest.ms / c.wallMs));
      const busiest = cpu[v].at(-1).busiest.name;
      const machineBusy = median(cpu[v].map((c) => c.machineBusy));
      summary.measured[v] = {
        runs: runs[v],
        median: msgs,
        ratioToDirect: ratio,
        cpuUs,
        busiestShare,
        busiest,
        machineBusy,
      };
      say(
        `  ${v}: median ${msgs.toFixed(0)} msg/s${ratio === undefined ? "" : `, ${ratio.toFixed(2)}× direct`}; ` +
          `workerd CPU ${cpuUs.toFixed(0)} µs/msg, ` +
          `busiest thread (${busiest}) ${(busiestShare * 100).toFixed(0)} % busy, ` +
          `machine ${(machineBusy * 100).toFixed(0)} % busy`,
      );
    }
    if (TARGET) {
      say(`4/4 CPU profile of the Worker's isolate (inspector port ${inspectorPort}) while ${TARGET} echoes`);
      const inspector = await connectInspector(inspectorPort);
      await inspector.send("Profiler.enable");
      await inspector.send("Profiler.setSamplingInterval", { interval: INTERVAL_US });
      await inspector.send("Profiler.start");
      const t0 = performance.now();
      const profiledRate = await wsEcho(TARGET, SPEC);
      const wallMs = performance.now() - t0;
      const { profile } = await inspector.send("Profiler.stop");
      await inspector.send("Profiler.disable");
      // The source line of each function in the bundle, to name the anonymous ones.
      await inspector.send("Debugger.enable");
      const sources = new Map();
      for (const node of profile.nodes) {
        const { scriptId, url } = node.callFrame;
        if (!url || sources.has(scriptId)) continue;
        const { scriptSource } = await inspector.send("Debugger.getScriptSource", { scriptId }).catch(() => ({}));
        sources.set(scriptId, scriptSource?.split("\n"));
      }
      for (const node of profile.nodes) {
        const lines = sources.get(node.callFrame.scriptId);
        const line = lines?.[node.callFrame.lineNumber];
        if (line !== undefined) node.callFrame.sourceLine = line.trim().slice(0, 80);
      }
      await inspector.send("Debugger.disable");
      inspector.close();
      mkdirSync(OUT, { recursive: true });
      writeFileSync(join(OUT, `${TARGET}.cpuprofile`), JSON.stringify(profile));
      summary.profile = { target: TARGET, title: inspector.title, profiledRate, wallMs, ...summarise(profile) };
    }
  } finally {
    await server.stop();
  }
  mkdirSync(OUT, { recursive: true });
  writeFileSync(join(OUT, "summary.json"), `${JSON.stringify(summary, null, 2)}\n`);
  print(summary);
}

function print({ spec, measured, profile }) {
  const pct = (x) => `${(x * 100).toFixed(1)} %`;
  const lines = [`## ${spec.size} B echo, ${spec.window} in flight, ${spec.count} messages`, ""];
  lines.push(
    "| variant | msg/s (median) | × direct | workerd CPU µs/msg | busiest workerd thread busy | machine busy " +
      "| rounds, msg/s |",
    "|---|--:|--:|--:|--:|--:|---|",
  );
  for (const [v, m] of Object.entries(measured)) {
    const ratio = m.ratioToDirect === undefined ? "—" : `${m.ratioToDirect.toFixed(2)}×`;
    lines.push(
      `| ${v} | ${m.median.toFixed(0)} | ${ratio} | ${m.cpuUs.toFixed(0)} | ${pct(m.busiestShare)} | ` +
        `${pct(m.machineBusy)} | ` +
        `${m.runs.map((x) => x.toFixed(0)).join(", ")} |`,
    );
  }
  if (profile) {
    lines.push(
      "",
      `Profile of ${profile.target} (${profile.title}): ${profile.samples} samples, ` +
        `${profile.totalMs.toFixed(0)} ms sampled over ${profile.wallMs.toFixed(0)} ms of echo, ` +
        `${profile.profiledRate.toFixed(0)} msg/s while profiled ` +
        `(${((profile.totalMs * 1000) / spec.count).toFixed(1)} µs sampled per message).`,
      "",
      "| category | self ms | share |",
      "|---|--:|--:|",
      ...profile.categories.map((c) => `| ${c.name} | ${c.ms.toFixed(1)} | ${pct(c.share)} |`),
      "",
      "| function (self time) | self ms | share |",
      "|---|--:|--:|",
      ...profile.functions.slice(0, 25).map((f) => `| ${f.name} | ${f.ms.toFixed(1)} | ${pct(f.share)} |`),
    );
  }
  console.log(`\n${lines.join("\n")}\n`);
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
