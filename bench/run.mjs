// `npm run bench`: this package vs the original @cloudflare/containers 0.3.7
// vs "direct" (a Durable Object that calls ctx.container.start() and
// getTcpPort().fetch() itself), side by side in one run, on one machine and
// one image (fixtures/app), under `wrangler dev` with real Docker.
//
// Variants run interleaved (the order rotates every round), several rounds;
// the table reports medians over rounds and ratios to "direct" and to the
// original. Writes coverage/bench/latest.md and latest.json; with
// --update-results (`npm run results:bench`) the committed
// bench/results/latest.md and latest.json instead.
//
// Env: BENCH_ROUNDS (default 5), BENCH_ALARM_SECONDS (default 200),
//      BENCH_QUICK=1 (small counts, for trying the harness out; writes latest-quick.*),
//      BENCH_CONFIG (another wrangler config for bench/worker, for experiments),
//      BENCH_SUFFIX (results go to latest<suffix>.md/.json instead),
//      BENCH_ONLY (comma list of sections to run, the others are left out of the table:
//        warm (row 1), big (2), cold (3), ws (4), alarms (5), bundle (6), scale (7, 8);
//        e.g. BENCH_ONLY=scale; results then go to latest-only-<sections>.* unless BENCH_SUFFIX says),
//      BENCH_SCALE_N (default 1,4,16), BENCH_SCALE_ROUNDS (default min(BENCH_ROUNDS, 2)),
//      BENCH_SCALE_SECONDS (default 60: the scale section's alarm/write window, half busy, half idle;
//        bench/scale.mjs).
// `node bench/run.mjs --render [--update-results]` only re-renders latest<BENCH_SUFFIX>.md
// from latest<BENCH_SUFFIX>.json in the same folder.
import { execFileSync, spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import vm from "node:vm";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { createRequire } from "node:module";
import { buildFixtureImages } from "../fixtures/build-images.mjs";
import { freePort, ROOT, startWranglerDev } from "../scripts/lib/devserver.mjs";
import { rssBytes, workerdPids } from "../scripts/lib/proc.mjs";
import { wsEcho as echoOver } from "./lib/ws-echo.mjs";
import { addScaleRows, runScale, scaleConfig, scaleErrors, scaleNotes } from "./scale.mjs";

const QUICK = process.env.BENCH_QUICK === "1";
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? (QUICK ? 1 : 5));
const ALARM_SECONDS = Number(process.env.BENCH_ALARM_SECONDS ?? (QUICK ? 20 : 200));
const VARIANTS = ["ours", "original", "direct"];
const SECTIONS = ["warm", "big", "cold", "ws", "alarms", "bundle", "scale"];
const ONLY = process.env.BENCH_ONLY
  ? process.env.BENCH_ONLY.split(",")
      .map((x) => x.trim())
      .filter(Boolean)
  : undefined;
for (const name of ONLY ?? []) {
  if (!SECTIONS.includes(name)) throw new Error(`BENCH_ONLY: unknown section "${name}" (${SECTIONS.join(", ")})`);
}
/** Whether the section runs (BENCH_ONLY unset: all of them). */
const runs = (section) => ONLY === undefined || ONLY.includes(section);
const SCALE = scaleConfig(process.env, { rounds: ROUNDS, quick: QUICK });
const LABEL = { ours: "workerd-containers", original: "@cloudflare/containers 0.3.7", direct: "direct (no library)" };
const CFG = {
  warmRequests: QUICK ? 300 : 1500,
  warmConcurrency: 8,
  bigBytes: (QUICK ? 20 : 100) * 1_000_000,
  coldPerRound: QUICK ? 1 : 2,
  coldDelays: [0, 700],
  ws: [
    { size: 1024, count: QUICK ? 300 : 2000, window: 16 },
    { size: 64 * 1024, count: QUICK ? 100 : 400, window: 8 },
  ],
  alarmSteadyRps: 10,
};
const wranglerRequire = createRequire(join(ROOT, "node_modules/wrangler/package.json"));
const APP_IMAGE = "wc-bench/app:latest";
const started = Date.now();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s`;
const say = (line) => console.log(`[bench ${elapsed()}] ${line}`);
// A run writes into the untracked coverage/; the committed figures change when asked for.
const RESULTS_DIR = process.argv.includes("--update-results") ? "bench/results" : "coverage/bench";

// ---------------------------------------------------------------- statistics
const median = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const percentile = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};
/** The variants' order in round `r`: ABC, BCA, CAB, … */
const orderFor = (r) => VARIANTS.map((_, i) => VARIANTS[(i + r) % VARIANTS.length]);

// ---------------------------------------------------------------- processes
/** Samples RSS every 20 ms until stopped; returns { baseline, peak }. */
function sampleRss(pids) {
  const baseline = rssBytes(pids);
  let peak = baseline;
  const timer = setInterval(() => {
    peak = Math.max(peak, rssBytes(pids));
  }, 20);
  return () => {
    clearInterval(timer);
    peak = Math.max(peak, rssBytes(pids));
    return { baseline, peak };
  };
}

// ---------------------------------------------------------------- HTTP client
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
let PORT;

/** One HTTP request on the keep-alive agent; resolves at the first byte of the body ({status, ttfb, body?}). */
function request(path, { method = "GET", body, readBody = true, timeoutMs = 60_000 } = {}) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = http.request({ host: "127.0.0.1", port: PORT, path, method, agent }, (res) => {
      let ttfb;
      const chunks = [];
      let bytes = 0;
      res.on("data", (chunk) => {
        ttfb ??= performance.now() - t0;
        bytes += chunk.length;
        if (readBody) chunks.push(chunk);
      });
      res.on("end", () => {
        ttfb ??= performance.now() - t0;
        resolve({
          status: res.statusCode,
          ttfb,
          total: performance.now() - t0,
          bytes,
          body: readBody ? Buffer.concat(chunks).toString("utf8") : undefined,
        });
      });
      res.on("error", reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`${method} ${path}: no answer in ${timeoutMs} ms`)));
    req.on("error", reject);
    if (typeof body === "function") body(req);
    else req.end(body);
  });
}
async function getOk(path, opts) {
  const res = await request(path, opts);
  if (res.status !== 200) throw new Error(`${path}: HTTP ${res.status} ${res.body?.slice(0, 200) ?? ""}`);
  return res;
}
const control = async (variant, instance, op) =>
  JSON.parse((await getOk(`/${variant}/${instance}/__bench/${op}`)).body);

// ---------------------------------------------------------------- measurements
async function warmThroughput(variant) {
  const latencies = [];
  let next = 0;
  let failures = 0;
  const t0 = performance.now();
  const worker = async () => {
    while (next < CFG.warmRequests) {
      next++;
      const res = await request(`/${variant}/warm/`);
      if (res.status === 200) latencies.push(res.total);
      else failures++;
    }
  };
  await Promise.all(Array.from({ length: CFG.warmConcurrency }, worker));
  const seconds = (performance.now() - t0) / 1000;
  return { rps: latencies.length / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99), failures };
}

async function bigUpload(variant, pids) {
  const chunk = Buffer.alloc(64 * 1024, 7);
  const stop = sampleRss(pids);
  const t0 = performance.now();
  const res = await request(`/${variant}/warm/count`, {
    method: "POST",
    timeoutMs: 120_000,
    body: (req) => {
      req.setHeader("content-type", "application/octet-stream");
      req.setHeader("content-length", String(CFG.bigBytes));
      let sent = 0;
      const pump = () => {
        while (sent < CFG.bigBytes) {
          const piece = chunk.subarray(0, Math.min(chunk.length, CFG.bigBytes - sent));
          sent += piece.length;
          if (!req.write(piece)) return void req.once("drain", pump);
        }
        req.end();
      };
      pump();
    },
  });
  const seconds = (performance.now() - t0) / 1000;
  const { baseline, peak } = stop();
  const counted = JSON.parse(res.body).bytes;
  if (counted !== CFG.bigBytes) throw new Error(`${variant} upload: container counted ${counted} bytes`);
  return { mbps: CFG.bigBytes / 1e6 / seconds, rssGrowth: peak - baseline, rssPeak: peak };
}

async function bigDownload(variant, pids) {
  const stop = sampleRss(pids);
  const t0 = performance.now();
  const res = await request(`/${variant}/warm/bytes?n=${CFG.bigBytes}`, { readBody: false, timeoutMs: 120_000 });
  const seconds = (performance.now() - t0) / 1000;
  const { baseline, peak } = stop();
  if (res.bytes !== CFG.bigBytes) throw new Error(`${variant} download: got ${res.bytes} bytes`);
  return { mbps: CFG.bigBytes / 1e6 / seconds, rssGrowth: peak - baseline, rssPeak: peak };
}

/** Row 4: the echo through one variant's warm instance; { msgsPerSec, mbps }. */
function wsEcho(variant, spec) {
  const url = `ws://127.0.0.1:${PORT}/${variant}/warm/ws`;
  return echoOver(url, spec, { what: `${variant} ws ${spec.size} B` });
}

/**
 * First request to first byte on a fresh instance whose server listens after `delay` ms; `trace` is how
 * the Durable Object spent that time (see bench/worker's traceContainer), `null` if it could not trace.
 */
async function coldStart(variant, delay, tag) {
  const instance = `cold-${tag}-${delay}-${randomUUID().slice(0, 8)}`;
  await control(variant, instance, `setup?delay=${delay}`); // the Durable Object exists; no container yet
  const res = await request(`/${variant}/${instance}/`, { timeoutMs: 60_000 });
  if (res.status !== 200)
    throw new Error(`${variant} cold start (${delay} ms): HTTP ${res.status} ${res.body?.slice(0, 200)}`);
  const trace = summariseTrace(await control(variant, instance, "trace"));
  await control(variant, instance, "destroy");
  return { ttfb: res.ttfb, trace };
}

/** This package's probe schedule, read from its constants (src/constants.ts), so the text cannot go stale. */
function ourProbeSchedule() {
  const source = readFileSync(join(ROOT, "src/constants.ts"), "utf8");
  const constant = (name) =>
    Number(source.match(new RegExp(`export const ${name} = ([\\d_]+);`))?.[1].replace(/_/g, ""));
  const spacing = constant("PROBE_SPACING_MS");
  const windowMs = constant("FAST_POLL_WINDOW_MS");
  const cap = constant("DEFAULT_MAX_POLL_INTERVAL_MS");
  return (
    `starts probes of a port at least ${spacing} ms apart for the first ${windowMs / 1000} s of a wait, then ` +
    `doubles the gap up to ${cap} ms (no waitInterval given)`
  );
}

/** One sample's first connection attempts per variant (ms after start()), from the last round. */
function probeScheduleSample(rounds) {
  const last = rounds.at(-1)?.coldTrace;
  if (!last) return "";
  const delay = Object.keys(last).at(-1);
  const lines = VARIANTS.map((v) => {
    const trace = last[delay][v].find(Boolean);
    return trace ? `${v} ${trace.schedule.map((x) => fmt(x, 0)).join(", ")}${trace.attempts > 12 ? ", …" : ""}` : "";
  }).filter(Boolean);
  return lines.length
    ? `Attempts of one sample (listens after ${delay} ms), ms after start(): ${lines.join("; ")}.`
    : "";
}

/** A cold start's timeline in phases (ms) and its probe schedule: attempts and the gaps between them. */
function summariseTrace(t) {
  if (!t.traced || t.received === null || t.start === null || t.answered === null || t.responded === null) {
    return null;
  }
  const gaps = t.attempts.slice(1).map((at, i) => at - t.attempts[i]);
  return {
    beforeStart: t.start - t.received,
    startToAnswer: t.answered - t.start,
    answerToResponse: t.responded - t.answered,
    attempts: t.attempts.length,
    minGap: gaps.length ? Math.min(...gaps) : NaN,
    medianGap: median(gaps),
    // The first attempts, relative to start(): the schedule as it was used.
    schedule: t.attempts.slice(0, 12).map((at) => at - t.start),
  };
}

/** Docker Engine API over its socket (what workerd uses too: no CLI start-up in the measurement). */
function dockerApi(method, path, body) {
  const socketPath = process.env.DOCKER_HOST?.startsWith("unix://")
    ? process.env.DOCKER_HOST.slice(7)
    : "/var/run/docker.sock";
  return new Promise((resolve, reject) => {
    const req = http.request(
      { socketPath, path, method, headers: body ? { "content-type": "application/json" } : {} },
      (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          if (res.statusCode >= 300) reject(new Error(`docker ${method} ${path}: ${res.statusCode} ${text}`));
          else resolve(text ? JSON.parse(text) : {});
        });
      },
    );
    req.on("error", reject);
    req.end(body ? JSON.stringify(body) : undefined);
  });
}

/** The container's own time: create + start through the Docker API until the server answers HTTP. */
async function containerOwnTime(delay) {
  const hostPort = await freePort();
  const t0 = performance.now();
  const { Id: id } = await dockerApi("POST", `/containers/create?name=wc-bench-own-${randomUUID().slice(0, 8)}`, {
    Image: APP_IMAGE,
    Env: ["PORTS=8080", `START_DELAY_MS=${delay}`],
    ExposedPorts: { "8080/tcp": {} },
    HostConfig: { PortBindings: { "8080/tcp": [{ HostIp: "127.0.0.1", HostPort: String(hostPort) }] } },
  });
  try {
    await dockerApi("POST", `/containers/${id}/start`);
    const deadline = Date.now() + 30_000;
    for (;;) {
      const answered = await new Promise((resolve) => {
        const req = http.get({ host: "127.0.0.1", port: hostPort, path: "/", agent: false }, (res) => {
          res.resume();
          res.on("end", () => resolve(res.statusCode === 200));
        });
        req.on("error", () => resolve(false));
        req.setTimeout(1000, () => req.destroy());
      });
      if (answered) return performance.now() - t0;
      if (Date.now() > deadline) throw new Error("the fixture container did not answer within 30 s");
      await sleep(2);
    }
  } finally {
    await dockerApi("DELETE", `/containers/${id}?force=true`).catch(() => {});
  }
}

// ---------------------------------------------------------------- bundle size
async function bundleSizes() {
  const { build } = await import("esbuild");
  const sources = {
    ours: `import { Container, getContainer } from "workerd-containers";
export class MyContainer extends Container { defaultPort = 8080; sleepAfter = "5m"; }
export default { fetch(request, env) { return getContainer(env.MY_CONTAINER).fetch(request); } };`,
    original: `import { Container, getContainer } from "cloudflare-containers-original";
export class MyContainer extends Container { defaultPort = 8080; sleepAfter = "5m"; }
export default { fetch(request, env) { return getContainer(env.MY_CONTAINER).fetch(request); } };`,
    direct:
      `import { DurableObject } from "cloudflare:workers";
export class MyContainer extends DurableObject {
  async fetch(request) {
    const c = this.ctx.container;
    if (!c.running) c.start();
    for (let i = 0; ; i++) {
      try { return await c.getTcpPort(8080).fetch(request); }
      catch (e) { if (i > 200) throw e; await new Promise((r) => setTimeout(r, 10)); }
    }
  }
}
export default { fetch(request, env) { ` +
      `return env.MY_CONTAINER.get(env.MY_CONTAINER.idFromName("x")).fetch(request); } };`,
  };
  const sizes = {};
  for (const variant of VARIANTS) {
    const result = await build({ ...bundleOptions(sources[variant], "esm"), metafile: true });
    const code = result.outputFiles[0].contents;
    // Which source files the minified bytes come from (largest first).
    const inputs = Object.values(result.metafile.outputs)[0].inputs;
    const byFile = Object.entries(inputs)
      .map(([file, { bytesInOutput }]) => ({ file: file.replace(/^.*node_modules\//, ""), bytes: bytesInOutput }))
      .sort((a, b) => b.bytes - a.bytes);
    const compileMs = await compileTime(variant, sources[variant], build);
    sizes[variant] = { minified: code.length, gzip: gzipSync(code, { level: 9 }).length, byFile, compileMs };
  }
  return sizes;
}

/** esbuild's options for row 6: a minimal Worker, minified, as wrangler bundles it (this package from src/). */
function bundleOptions(contents, format) {
  return {
    stdin: { contents, resolveDir: ROOT, loader: "js" },
    bundle: true,
    minify: true,
    format,
    platform: "neutral",
    target: "es2022",
    external: ["cloudflare:workers"],
    alias: { "workerd-containers": join(ROOT, "src/index.ts") },
    write: false,
    logLevel: "silent",
  };
}

/**
 * What the bundle's size costs a fresh isolate: V8 compiling the minified script (node:vm, as CommonJS so
 * that it compiles without a module loader; not run), median of 30, each a distinct source so none is cached.
 */
async function compileTime(variant, contents, build) {
  const result = await build(bundleOptions(contents, "cjs"));
  const code = result.outputFiles[0].text;
  const times = [];
  for (let i = 0; i < 30; i++) {
    const source = `${code}\n// ${variant} ${i}`;
    const t0 = performance.now();
    new vm.Script(source, { filename: `${variant}-${i}.js` });
    times.push(performance.now() - t0);
  }
  return median(times);
}

/** Which feature each of this package's source files belongs to, for the bundle's composition by feature. */
const FEATURES = [
  ["containerExec", /^src\/exec\//],
  ["persistDisk", /^src\/lifecycle\/persist\.ts$/],
  ["readiness checks", /^src\/(readiness-checks|lifecycle\/checks)\.ts$/],
  ["restart policy + hardTimeout", /^src\/lifecycle\/supervisor\.ts$/],
  ["named images", /^src\/lifecycle\/images\.ts$/],
  ["outbound interception", /^src\/outbound\//],
];

/** Minified bytes by feature (the rest: what the original's features take in this package). */
function bytesByFeature(byFile) {
  const totals = new Map([...FEATURES.map(([name]) => [name, 0]), ["everything else", 0]]);
  for (const { file, bytes } of byFile) {
    const path = file.replace(/^.*\/src\//, "src/");
    const feature = FEATURES.find(([, pattern]) => pattern.test(path))?.[0] ?? "everything else";
    totals.set(feature, totals.get(feature) + bytes);
  }
  return [...totals];
}

// ---------------------------------------------------------------- report
const fmt = (x, digits = 1) => (Number.isFinite(x) ? x.toFixed(digits) : "—");
// Ratios only of positive figures: a difference that came out negative (noise around the floor) has none.
const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && a >= 0 && b > 0 ? a / b : NaN);
const fmtRatio = (a, b) => {
  const r = ratio(a, b);
  return Number.isFinite(r) ? `${r.toFixed(2)}×` : "—";
};

function versions() {
  const read = (p) => JSON.parse(readFileSync(join(ROOT, p), "utf8")).version;
  const safe = (f) => {
    try {
      return f();
    } catch {
      return "?";
    }
  };
  return {
    "workerd-containers": safe(() => read("package.json")),
    "@cloudflare/containers": safe(() => read("node_modules/cloudflare-containers-original/package.json")),
    wrangler: safe(() => read("node_modules/wrangler/package.json")),
    // The copies wrangler itself resolves (the tree may hold other versions too).
    workerd: safe(
      () =>
        JSON.parse(
          readFileSync(
            createRequire(wranglerRequire.resolve("miniflare/package.json")).resolve("workerd/package.json"),
            "utf8",
          ),
        ).version,
    ),
    miniflare: safe(() => JSON.parse(readFileSync(wranglerRequire.resolve("miniflare/package.json"), "utf8")).version),
    node: process.version,
    docker: safe(() =>
      execFileSync("docker", ["version", "--format", "{{.Server.Version}}"], { encoding: "utf8" }).trim(),
    ),
  };
}

function machine() {
  const cpus = os.cpus();
  return {
    cpu: `${cpus.length} × ${cpus[0]?.model ?? "?"}`,
    memory: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
  };
}

function renderMarkdown(report) {
  const { summary: S } = report;
  const lines = [];
  const row = (cells) => lines.push(`| ${cells.join(" | ")} |`);
  lines.push("# Benchmark: workerd-containers vs @cloudflare/containers 0.3.7 vs direct");
  lines.push("");
  lines.push(`Run ${report.date} · ${report.machine.cpu} · ${report.machine.memory} · ${report.machine.os}`);
  lines.push(
    `Versions: ${Object.entries(report.versions)
      .map(([k, v]) => `${k} ${v}`)
      .join(" · ")}`,
  );
  lines.push(
    `${report.config.rounds} rounds, variants interleaved (order rotated every round: ABC, BCA, CAB); each ` +
      `figure is the median over rounds. ` +
      `One \`wrangler dev\` (workerd + real Docker), one Worker with one Durable Object class per variant, one ` +
      `image (fixtures/app, Node 22). ` +
      `Bench wall time ${fmt(report.wallSeconds, 0)} s. Produced by \`npm run bench\` (bench/run.mjs).`,
  );
  lines.push("");
  lines.push(
    "“ours/direct” and “ours/orig.” are plain ratios of the figures; the last column says which way is better.",
  );
  lines.push("");
  row([
    "#",
    "metric",
    "workerd-containers",
    "original 0.3.7",
    "direct",
    "ours/direct",
    "ours/orig.",
    "orig./direct",
    "better",
  ]);
  row(["---", "---", "---:", "---:", "---:", "---:", "---:", "---:", "---"]);
  for (const m of S) {
    row([
      m.row,
      m.metric,
      fmt(m.ours, m.digits),
      fmt(m.original, m.digits),
      fmt(m.direct, m.digits),
      fmtRatio(m.ours, m.direct),
      fmtRatio(m.ours, m.original),
      fmtRatio(m.original, m.direct),
      m.better,
    ]);
  }
  lines.push("");
  lines.push("## How each row is measured");
  lines.push("");
  for (const note of report.notes) lines.push(`- ${note}`);
  lines.push("");
  lines.push("## Bundle composition (minified bytes per source file, largest first)");
  lines.push("");
  for (const v of report.bundles ? ["ours", "original"] : []) {
    const files = report.bundles[v].byFile.filter((f) => f.bytes > 0);
    lines.push(
      `- ${LABEL[v]}: ${files
        .slice(0, 12)
        .map((f) => `${f.file.replace(/^.*\/src\//, "src/")} ${f.bytes}`)
        .join(", ")}${files.length > 12 ? ", …" : ""}`,
    );
  }
  if (report.bundles) {
    const features = bytesByFeature(report.bundles.ours.byFile);
    lines.push(`- ${LABEL.ours}, by feature: ${features.map(([name, bytes]) => `${name} ${bytes}`).join(", ")}`);
  }
  lines.push("");
  lines.push("## Raw per-round figures");
  lines.push("");
  lines.push("```json");
  lines.push(JSON.stringify(report.rounds, null, 1).slice(0, 20_000));
  lines.push("```");
  return `${lines.join("\n")}\n`;
}

// ---------------------------------------------------------------- main
async function main() {
  say(`${ROUNDS} round(s); alarm window ${ALARM_SECONDS} s${QUICK ? "; QUICK mode (small counts)" : ""}`);
  say("1/8 Docker (scripts/setup-docker.sh) and images");
  if (
    spawnSync("bash", [join(ROOT, "scripts/setup-docker.sh")], { stdio: ["ignore", "ignore", "inherit"] }).status !== 0
  ) {
    throw new Error("Docker is not available (scripts/setup-docker.sh failed)");
  }
  buildFixtureImages((line) => say(`  ${line}`));
  execFileSync("docker", ["build", "-q", "-t", APP_IMAGE, join(ROOT, "fixtures/app")], {
    stdio: ["ignore", "ignore", "inherit"],
  });

  if (runs("bundle")) say("2/8 bundle sizes (esbuild --minify --format=esm, gzip -9)");
  const bundles = runs("bundle") ? await bundleSizes() : undefined;
  for (const v of bundles ? VARIANTS : [])
    say(`  ${v}: ${bundles[v].minified} B minified, ${bundles[v].gzip} B gzipped`);

  const runName = `wc-bench-${randomUUID().slice(0, 6)}`;
  const state = join(os.tmpdir(), runName);
  PORT = await freePort();
  say(
    `3/8 wrangler dev bench/wrangler.jsonc on 127.0.0.1:${PORT} (builds the image; log: coverage/bench-wrangler.log)`,
  );
  const server = await startWranglerDev({
    // BENCH_CONFIG: another wrangler config for the same Worker (e.g. `ours` aliased to a patched copy of src/).
    config: process.env.BENCH_CONFIG ?? join(ROOT, "bench/wrangler.jsonc"),
    runName,
    port: PORT,
    logFile: join(ROOT, "coverage/bench-wrangler.log"),
    log: (line) => say(`  ${line}`),
    args: ["--persist-to", state],
  });
  const rounds = [];
  let alarms;
  let scale;
  try {
    await server.ready;
    const pids = workerdPids(server.child.pid);
    say(`  workerd PID(s): ${pids.join(", ") || "none found"}`);

    // Rows 1, 2 and 4 run on the "warm" instances; the other sections start their own.
    const warmUp = ["warm", "big", "ws"].some(runs);
    if (warmUp) say("4/8 warm-up: start one container per variant");
    for (const v of warmUp ? VARIANTS : []) {
      await control(v, "warm", "setup?delay=0");
      const res = await getOk(`/${v}/warm/`);
      say(`  ${v}: first answer after ${fmt(res.total, 0)} ms`);
      for (let i = 0; i < 100; i++) await getOk(`/${v}/warm/`);
    }

    const roundCount = ["warm", "big", "ws", "cold"].some(runs) ? ROUNDS : 0;
    if (roundCount) say(`5/8 ${ROUNDS} interleaved round(s)`);
    for (let r = 0; r < roundCount; r++) {
      const order = orderFor(r);
      const round = { order, warm: {}, upload: {}, download: {}, ws: {}, cold: {}, own: {} };
      say(`round ${r + 1}/${ROUNDS}: order ${order.join(", ")}`);
      await sleep(2_000); // let Docker finish removing the previous round's cold-start containers
      for (const v of runs("warm") ? order : []) {
        round.warm[v] = await warmThroughput(v);
        say(
          `  warm GET ${v}: ${fmt(round.warm[v].rps, 0)} req/s, p50 ${fmt(round.warm[v].p50, 2)} ms, p99 ` +
            `${fmt(round.warm[v].p99, 2)} ms`,
        );
      }
      for (const v of runs("big") ? order : []) {
        round.upload[v] = await bigUpload(v, pids);
        say(
          `  ${CFG.bigBytes / 1e6} MB in  ${v}: ${fmt(round.upload[v].mbps)} MB/s, workerd RSS ` +
            `+${fmt(round.upload[v].rssGrowth / 2 ** 20)} MiB`,
        );
      }
      for (const v of runs("big") ? order : []) {
        round.download[v] = await bigDownload(v, pids);
        say(
          `  ${CFG.bigBytes / 1e6} MB out ${v}: ${fmt(round.download[v].mbps)} MB/s, workerd RSS ` +
            `+${fmt(round.download[v].rssGrowth / 2 ** 20)} MiB`,
        );
      }
      for (const spec of runs("ws") ? CFG.ws : []) {
        const key = `${spec.size}`;
        round.ws[key] = {};
        // Row 4 also measures this package's opt-in pass-through, at a place in the order that rotates too.
        const wsOrder = [...order];
        wsOrder.splice(r % (order.length + 1), 0, "passthrough");
        for (const v of wsOrder) {
          round.ws[key][v] = await wsEcho(v, spec);
          say(`  WebSocket ${spec.size} B ${v}: ${fmt(round.ws[key][v].msgsPerSec, 0)} msg/s`);
        }
      }
      for (const delay of runs("cold") ? CFG.coldDelays : []) {
        round.cold[delay] = Object.fromEntries(VARIANTS.map((v) => [v, []]));
        round.coldTrace ??= {};
        round.coldTrace[delay] = Object.fromEntries(VARIANTS.map((v) => [v, []]));
        round.own[delay] = [];
        for (let k = 0; k < CFG.coldPerRound; k++) {
          round.own[delay].push(await containerOwnTime(delay));
          for (const v of order) {
            const { ttfb, trace } = await coldStart(v, delay, `r${r}k${k}`);
            round.cold[delay][v].push(ttfb);
            round.coldTrace[delay][v].push(trace);
          }
        }
        say(
          `  cold start, listens after ${delay} ms: own ${round.own[delay].map((x) => fmt(x, 0)).join("/")} ms; ` +
            order.map((v) => `${v} ${round.cold[delay][v].map((x) => fmt(x, 0)).join("/")} ms`).join("; "),
        );
      }
      rounds.push(round);
    }

    if (runs("scale")) {
      say(`6/8 scale: N = ${SCALE.ns.join(", ")} instances per variant, ${SCALE.rounds} round(s) (bench/scale.mjs)`);
      const helpers = { request, getOk, control, say, sleep, percentile, orderFor, VARIANTS, pids, runName };
      scale = await runScale(helpers, SCALE);
      say(`  scale section: ${fmt(scale.wallSeconds, 0)} s`);
    }

    if (runs("alarms")) {
      say(
        `7/8 sleepAfter timer cost: ${ALARM_SECONDS} s with steady traffic on one instance per variant, ` +
          "another idle",
      );
      for (const v of VARIANTS) {
        for (const instance of ["steady", "idle"]) {
          await control(v, instance, "setup?delay=0");
          await getOk(`/${v}/${instance}/`);
        }
      }
      await sleep(2_000); // let start-up writes settle before counting
      for (const v of VARIANTS) for (const instance of ["steady", "idle"]) await control(v, instance, "reset");
      const windowStart = Date.now();
      const windowEnd = windowStart + ALARM_SECONDS * 1000;
      let steadyRequests = 0;
      let lastReport = windowStart;
      while (Date.now() < windowEnd) {
        const tick = Date.now();
        await Promise.all(VARIANTS.map((v) => getOk(`/${v}/steady/`).then(() => steadyRequests++)));
        if (Date.now() - lastReport >= 30_000) {
          lastReport = Date.now();
          say(
            `  ${((lastReport - windowStart) / 1000).toFixed(0)}/${ALARM_SECONDS} s, ${steadyRequests} steady ` +
              `requests so far`,
          );
        }
        await sleep(Math.max(0, 1000 / CFG.alarmSteadyRps - (Date.now() - tick)));
      }
      const minutes = (Date.now() - windowStart) / 60_000;
      alarms = { minutes, steadyRequests, steady: {}, idle: {} };
      for (const v of VARIANTS) {
        for (const instance of ["steady", "idle"]) {
          const c = await control(v, instance, "counters");
          alarms[instance][v] = {
            alarmsPerMin: c.alarms / minutes,
            setAlarmPerMin: c.setAlarm / minutes,
            alarms: c.alarms,
            setAlarm: c.setAlarm,
            wrapped: c.wrapped,
            writes: c.writes,
            writesWrapped: c.writesWrapped,
          };
        }
        say(
          `  ${v}: steady ${alarms.steady[v].alarms} alarm(s), ${alarms.steady[v].setAlarm} setAlarm; ` +
            `idle ${alarms.idle[v].alarms} alarm(s), ${alarms.idle[v].setAlarm} setAlarm`,
        );
      }
    }
  } finally {
    say("8/8 stopping wrangler dev and removing containers");
    await server.stop();
    rmSync(state, { recursive: true, force: true });
    agent.destroy();
  }

  // -------------------------------------------------------------- summary
  const per = (pick) => Object.fromEntries(VARIANTS.map((v) => [v, median(rounds.map((round) => pick(round, v)))]));
  const MB = 2 ** 20;
  const summary = [];
  const add = (rowNo, metric, values, better, digits = 1) =>
    summary.push({ row: rowNo, metric, ...values, better, digits });
  if (runs("warm")) {
    add(
      1,
      `warm GET throughput, req/s (${CFG.warmConcurrency} concurrent, ${CFG.warmRequests} requests)`,
      per((r, v) => r.warm[v].rps),
      "higher",
      0,
    );
    add(
      1,
      "warm GET latency p50, ms",
      per((r, v) => r.warm[v].p50),
      "lower",
      2,
    );
    add(
      1,
      "warm GET latency p99, ms",
      per((r, v) => r.warm[v].p99),
      "lower",
      2,
    );
    add(
      1,
      "added p50 latency over direct, ms",
      per((r, v) => r.warm[v].p50 - r.warm.direct.p50),
      "lower",
      2,
    );
    add(
      1,
      "added p99 latency over direct, ms",
      per((r, v) => r.warm[v].p99 - r.warm.direct.p99),
      "lower",
      2,
    );
  }
  if (runs("big")) {
    add(
      2,
      `${CFG.bigBytes / 1e6} MB request body in, MB/s`,
      per((r, v) => r.upload[v].mbps),
      "higher",
    );
    add(
      2,
      `${CFG.bigBytes / 1e6} MB response body out, MB/s`,
      per((r, v) => r.download[v].mbps),
      "higher",
    );
    add(
      2,
      "workerd RSS growth during upload, MiB (max over rounds)",
      Object.fromEntries(VARIANTS.map((v) => [v, Math.max(...rounds.map((r) => r.upload[v].rssGrowth)) / MB])),
      "lower",
    );
    add(
      2,
      "workerd RSS growth during download, MiB (max over rounds)",
      Object.fromEntries(VARIANTS.map((v) => [v, Math.max(...rounds.map((r) => r.download[v].rssGrowth)) / MB])),
      "lower",
    );
    add(
      2,
      "workerd peak RSS, MiB (max over rounds)",
      Object.fromEntries(
        VARIANTS.map((v) => [v, Math.max(...rounds.flatMap((r) => [r.upload[v].rssPeak, r.download[v].rssPeak])) / MB]),
      ),
      "lower",
    );
  }
  const own = {};
  for (const delay of runs("cold") ? CFG.coldDelays : []) {
    own[delay] = median(rounds.flatMap((r) => r.own[delay]));
    const cold = Object.fromEntries(VARIANTS.map((v) => [v, median(rounds.flatMap((r) => r.cold[delay][v]))]));
    add(3, `cold start, listens after ${delay} ms: first request → first byte, ms`, cold, "lower", 0);
    add(
      3,
      `  … minus the container's own time (${fmt(own[delay], 0)} ms), ms`,
      Object.fromEntries(VARIANTS.map((v) => [v, cold[v] - own[delay]])),
      "lower",
      0,
    );
    add(
      3,
      `  … minus direct (same run), ms`,
      Object.fromEntries(VARIANTS.map((v) => [v, cold[v] - cold.direct])),
      "lower",
      0,
    );
    // Where the time went, inside the Durable Object (older results have no traces).
    const traces = (v) => rounds.flatMap((r) => r.coldTrace?.[delay]?.[v] ?? []).filter(Boolean);
    if (VARIANTS.every((v) => traces(v).length > 0)) {
      const phase = (key) => Object.fromEntries(VARIANTS.map((v) => [v, median(traces(v).map((t) => t[key]))]));
      add(3, `  … in the object: request → container start() called, ms`, phase("beforeStart"), "lower", 0);
      add(3, `  … in the object: start() → first answered connection, ms`, phase("startToAnswer"), "lower", 0);
      add(3, `  … in the object: first answer → response ready, ms`, phase("answerToResponse"), "lower", 0);
      add(3, `  … connection attempts until the first answer (probes)`, phase("attempts"), "lower", 0);
      const shortest = Object.fromEntries(VARIANTS.map((v) => [v, Math.min(...traces(v).map((t) => t.minGap))]));
      add(3, `  … shortest gap between two attempts (all samples), ms`, shortest, "higher", 0);
      add(3, `  … median gap between attempts, ms`, phase("medianGap"), "lower", 0);
    }
  }
  for (const spec of runs("ws") ? CFG.ws : []) {
    add(
      4,
      `WebSocket echo, ${spec.size / 1024} KB messages, msg/s (${spec.window} in flight)`,
      per((r, v) => r.ws[`${spec.size}`][v].msgsPerSec),
      "higher",
      0,
    );
    const passThrough = median(rounds.map((round) => round.ws[`${spec.size}`].passthrough?.msgsPerSec));
    add(
      4,
      `  … this package with webSocketProxy = "pass-through" (no relay), msg/s`,
      { ...per((r, v) => r.ws[`${spec.size}`][v].msgsPerSec), ours: passThrough, original: NaN },
      "higher",
      0,
    );
  }
  if (alarms) {
    add(
      5,
      "alarms fired per minute, steady traffic",
      Object.fromEntries(VARIANTS.map((v) => [v, alarms.steady[v].alarmsPerMin])),
      "lower",
      2,
    );
    add(
      5,
      "alarms fired per minute, idle",
      Object.fromEntries(VARIANTS.map((v) => [v, alarms.idle[v].alarmsPerMin])),
      "lower",
      2,
    );
    add(
      5,
      "storage.setAlarm calls per minute, steady traffic",
      Object.fromEntries(VARIANTS.map((v) => [v, alarms.steady[v].setAlarmPerMin])),
      "lower",
      2,
    );
    add(
      5,
      "storage.setAlarm calls per minute, idle",
      Object.fromEntries(VARIANTS.map((v) => [v, alarms.idle[v].setAlarmPerMin])),
      "lower",
      2,
    );
  }
  if (bundles) {
    add(
      6,
      "bundle of a minimal Worker, minified, bytes",
      Object.fromEntries(VARIANTS.map((v) => [v, bundles[v].minified])),
      "lower",
      0,
    );
    add(
      6,
      "bundle of a minimal Worker, minified + gzip, bytes",
      Object.fromEntries(VARIANTS.map((v) => [v, bundles[v].gzip])),
      "lower",
      0,
    );
    if (VARIANTS.every((v) => bundles[v].compileMs !== undefined)) {
      add(
        6,
        "  … V8 compile time of that bundle, ms (what a fresh isolate pays for its size)",
        Object.fromEntries(VARIANTS.map((v) => [v, bundles[v].compileMs])),
        "lower",
        2,
      );
    }
  }
  if (scale) addScaleRows(scale, add, median, VARIANTS);
  const notes = [
    `Row 1: ${CFG.warmRequests} GET / (a ~100-byte JSON answer) per variant and round, ${CFG.warmConcurrency} ` +
      `in flight, keep-alive client on loopback; latency is request start to end of body. "Added" = the ` +
      `variant's percentile minus direct's in the same round (median over rounds); direct is the floor (Worker → ` +
      `Durable Object → container port).`,
    `Row 2: a ${CFG.bigBytes / 1e6} MB body POSTed to /count (the container hashes it and reports the byte ` +
      `count, checked) and a ${CFG.bigBytes / 1e6} MB response from /bytes (byte count checked). workerd's RSS ` +
      `(all workerd processes under wrangler, /proc/<pid>/status VmRSS) is sampled every 20 ms; growth = peak ` +
      `during the transfer minus RSS just before it. One workerd serves all three variants, so the absolute peak ` +
      `includes everything that ran before.`,
    `Row 3: a fresh Durable Object per sample (created by a control request first, so its construction is not ` +
      `timed); timed: GET / from sending the request to its first body byte, which includes starting the app ` +
      `container and workerd's networking sidecar container. The container's own time = Docker Engine API create ` +
      `+ start of the same image until it answers HTTP on a published port (polled every 2 ms), same delays, ` +
      `interleaved with the variants. ${CFG.coldPerRound} sample(s) per delay per round. Probe schedules: the ` +
      `original polls readiness every 300 ms; this package ${ourProbeSchedule()}; direct retries after 2 ms, ` +
      `doubling to 20 ms. The "in the object" lines split the same samples by what the Durable Object saw ` +
      `(Date.now() there, which workerd moves on at each I/O; bench/worker wraps ctx.container's start() and ` +
      `getTcpPort()): until it called start(), until a connection to the container was first answered (the ` +
      `readiness wait), and until the response was ready; every connection attempt in between is counted, and ` +
      `the gaps between them are the probe schedule as used. ${probeScheduleSample(rounds)}`,
    `Row 4: one WebSocket per variant and round to the fixture's /ws echo through the Worker and the Durable ` +
      `Object; binary messages, a fixed number in flight ` +
      `(${CFG.ws.map((s) => `${s.count} × ${s.size / 1024} KB, ${s.window} in flight`).join("; ")}). ` +
      `The "pass-through" line is this package with webSocketProxy = "pass-through" (a fourth class, ` +
      `OursPassThrough, interleaved with the three): the container's own upgrade response is handed back and ` +
      `nothing is relayed, so the socket counts as activity only until the upgrade (docs/behaviour.md); ` +
      `its "ours/orig." is not a comparison and shows —.`,
    `Row 5: over ${fmt(alarms?.minutes, 2)} minutes, one running instance per variant got ${CFG.alarmSteadyRps} ` +
      `requests/s (${alarms?.steadyRequests} in total across variants) while another running instance got none. ` +
      `Counted: calls of each class's alarm() (an override that calls super) and of ctx.storage.setAlarm ` +
      `(wrapped in the constructor). sleepAfter = "2h" for both libraries, so no container stops during the ` +
      `window. Direct has no idle timer: its zeros are the floor, ratios to it are undefined (—).`,
    `Row 6: esbuild ${"--bundle --minify --format=esm --external:cloudflare:workers"} of a minimal Worker per ` +
      `variant (a Container subclass with defaultPort and sleepAfter + a fetch handler using getContainer; ` +
      `direct: the same by hand), gzip level 9 via node:zlib. This package is bundled from its TypeScript ` +
      `sources (src/), as wrangler does through the alias. The compile time is V8 (this Node) compiling the ` +
      `same minified bundle as CommonJS with node:vm, not running it; median of 30 distinct sources.`,
    ...(scale ? scaleNotes(scale, median, VARIANTS) : []),
    "The three variants share one wrangler dev process, one Docker daemon and a 2-core machine: absolute " +
      "figures are noisy; the interleaving and the same-round ratios are what to compare.",
  ].filter((note) => {
    // Only the notes of the rows in the table (BENCH_ONLY leaves sections out).
    const rowNo = /^Row (\d+)/.exec(note)?.[1];
    return rowNo === undefined || summary.some((m) => m.row === Number(rowNo));
  });
  const report = {
    date: new Date().toISOString(),
    wallSeconds: (Date.now() - started) / 1000,
    machine: machine(),
    versions: versions(),
    config: { rounds: ROUNDS, quick: QUICK, alarmSeconds: ALARM_SECONDS, sections: ONLY ?? SECTIONS, ...CFG },
    summary,
    containerOwnTimeMs: own,
    alarms,
    bundles,
    rounds,
    scale,
    notes,
  };
  const out = join(ROOT, RESULTS_DIR);
  mkdirSync(out, { recursive: true });
  const suffix = process.env.BENCH_SUFFIX ?? (ONLY ? `-only-${ONLY.join("-")}` : QUICK ? "-quick" : "");
  writeFileSync(join(out, `latest${suffix}.json`), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(out, `latest${suffix}.md`), renderMarkdown(report));
  console.log("");
  console.log(renderMarkdown(report).split("## How each row")[0]);
  say(`done in ${fmt(report.wallSeconds, 0)} s: ${RESULTS_DIR}/latest${suffix}.md and latest${suffix}.json`);
  if (scale && scaleErrors(scale) > 0) {
    console.error(`[bench] failed: ${scaleErrors(scale)} error(s) under ${SCALE.clients} concurrent clients (row 8)`);
    process.exitCode = 1;
  }
}

if (process.argv.includes("--render")) {
  // Re-render latest.md from latest.json (after a change to the table's layout).
  const out = join(ROOT, RESULTS_DIR);
  const suffix = process.env.BENCH_SUFFIX ?? "";
  const report = JSON.parse(readFileSync(join(out, `latest${suffix}.json`), "utf8"));
  writeFileSync(join(out, `latest${suffix}.md`), renderMarkdown(report));
  console.log(`[bench] rendered ${join(out, `latest${suffix}.md`)} from latest${suffix}.json`);
} else
  main().catch((error) => {
    console.error(`[bench] failed: ${error?.stack ?? error}`);
    process.exitCode = 1;
  });
