// The batch job: POST /job does some work (here: sums a few numbers) and
// answers with its result. The container stays idle afterwards until the
// Worker lets it sleep.
import http from "node:http";

let jobsDone = 0;

const server = http.createServer(async (req, res) => {
  if (req.url !== "/job" || req.method !== "POST") {
    res.writeHead(404).end();
    return;
  }
  let body = "";
  for await (const chunk of req) body += chunk;
  const job = JSON.parse(body || "{}");
  const started = Date.now();
  let total = 0;
  for (let i = 1; i <= 1_000_000; i++) total += i; // the "work"
  jobsDone++;
  console.log(`job for ${job.trigger} done`);
  res.writeHead(200, { "content-type": "application/json" });
  res.end(JSON.stringify({ total, jobsDone, ms: Date.now() - started }));
});
server.listen(8080, () => console.log("job runner listening on 8080"));

process.on("SIGTERM", () => process.exit(0));
process.on("SIGINT", () => process.exit(0));
