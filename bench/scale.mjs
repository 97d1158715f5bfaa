// The scale section of `npm run bench` (rows 7 and 8), called by bench/run.mjs
// with its HTTP helpers. For each N in BENCH_SCALE_N (default 1,4,16) and each
// variant, interleaved as the other rows (order rotated every round):
//   a. N fresh instances (Durable Objects created first, no container) get one
//      GET / each, all at once: time until all have answered; the app
//      containers started meanwhile, counted from `docker events` (must be N);
//   b. warm GET throughput with each request sent to one of the N instances
//      picked at random (what getRandom(binding, N) does: Math.random() over N names);
//   c. workerd RSS per extra instance: (RSS once all N answered − RSS before a) / N;
// then the instances are destroyed. After the rounds, once, at the largest N:
//   d. alarms fired and storage writes per instance per minute, N instances
//      per variant at once, first busy then idle (BENCH_SCALE_SECONDS in all);
// and in every round:
//   e. one warm instance per variant under 64 concurrent clients: p50/p99, errors.
// Env: BENCH_SCALE_N (comma list, default 1,4,16), BENCH_SCALE_ROUNDS (default
// min(BENCH_ROUNDS, 2)), BENCH_SCALE_SECONDS (default 60: the window of d, half
// busy, half idle).
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import os from "node:os";
import { dockerPs } from "../scripts/lib/docker.mjs";
import { rssBytes } from "../scripts/lib/proc.mjs";

const CLASS = { ours: "OursContainer", original: "OriginalContainer", direct: "DirectContainer" };
const MB = 2 ** 20;

/** The section's settings from the environment (`quick`: smaller counts). */
export function scaleConfig(env, { rounds, quick }) {
  const ns = (env.BENCH_SCALE_N ?? "1,4,16")
    .split(",")
    .map((x) => Number(x.trim()))
    .filter((x) => Number.isInteger(x) && x > 0);
  return {
    ns,
    rounds: Number(env.BENCH_SCALE_ROUNDS ?? Math.min(rounds, 2)),
    seconds: Number(env.BENCH_SCALE_SECONDS ?? (quick ? 20 : 60)),
    spreadRequests: quick ? 200 : 800,
    spreadConcurrency: 16,
    busyPerInstanceRps: 2,
    clients: 64,
    requestsPerClient: quick ? 4 : 10,
    coldTimeoutMs: 120_000,
  };
}

// ---------------------------------------------------------------- /proc and Docker
/** Machine CPU jiffies (all cores): { busy, total }. */
function machineCpu() {
  const fields = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
  const total = fields.reduce((a, b) => a + b, 0);
  return { busy: total - fields[3] - (fields[4] ?? 0), total };
}

/** PIDs whose command name is one of `names` (exactly: short-lived containerd-shim processes are left out). */
function pidsByComm(names) {
  const found = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const comm = readFileSync(`/proc/${entry}/comm`, "utf8").trim();
      if (names.includes(comm)) found.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return found;
}

/** CPU seconds (user + system, reaped children included) used so far by `pids` together. */
function cpuSeconds(pids) {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      ticks += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
    } catch {
      // gone
    }
  }
  return ticks / 100; // USER_HZ
}

/** CPU use between start() and the returned stop(): machine busy share, workerd and Docker CPU seconds. */
function cpuMeter(workerd) {
  const docker = pidsByComm(["dockerd", "containerd"]);
  const m0 = machineCpu();
  const w0 = cpuSeconds(workerd);
  const d0 = cpuSeconds(docker);
  return () => {
    const m1 = machineCpu();
    return {
      machineBusy: (m1.busy - m0.busy) / Math.max(1, m1.total - m0.total),
      workerdCpuS: cpuSeconds(workerd) - w0,
      dockerCpuS: cpuSeconds(docker) - d0,
    };
  };
}

/** `docker events` for container starts of this run, recorded as they come: { events, stop() }. */
async function watchStarts(runName, say) {
  const child = spawn(
    "docker",
    ["events", "--filter", "type=container", "--filter", "event=start", "--format", "{{json .}}"],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  const events = [];
  let buffered = "";
  child.stdout.setEncoding("utf8");
  child.stdout.on("data", (text) => {
    buffered += text;
    let nl = buffered.indexOf("\n");
    while (nl >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      nl = buffered.indexOf("\n");
      try {
        const e = JSON.parse(line);
        const name = e.Actor?.Attributes?.name ?? "";
        if (!name.includes(runName)) continue;
        const variant = Object.keys(CLASS).find((v) => name.toLowerCase().includes(CLASS[v].toLowerCase()));
        events.push({ at: Number(e.timeNano) / 1e6, name, sidecar: name.endsWith("-proxy"), variant });
      } catch {
        // not an event line
      }
    }
  });
  child.stderr.on("data", (text) => say(`  docker events: ${String(text).trim()}`));
  await new Promise((resolve) => setTimeout(resolve, 1_000)); // the stream is open before anything is counted
  if (child.exitCode !== null) throw new Error(`docker events exited (${child.exitCode})`);
  return { events, stop: () => child.kill("SIGTERM") };
}

// ---------------------------------------------------------------- measurements
/** Scale-section failures that are not capacity limits: they end the bench run. */
class ScaleError extends Error {}

/** IDs of the run's running containers (app and sidecar). */
const runningIds = (h) => new Set(dockerPs(h.runName).map((c) => c.id));

/**
 * Destroys `targets` ([variant, instance] pairs), resets their Durable Objects (/__bench/abort: workerd removes
 * an instance's sidecar only when its object goes away, otherwise 10–20 s later when it is evicted) and waits
 * until the run has no running container that was not in `before` (a set from runningIds), up to 30 s.
 * Returns the milliseconds that took.
 */
async function destroyAll(h, targets, before) {
  const t0 = performance.now();
  await Promise.all(targets.map(([v, name]) => h.control(v, name, "destroy").catch(() => {})));
  await Promise.all(targets.map(([v, name]) => h.request(`/${v}/${name}/__bench/abort`).catch(() => {})));
  const deadline = Date.now() + 30_000;
  for (;;) {
    const extra = dockerPs(h.runName).filter((c) => !before.has(c.id));
    if (extra.length === 0) return performance.now() - t0;
    if (Date.now() > deadline) {
      const names = extra.map((c) => c.name.replace(/^workerd-[^-]*-/, "").slice(0, 60));
      h.say(`  warning: still running 30 s after destroy: ${names.join(", ")}`);
      return performance.now() - t0;
    }
    await h.sleep(100);
  }
}

/** Warm GETs, each to one of `instances` picked at random (getRandom's choice); req/s, p50, p99, failures. */
async function spread(h, variant, instances, cfg) {
  const latencies = [];
  let next = 0;
  let failures = 0;
  const t0 = performance.now();
  const worker = async () => {
    while (next < cfg.spreadRequests) {
      next++;
      const name = instances[Math.floor(Math.random() * instances.length)];
      try {
        const res = await h.request(`/${variant}/${name}/`);
        if (res.status === 200) latencies.push(res.total);
        else failures++;
      } catch {
        failures++;
      }
    }
  };
  await Promise.all(Array.from({ length: cfg.spreadConcurrency }, worker));
  const seconds = (performance.now() - t0) / 1000;
  return {
    rps: latencies.length / seconds,
    p50: h.percentile(latencies, 50),
    p99: h.percentile(latencies, 99),
    failures,
  };
}

/** a + b + c for one variant and N; destroys the instances before returning. */
async function fanOut(h, watcher, variant, n, tag, cfg) {
  const instances = Array.from({ length: n }, (_, k) => `${tag}-instance-${k}`);
  const before = runningIds(h);
  const rssBefore = rssBytes(h.pids);
  const result = {};
  try {
    await Promise.all(instances.map((name) => h.control(variant, name, "setup?delay=0"))); // no container yet
    const mark = watcher.events.length;
    const wall0 = Date.now();
    const cpu = cpuMeter(h.pids);
    const t0 = performance.now();
    const answers = await Promise.all(
      instances.map(async (name) => {
        try {
          const res = await h.request(`/${variant}/${name}/`, { timeoutMs: cfg.coldTimeoutMs });
          return { ms: performance.now() - t0, status: res.status, body: res.body?.slice(0, 160) };
        } catch (error) {
          return { ms: performance.now() - t0, status: 0, body: error.message };
        }
      }),
    );
    const allMs = performance.now() - t0;
    const usage = cpu();
    const failed = answers.filter((a) => a.status !== 200);
    if (failed.length > 0) {
      result.failed =
        `${failed.length}/${n} first requests failed (${failed[0].status || "no answer"}: ` + `${failed[0].body})`;
      return result;
    }
    await h.sleep(1_500); // docker events are delivered asynchronously: let the stream catch up
    const rssAfter = rssBytes(h.pids); // N instances up and answered once, before the load of b
    const starts = watcher.events.slice(mark).filter((e) => e.at >= wall0 - 50);
    const app = starts.filter((e) => !e.sidecar);
    const mine = app.filter((e) => e.variant === variant);
    if (app.length !== n || mine.length !== n) {
      throw new ScaleError(
        `${variant} N=${n}: docker events counted ${app.length} app container start(s) ` +
          `(${mine.length} of ${CLASS[variant]}), expected exactly ${n}: ${app.map((e) => e.name).join(", ")}`,
      );
    }
    const ms = answers.map((a) => a.ms).sort((a, b) => a - b);
    const appAt = app.map((e) => e.at - wall0).sort((a, b) => a - b);
    const warm = await spread(h, variant, instances, cfg);
    return Object.assign(result, {
      allMs,
      firstMs: ms[0],
      medianMs: h.percentile(ms, 50),
      appStarts: app.length,
      sidecarStarts: starts.length - app.length,
      firstAppStartMs: appAt[0],
      lastAppStartMs: appAt[appAt.length - 1],
      ...usage,
      warm,
      rssPerInstance: (rssAfter - rssBefore) / n,
    });
  } finally {
    // Time to destroy all N and for Docker to show none of their containers running.
    result.destroyMs = await destroyAll(
      h,
      instances.map((name) => [variant, name]),
      before,
    );
  }
}

/** e: `clients` concurrent clients on one warm instance, each sending requestsPerClient GETs in turn. */
async function manyClients(h, variant, instance, cfg) {
  const latencies = [];
  let errors = 0;
  const t0 = performance.now();
  const client = async () => {
    for (let i = 0; i < cfg.requestsPerClient; i++) {
      try {
        const res = await h.request(`/${variant}/${instance}/`);
        if (res.status === 200) latencies.push(res.total);
        else errors++;
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: cfg.clients }, client));
  const seconds = (performance.now() - t0) / 1000;
  return {
    rps: latencies.length / seconds,
    p50: h.percentile(latencies, 50),
    p99: h.percentile(latencies, 99),
    errors,
  };
}

const totalWrites = (c) => Object.values(c.writes ?? {}).reduce((a, b) => a + b, 0);

/** d: alarms and storage writes per instance per minute, N instances per variant, busy then idle. */
async function alarmWindow(h, n, seconds, cfg) {
  const tag = `scale-d${n}-${randomUUID().slice(0, 6)}`;
  const instances = Array.from({ length: n }, (_, k) => `${tag}-instance-${k}`);
  const before = runningIds(h);
  const result = { n, seconds, busy: {}, idle: {}, busyRequests: 0 };
  try {
    for (const v of h.VARIANTS) {
      await Promise.all(
        instances.map(async (name) => {
          await h.control(v, name, "setup?delay=0");
          await h.getOk(`/${v}/${name}/`, { timeoutMs: cfg.coldTimeoutMs });
        }),
      );
    }
    await h.sleep(2_000); // start-up writes settle before counting
    const each = (op) => Promise.all(h.VARIANTS.flatMap((v) => instances.map((name) => h.control(v, name, op))));
    const read = async (phase, minutes) => {
      const counters = await each("counters");
      h.VARIANTS.forEach((v, i) => {
        const mine = counters.slice(i * n, (i + 1) * n);
        const sum = (pick) => mine.reduce((a, c) => a + pick(c), 0);
        const byKind = {};
        for (const c of mine) for (const [k, x] of Object.entries(c.writes ?? {})) byKind[k] = (byKind[k] ?? 0) + x;
        result[phase][v] = {
          minutes,
          alarms: sum((c) => c.alarms),
          writes: sum(totalWrites),
          byKind,
          alarmsPerInstanceMin: sum((c) => c.alarms) / n / minutes,
          writesPerInstanceMin: sum(totalWrites) / n / minutes,
          writesWrapped: mine[0]?.writesWrapped ?? [],
          sqlSamples: [...new Set(mine.flatMap((c) => c.sqlSamples ?? []))],
        };
      });
    };
    const half = (seconds * 1000) / 2;
    await each("reset");
    let t = Date.now();
    const busyEnd = t + half;
    const tick = 1000 / cfg.busyPerInstanceRps;
    while (Date.now() < busyEnd) {
      const at = Date.now();
      await Promise.all(h.VARIANTS.flatMap((v) => instances.map((name) => h.getOk(`/${v}/${name}/`))));
      result.busyRequests += h.VARIANTS.length * n;
      await h.sleep(Math.max(0, tick - (Date.now() - at)));
    }
    await read("busy", (Date.now() - t) / 60_000);
    await each("reset");
    t = Date.now();
    await h.sleep(half);
    await read("idle", (Date.now() - t) / 60_000);
    return result;
  } finally {
    await destroyAll(
      h,
      h.VARIANTS.flatMap((v) => instances.map((name) => [v, name])),
      before,
    );
  }
}

// ---------------------------------------------------------------- the section
/**
 * Runs rows 7 and 8. `h`: { request, getOk, control, say, sleep, percentile, orderFor,
 * VARIANTS, pids, runName }. Throws when docker events do not count exactly N app containers.
 */
export async function runScale(h, cfg) {
  const started = Date.now();
  const out = { config: cfg, rounds: [], stopped: undefined, alarms: [], wallSeconds: 0 };
  let ns = [...cfg.ns];
  const watcher = await watchStarts(h.runName, h.say);
  const many = `scale-c${cfg.clients}-${randomUUID().slice(0, 6)}`;
  const before = runningIds(h);
  try {
    for (const v of h.VARIANTS) {
      await h.control(v, many, "setup?delay=0");
      await h.getOk(`/${v}/${many}/`, { timeoutMs: cfg.coldTimeoutMs });
      for (let i = 0; i < 50; i++) await h.getOk(`/${v}/${many}/`);
    }
    for (let r = 0; r < cfg.rounds; r++) {
      const order = h.orderFor(r);
      const round = { order, fan: {}, many: {} };
      h.say(`scale round ${r + 1}/${cfg.rounds}: order ${order.join(", ")}`);
      for (const n of ns) {
        round.fan[n] = {};
        for (const v of order) {
          const res = await fanOut(h, watcher, v, n, `scale${n}-r${r}-${randomUUID().slice(0, 6)}`, cfg);
          if (res.failed) {
            out.stopped = { n, variant: v, round: r, reason: res.failed };
            h.say(`  N=${n} ${v}: ${res.failed}; leaving out N ≥ ${n}`);
            break;
          }
          round.fan[n][v] = res;
          h.say(
            `  N=${n} ${v}: all answered after ${res.allMs.toFixed(0)} ms (first ${res.firstMs.toFixed(0)}; ` +
              `last app container started at ${res.lastAppStartMs.toFixed(0)}), ${res.appStarts} app + ` +
              `${res.sidecarStarts} sidecar starts, CPU ${(res.machineBusy * 100).toFixed(0)}%; spread ` +
              `${res.warm.rps.toFixed(0)} req/s p99 ${res.warm.p99.toFixed(1)} ms; ` +
              `RSS/instance ${(res.rssPerInstance / MB).toFixed(2)} MiB; destroyed in ${res.destroyMs.toFixed(0)} ms`,
          );
        }
        if (out.stopped) {
          delete round.fan[n];
          ns = ns.filter((x) => x < out.stopped.n);
          break;
        }
      }
      for (const v of order) {
        round.many[v] = await manyClients(h, v, many, cfg);
        const m = round.many[v];
        h.say(
          `  ${cfg.clients} clients on one ${v} instance: ${m.rps.toFixed(0)} req/s, p50 ${m.p50.toFixed(1)} ms, ` +
            `p99 ${m.p99.toFixed(1)} ms, ${m.errors} error(s)`,
        );
      }
      out.rounds.push(round);
    }
    // One window, at the largest N that ran: the most instance-minutes for the per-instance rates.
    for (const n of ns.slice(-1)) {
      h.say(
        `  alarms and storage writes: ${n} instance(s) per variant, ${cfg.seconds / 2} s busy + ` +
          `${cfg.seconds / 2} s idle`,
      );
      const w = await alarmWindow(h, n, cfg.seconds, cfg);
      out.alarms.push(w);
      for (const v of h.VARIANTS) {
        h.say(
          `    ${v}: busy ${w.busy[v].alarms} alarm(s), ${w.busy[v].writes} write(s) ` +
            `${JSON.stringify(w.busy[v].byKind)}; idle ${w.idle[v].alarms} alarm(s), ${w.idle[v].writes} write(s) ` +
            `${JSON.stringify(w.idle[v].byKind)} ${JSON.stringify([...w.busy[v].sqlSamples, ...w.idle[v].sqlSamples])}`,
        );
      }
    }
  } catch (error) {
    if (error instanceof ScaleError) throw error;
    throw new ScaleError(`scale section: ${error?.stack ?? error}`);
  } finally {
    await destroyAll(
      h,
      h.VARIANTS.map((v) => [v, many]),
      before,
    );
    watcher.stop();
    out.wallSeconds = (Date.now() - started) / 1000;
  }
  return out;
}

// ---------------------------------------------------------------- summary and notes
/** Adds rows 7 and 8 through run.mjs's add(row, metric, values, better, digits). */
export function addScaleRows(scale, add, median, VARIANTS) {
  const fanNs = [...new Set(scale.rounds.flatMap((r) => Object.keys(r.fan).map(Number)))].sort((a, b) => a - b);
  const each = (n, pick) =>
    Object.fromEntries(
      VARIANTS.map((v) => [v, median(scale.rounds.map((r) => (r.fan[n]?.[v] ? pick(r.fan[n][v], r.fan[n]) : NaN)))]),
    );
  for (const n of fanNs) {
    add(
      7,
      `N=${n}: ${n} cold instance(s) at once, until all answered, ms`,
      each(n, (f) => f.allMs),
      "lower",
      0,
    );
    add(
      7,
      `N=${n}:   … until Docker started the last app container, ms`,
      each(n, (f) => f.lastAppStartMs),
      "lower",
      0,
    );
    add(
      7,
      `N=${n}:   … app containers started (docker events; must be ${n})`,
      each(n, (f) => f.appStarts),
      "= N",
      0,
    );
    add(
      7,
      `N=${n}: warm GET spread over ${n}, req/s (${scale.config.spreadConcurrency} concurrent)`,
      each(n, (f) => f.warm.rps),
      "higher",
      0,
    );
    add(
      7,
      `N=${n}:   … p50, ms`,
      each(n, (f) => f.warm.p50),
      "lower",
      2,
    );
    add(
      7,
      `N=${n}:   … p99, ms`,
      each(n, (f) => f.warm.p99),
      "lower",
      2,
    );
    add(
      7,
      `N=${n}: workerd RSS per extra instance, MiB`,
      each(n, (f) => f.rssPerInstance / MB),
      "lower",
      2,
    );
  }
  for (const w of scale.alarms) {
    const pick = (phase, key) => Object.fromEntries(VARIANTS.map((v) => [v, w[phase][v]?.[key] ?? NaN]));
    add(7, `N=${w.n}: alarms per instance per minute, busy`, pick("busy", "alarmsPerInstanceMin"), "lower", 2);
    add(7, `N=${w.n}: alarms per instance per minute, idle`, pick("idle", "alarmsPerInstanceMin"), "lower", 2);
    add(7, `N=${w.n}: storage writes per instance per minute, busy`, pick("busy", "writesPerInstanceMin"), "lower", 2);
    add(7, `N=${w.n}: storage writes per instance per minute, idle`, pick("idle", "writesPerInstanceMin"), "lower", 2);
  }
  const many = (pick) => Object.fromEntries(VARIANTS.map((v) => [v, median(scale.rounds.map((r) => pick(r.many[v])))]));
  const c = scale.config.clients;
  add(
    8,
    `one instance, ${c} concurrent clients: req/s`,
    many((m) => m.rps),
    "higher",
    0,
  );
  add(
    8,
    `one instance, ${c} concurrent clients: p99 latency, ms`,
    many((m) => m.p99),
    "lower",
    1,
  );
  add(
    8,
    `one instance, ${c} concurrent clients: errors (must be 0; sum over rounds)`,
    Object.fromEntries(VARIANTS.map((v) => [v, scale.rounds.reduce((a, r) => a + r.many[v].errors, 0)])),
    "0",
    0,
  );
}

/** The errors of row 8, summed over rounds and variants (the run fails when not 0). */
export const scaleErrors = (scale) =>
  scale.rounds.reduce((a, r) => a + Object.values(r.many).reduce((b, m) => b + m.errors, 0), 0);

/** The "How each row is measured" paragraphs for rows 7 and 8, from the figures measured. */
export function scaleNotes(scale, median, VARIANTS) {
  const cfg = scale.config;
  const fanNs = [...new Set(scale.rounds.flatMap((r) => Object.keys(r.fan).map(Number)))].sort((a, b) => a - b);
  const med = (n, v, pick) => median(scale.rounds.map((r) => (r.fan[n]?.[v] ? pick(r.fan[n][v]) : NaN)));
  const f0 = (x) => (Number.isFinite(x) ? x.toFixed(0) : "—");
  const notes = [];
  notes.push(
    `Row 7: ${scale.rounds.length} round(s) (fewer than the other rows, to keep the wall time down; ` +
      `BENCH_SCALE_ROUNDS), N = ${cfg.ns.join(", ")}, variants interleaved as above. Per variant and N: N fresh ` +
      `Durable Objects named <tag>-instance-<k> (getRandom's names) are created by a control request, then all N ` +
      `get GET / at once; timed until the last one answered. "Until Docker started the last app container" is ` +
      `the \`docker events\` start time of the last app container minus the moment the requests were sent. ` +
      `Counted from \`docker events --filter type=container --filter event=start\`: the run's containers whose ` +
      `name carries the variant's class and does not end in "-proxy" (workerd starts one networking sidecar, ` +
      `"<name>-proxy", per instance as well; those are left out; the run throws unless the count is N). Then ` +
      `${cfg.spreadRequests} warm GETs, ${cfg.spreadConcurrency} in flight, each to one of the N instances ` +
      `picked with Math.random() as getRandom(binding, N) does. RSS per extra instance = (workerd RSS 1.5 s ` +
      `after all N answered, before those GETs − RSS before the Durable Objects were created) / N (memory ` +
      `workerd already grew to earlier is reused, so small or negative values mean "within noise"). Then ` +
      `every instance is destroyed and the bench waits until ` +
      `Docker shows none of their containers running (a control request resets each Durable Object after ` +
      `destroy(), because workerd removes the networking sidecar only when the object goes away). Alarms and ` +
      `storage writes: after the rounds, once, at the largest N, N fresh instances per variant at once (all ` +
      `three variants together, as in row 5), ${cfg.busyPerInstanceRps} GET/s per instance for ` +
      `${cfg.seconds / 2} s, then none for ${cfg.seconds / 2} s (BENCH_SCALE_SECONDS = ${cfg.seconds}); per ` +
      `instance per minute = the N instances' sum / N / the phase's minutes. Writes = ctx.storage ` +
      `put, delete, setAlarm, deleteAlarm, storage.kv put/delete and sql.exec statements that write (INSERT, ` +
      `UPDATE, DELETE, REPLACE, CREATE, DROP, ALTER; not miniflare's own __miniflare_do_name row, ` +
      `which it writes once per object in dev), counted by wrappers set in the constructor (so the ` +
      `constructors' own table creation is not counted).`,
  );
  if (scale.stopped) {
    notes.push(
      `Row 7 stops below N = ${scale.stopped.n}: in round ${scale.stopped.round + 1}, ${scale.stopped.variant}: ` +
        `${scale.stopped.reason}.`,
    );
  }
  const top = fanNs[fanNs.length - 1];
  if (top !== undefined && fanNs.length > 0) {
    const parts = [];
    const one = fanNs[0];
    for (const v of VARIANTS) {
      const all = med(top, v, (f) => f.allMs);
      const last = med(top, v, (f) => f.lastAppStartMs);
      parts.push(
        `${v} ${f0(all)} ms (Docker's last app-container start at ${f0(last)} ms, ` +
          `${f0((100 * last) / all)}% of it; N=${one}: ${f0(med(one, v, (f) => f.allMs))} ms)`,
      );
    }
    const busy = median(VARIANTS.map((v) => med(top, v, (f) => f.machineBusy)));
    const wcpu = median(VARIANTS.map((v) => med(top, v, (f) => f.workerdCpuS)));
    const dcpu = median(VARIANTS.map((v) => med(top, v, (f) => f.dockerCpuS)));
    const extra = (v) => med(top, v, (f) => f.allMs) - med(top, "direct", (f) => f.allMs);
    notes.push(
      `Where the cost comes from (measured): at N = ${top} all answered after ${parts.join("; ")}. During the ` +
        `N = ${top} fan-outs the machine's ${os.cpus().length} cores were ${f0(busy * 100)}% busy (median), ` +
        `workerd used ` +
        `${wcpu.toFixed(1)} CPU-s and dockerd + containerd ${dcpu.toFixed(1)} CPU-s (the container processes, ` +
        `the containerd-shim and runc helpers and the kernel's work come on top). ` +
        `Ours − direct at N = ${top}: ${f0(extra("ours"))} ms; ` +
        `original − direct: ${f0(extra("original"))} ms.`,
    );
  }
  notes.push(
    `Row 8: one warm instance per variant (started before the rounds), ${cfg.clients} clients at once on ` +
      `${cfg.clients} keep-alive connections, each sending ${cfg.requestsPerClient} GET / one after another; ` +
      `latency is request start to end of body; an error is any answer other than 200 or a failed request ` +
      `(summed over rounds; the run exits non-zero unless 0).`,
  );
  return notes;
}
