// A stateless worker process: does a little work and says which instance answered.
import { createHash, randomUUID } from "node:crypto";
import http from "node:http";

const INSTANCE = randomUUID().slice(0, 8); // new for every container start
let served = 0;

const server = http.createServer((req, res) => {
  served++;
  const url = new URL(req.url, "http://container");
  const input = url.searchParams.get("text") ?? "hello";
  res.writeHead(200, { "content-type": "application/json" });
  res.end(JSON.stringify({ instance: INSTANCE, served, sha256: createHash("sha256").update(input).digest("hex") }));
});
server.listen(8080, () => console.log(`instance ${INSTANCE} listening on 8080`));

process.on("SIGTERM", () => process.exit(0));
process.on("SIGINT", () => process.exit(0));
