// Runs the README's test command the way CI would, several times over, on a
// machine made slow on purpose: a fresh clone of the committed HEAD, `npm ci`
// in it, then `npm test` N times while one busy-loop process per core keeps
// every core busy, and once more without that load. A test that measures time
// from its own clock instead of the library's events, or that assumes a fast
// machine, fails here long before it fails in CI.
//
//   npm run test:stress-ci                      3 loaded runs + 1 plain run
//   npm run test:stress-ci -- --loaded 1 --plain 0
//   npm run test:stress-ci -- --keep            keep the clone (path printed)
//
// Each run's output goes to <clone>/stress-<n>.log; progress and the last
// lines of each run are printed as it goes, a table at the end, and the same
// table is written to coverage/stress-ci.md here. Exit code 0 only if every run passed.
import { spawn, spawnSync } from "node:child_process";
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";

const option = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : Number(process.argv[i + 1]);
};
const loadedRuns = option("loaded", 3);
const plainRuns = option("plain", 1);
const keep = process.argv.includes("--keep");
// The hog ends by itself after this long, even if this script is killed.
const HOG_LIMIT_MS = 60 * 60_000;

const log = (line) => console.log(`[stress-ci ${new Date().toISOString().slice(11, 19)}] ${line}`);
const here = process.cwd();
const clone = mkdtempSync(join(tmpdir(), "workerd-containers-stress-"));

function step(what, command, args, cwd) {
  log(what);
  const result = spawnSync(command, args, { cwd, stdio: "inherit" });
  if (result.status !== 0) {
    log(`${what} failed (exit ${result.status ?? result.signal}); clone left at ${clone}`);
    process.exit(1);
  }
}

/** One busy-loop Node process per core; returns a function that stops them by PID. */
function startHog() {
  const cores = availableParallelism();
  const hogs = [];
  for (let i = 0; i < cores; i++) {
    const child = spawn(
      process.execPath,
      ["-e", `const end = Date.now() + ${HOG_LIMIT_MS}; while (Date.now() < end) {}`],
      {
        stdio: "ignore",
      },
    );
    hogs.push(child);
  }
  log(`CPU hog: ${cores} busy-loop processes (PIDs ${hogs.map((h) => h.pid).join(", ")})`);
  return () => {
    for (const hog of hogs) {
      try {
        process.kill(hog.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  };
}

/** Runs `npm test` in the clone; resolves with its exit code, duration and closing lines. */
function npmTest(n, loaded) {
  const file = join(clone, `stress-${n}.log`);
  const out = createWriteStream(file);
  const started = Date.now();
  const stopHog = loaded ? startHog() : () => {};
  log(`run ${n}: npm test ${loaded ? "with every core busy" : "without load"} (log: ${file})`);
  return new Promise((resolve) => {
    const child = spawn("npm", ["test"], { cwd: clone, stdio: ["ignore", "pipe", "pipe"] });
    let lastReport = started;
    const summaries = [];
    const onData = (chunk) => {
      out.write(chunk);
      // Each suite's closing line ("unit: 612 passed, 0 failed (…)"), as it comes.
      for (const line of chunk.toString().split("\n")) {
        // biome-ignore lint/suspicious/noControlCharactersInRegex: strips the ANSI colour codes vitest prints
        const plain = line.replace(/\x1b\[[0-9;]*m/g, "");
        if (/^[a-z-]+: \d+ passed, \d+ failed/.test(plain)) {
          summaries.push(plain);
          log(`run ${n}: ${plain}`);
        }
      }
      if (Date.now() - lastReport > 60_000) {
        lastReport = Date.now();
        log(`run ${n}: still running (${Math.round((Date.now() - started) / 1000)} s)`);
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("close", (code) => {
      stopHog();
      out.end();
      const seconds = Math.round((Date.now() - started) / 1000);
      const total = spawnSync(process.execPath, ["scripts/ci-summary.mjs"], {
        cwd: clone,
        encoding: "utf8",
      }).stdout.trim();
      log(`run ${n}: exit ${code} after ${seconds} s; ${total}`);
      resolve({ n, loaded, code, seconds, total, summaries, file });
    });
  });
}

log(
  `fresh clone of ${here} (HEAD ` +
    `${spawnSync("git", ["rev-parse", "--short", "HEAD"], { encoding: "utf8" }).stdout.trim()}) in ${clone}`,
);
step("git clone", "git", ["clone", "--quiet", here, clone]);
step("npm ci", "npm", ["ci", "--no-audit", "--no-fund"], clone);

const results = [];
let n = 0;
for (let i = 0; i < loadedRuns; i++) results.push(await npmTest(++n, true));
for (let i = 0; i < plainRuns; i++) results.push(await npmTest(++n, false));

const table = [
  `# npm test under load (scripts/stress-ci.mjs)`,
  ``,
  `${new Date().toISOString()}, commit ` +
    `${spawnSync("git", ["rev-parse", "--short", "HEAD"], { cwd: clone, encoding: "utf8" }).stdout.trim()}, ` +
    `${availableParallelism()} cores`,
  ``,
  `| run | load | exit | time | result |`,
  `|---|---|---|---|---|`,
  ...results.map(
    (r) => `| ${r.n} | ${r.loaded ? "every core busy" : "none"} | ${r.code} | ${r.seconds} s | ${r.total} |`,
  ),
  ``,
  ...results.flatMap((r) => [`run ${r.n}:`, ...r.summaries.map((s) => `- ${s}`), ``]),
].join("\n");
console.log(`\n${table}`);
mkdirSync(join(here, "coverage"), { recursive: true });
writeFileSync(join(here, "coverage", "stress-ci.md"), `${table}\n`);

const failed = results.filter((r) => r.code !== 0);
for (const r of failed) {
  log(`run ${r.n} failed; its last lines:`);
  console.log(readFileSync(r.file, "utf8").split("\n").slice(-40).join("\n"));
}
if (keep || failed.length) log(`clone kept at ${clone}`);
else rmSync(clone, { recursive: true, force: true });
const passed = results.length - failed.length;
console.log(`stress-ci: ${passed} passed, ${failed.length} failed`);
process.exit(failed.length ? 1 : 0);
