// The front door: `npm run demo` (examples/hello) or `npm run example -- <name>`.
// Prepares Docker (scripts/setup-docker.sh), builds the local base image
// (fixtures/build-images.mjs), starts `wrangler dev` on the example (which
// builds the example's image), sends a first request, which starts the
// container, prints the reply and the URL, and keeps serving until Ctrl-C.
// On Ctrl-C / SIGTERM it stops wrangler by PID and removes its containers.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { buildFixtureImages } from "../fixtures/build-images.mjs";
import { freePort, portIsFree, ROOT, startWranglerDev } from "./lib/devserver.mjs";
import { dockerPs } from "./lib/docker.mjs";

// What to send first for each example, and wrangler flags it needs.
const EXAMPLES = {
  hello: { path: "/" },
  "static-frontend": { path: "/api/todos", tryPath: "/" },
  "load-balancing": { path: "/?text=hello" },
  "env-and-secrets": { path: "/tenant/acme/config", tryPath: "/tenant/<name>/config" },
  "status-hooks": { path: "/", tryPath: "/state, /events" },
  // Fires the cron trigger, then shows the run the schedule() callback recorded.
  "cron-jobs": {
    path: "/__scheduled?cron=0+3+*+*+*",
    args: ["--test-scheduled"],
    followUp: "/runs",
    tryPath: "/runs, /state",
  },
  // Opens a WebSocket, sends one message and prints what came back.
  websocket: { path: "/ws", socket: true, tryPath: "/ (a page that opens a WebSocket)" },
  outbound: { path: "/forecast?city=Paris" },
  "drop-in": { path: "/container/demo" },
};

const name = process.argv[2] ?? "hello";
const example = EXAMPLES[name];
if (!example || !existsSync(join(ROOT, "examples", name, "wrangler.jsonc"))) {
  console.error(`unknown example "${name}"; one of: ${Object.keys(EXAMPLES).join(", ")}`);
  process.exit(2);
}

const t0 = Date.now();
const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(1)} s`;
const say = (line) => console.log(`[demo ${elapsed()}] ${line}`);

say("1/4 Docker: scripts/setup-docker.sh (installs and starts it when needed)");
if (spawnSync("bash", [join(ROOT, "scripts/setup-docker.sh")], { stdio: "inherit" }).status !== 0) {
  say("Docker is not available; the message above says what to do.");
  process.exit(1);
}

say("2/4 base image: Node 22 from node_modules, no registry (fixtures/build-images.mjs)");
buildFixtureImages((line) => say(`  ${line}`));

const port = (await portIsFree(8787)) ? 8787 : await freePort();
const runName = `${name}-demo-${crypto.randomUUID().slice(0, 6)}`;
const logFile = join(ROOT, ".wrangler", `demo-${name}.log`);
say(`3/4 wrangler dev examples/${name} on port ${port}: builds the example's image (log: ${logFile})`);
const server = await startWranglerDev({
  config: join(ROOT, "examples", name, "wrangler.jsonc"),
  runName,
  port,
  logFile,
  log: (line) => say(`  ${line}`),
  args: example.args ?? [],
});

let stopping = false;
async function shutdown(code) {
  if (stopping) return;
  stopping = true;
  say("stopping wrangler and removing the example's containers");
  await server.stop();
  process.exit(code);
}
process.on("SIGINT", () => shutdown(0));
process.on("SIGTERM", () => shutdown(0));
server.child.once("exit", (code) => {
  if (!stopping) {
    say(`wrangler dev exited (${code}); see ${logFile}`);
    process.exit(1);
  }
});

try {
  await server.ready;
} catch (error) {
  say(error.message);
  await shutdown(1);
}

// While the first request waits, report what Docker does with the container.
const dockerStates = () => {
  try {
    return dockerPs(runName, { all: true });
  } catch {
    return [];
  }
};
const seen = new Set();
const watcher = setInterval(() => {
  for (const { name, state, sidecar } of dockerStates()) {
    if (seen.has(`${name} ${state}`)) continue;
    seen.add(`${name} ${state}`);
    const role = sidecar ? "networking sidecar" : "container";
    // workerd-<session>-<worker>-<class>-<64 hex id>[-proxy]: shorten the id.
    say(`  ${role} ${state}: ${name.replace(/-([0-9a-f]{12})[0-9a-f]{52}/, "-$1…")}`);
  }
}, 200);

/** Opens a WebSocket to `url`, sends "hello", resolves with the first two messages. */
function talk(url) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const seen = [];
    ws.addEventListener("open", () => ws.send("hello"));
    ws.addEventListener("message", (event) => {
      seen.push(`< ${event.data}`);
      if (seen.length === 2) {
        ws.close();
        resolve(seen.join("\n  "));
      }
    });
    ws.addEventListener("error", () => reject(new Error("WebSocket failed")));
  });
}

const url = `${server.baseUrl}${example.path}`.replace(/^http/, example.socket ? "ws" : "http");
say(
  `4/4 first request: ${example.socket ? "WebSocket to" : "GET"} ${url} (starts the container, then waits for ` +
    `its port)`,
);
const sent = Date.now();
let reply;
try {
  if (example.socket) reply = await talk(url);
  else {
    const res = await fetch(url);
    reply = `${res.status} ${(await res.text()).trim().slice(0, 600)}`;
  }
} catch (error) {
  reply = `request failed: ${error.message}`;
}
say(`  reply after ${((Date.now() - sent) / 1000).toFixed(1)} s:`);
console.log(`\n  ${reply}\n`);
if (example.followUp) {
  // The work happens in the background: poll until it shows up (20 s at most).
  say(`  waiting for GET ${example.followUp} to show the result`);
  for (let i = 0; i < 40; i++) {
    const body = (await (await fetch(`${server.baseUrl}${example.followUp}`)).text()).trim();
    if (body !== "[]" || i === 39) {
      console.log(`\n  ${body.slice(-600)}\n`);
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
clearInterval(watcher);
say(`ready in ${elapsed()}. Try it: ${server.baseUrl}${example.tryPath ?? example.path}`);
say("serving until Ctrl-C");
