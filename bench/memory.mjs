// `npm run bench:memory`: how workerd's memory grows under steady traffic,
// through this package, through the original @cloudflare/containers 0.3.7,
// and through "direct" (no library), each in a fresh `wrangler dev` of the
// benchmark Worker (bench/worker) with real Docker.
//
// Each variant: warm 4 instances, then ROUNDS rounds of REQUESTS small GETs
// (6 concurrent loops), sampling workerd's RSS after each round. What the
// library adds is the difference to "direct": local workerd's own RSS grows
// for the first ~10,000 requests and then levels off, with or without a
// library. Writes coverage/bench/memory.md and memory.json; with
// --update-results (`npm run results:memory`) the committed
// bench/results/memory.md and memory.json instead.
//
// Env: MEMORY_ROUNDS (default 6), MEMORY_REQUESTS (per round, default 3000).
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildFixtureImages } from "../fixtures/build-images.mjs";
import { freePort, ROOT, startWranglerDev, waitUntilUp } from "../scripts/lib/devserver.mjs";
import { rssBytes, workerdPids } from "../scripts/lib/proc.mjs";

const ROUNDS = Number(process.env.MEMORY_ROUNDS ?? 6);
const REQUESTS = Number(process.env.MEMORY_REQUESTS ?? 3000);
const LOOPS = 6;
const INSTANCES = 4;
const VARIANTS = ["direct", "ours", "original"];
const LABEL = { ours: "workerd-containers", original: "@cloudflare/containers 0.3.7", direct: "direct (no library)" };
const started = Date.now();
const say = (line) => console.log(`[bench:memory ${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}`);
const mib = (bytes) => bytes / 1024 / 1024;

say("building fixture images");
buildFixtureImages(say);

const results = {};
for (const variant of VARIANTS) {
  const port = await freePort();
  const logFile = join(ROOT, `coverage/bench-memory-${variant}.log`);
  say(`${LABEL[variant]}: starting wrangler dev (log: ${logFile})`);
  const server = await startWranglerDev({
    config: join(ROOT, "bench/wrangler.jsonc"),
    runName: `wc-memory-${variant}`,
    port,
    logFile,
    cwd: ROOT,
  });
  try {
    await waitUntilUp(server.baseUrl, server.child, logFile, 180_000, "/");
    const pids = workerdPids(server.child.pid);
    say(`${LABEL[variant]}: warming ${INSTANCES} instances`);
    for (let i = 0; i < INSTANCES; i++) await (await fetch(`${server.baseUrl}/${variant}/m${i}/echo`)).text();
    const rss = [mib(rssBytes(pids))];
    for (let round = 1; round <= ROUNDS; round++) {
      let sent = 0;
      let failed = 0;
      await Promise.all(
        Array.from({ length: LOOPS }, async (_, loop) => {
          for (let i = 0; sent < REQUESTS; i++) {
            sent++;
            const res = await fetch(`${server.baseUrl}/${variant}/m${(loop + i) % INSTANCES}/echo?i=${i}`);
            if (res.status !== 200) failed++;
            await res.arrayBuffer();
          }
        }),
      );
      rss.push(mib(rssBytes(pids)));
      say(
        `${LABEL[variant]}: round ${round}/${ROUNDS}: ${REQUESTS} requests (${failed} failed), workerd RSS ` +
          `${rss.at(-1).toFixed(0)} MiB`,
      );
      if (failed > 0) throw new Error(`${failed} requests failed`);
    }
    results[variant] = rss;
  } finally {
    await server.stop();
  }
}

const header = [
  "Variant",
  "warm",
  ...Array.from({ length: ROUNDS }, (_, i) => `after ${((i + 1) * REQUESTS) / 1000}k`),
  "last round",
];
const rows = VARIANTS.map((v) => {
  const rss = results[v];
  return [LABEL[v], ...rss.map((x) => x.toFixed(0)), `${(rss.at(-1) - rss.at(-2)).toFixed(0)}`];
});
const md = [
  "# workerd memory under steady traffic",
  "",
  `${new Date().toISOString().slice(0, 10)}; ${ROUNDS} rounds of ${REQUESTS} GETs (6 concurrent loops, ` +
    `${INSTANCES} instances) per variant, each in its own \`wrangler dev\`; workerd RSS in MiB after each round ` +
    `(\`npm run bench:memory\`).`,
  "",
  `| ${header.join(" | ")} |`,
  `|${header.map((_, i) => (i === 0 ? "---" : "---:")).join("|")}|`,
  ...rows.map((r) => `| ${r.join(" | ")} |`),
  "",
  'Read across a row: local workerd\'s RSS climbs for the first rounds whatever runs in it (see "direct") and ' +
    "then levels off; a library that leaked would keep climbing where direct has stopped.",
  "",
].join("\n");
// A run writes into the untracked coverage/; the committed figures change when asked for.
const out = process.argv.includes("--update-results") ? "bench/results" : "coverage/bench";
mkdirSync(join(ROOT, out), { recursive: true });
writeFileSync(join(ROOT, out, "memory.md"), md);
writeFileSync(
  join(ROOT, out, "memory.json"),
  `${JSON.stringify(
    { date: new Date().toISOString(), rounds: ROUNDS, requests: REQUESTS, rssMiB: results },
    null,
    2,
  )}\n`,
);
say(`written ${out}/memory.md and memory.json`);
console.log(md);
