// The container: answers with the path, its MESSAGE and an id for this process.
import { randomUUID } from "node:crypto";
import http from "node:http";

const INSTANCE = randomUUID().slice(0, 8);
http
  .createServer((req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ path: req.url, message: process.env.MESSAGE ?? null, instance: INSTANCE }));
  })
  .listen(8080, () => console.log("listening on 8080"));

process.on("SIGTERM", () => process.exit(0));
process.on("SIGINT", () => process.exit(0));
