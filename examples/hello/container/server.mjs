// The container's program: a plain Node HTTP server on port 8080.
import http from "node:http";
import os from "node:os";

const server = http.createServer((req, res) => {
  res.writeHead(200, { "content-type": "text/plain" });
  res.end(
    `Hello from the container! You asked for ${req.method} ${req.url} (container ${os.hostname()}, up ` +
      `${process.uptime().toFixed(1)} s)\n`,
  );
});
server.listen(8080, () => console.log("listening on 8080"));

// As PID 1 the process gets no default signal handling: exit on SIGTERM so stop() works.
process.on("SIGTERM", () => process.exit(0));
process.on("SIGINT", () => process.exit(0));
