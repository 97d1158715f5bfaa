// The container's program: answers JSON about the request and itself.
import http from "node:http";
import os from "node:os";

http
  .createServer((req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ greeting: process.env.GREETING, path: req.url, hostname: os.hostname() }));
  })
  .listen(8080, () => console.log("listening on 8080"));

// PID 1 gets no default signal handling: exit on SIGTERM so that stop() works.
process.on("SIGTERM", () => process.exit(0));
process.on("SIGINT", () => process.exit(0));
