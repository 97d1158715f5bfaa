// A server whose exits can be watched: POST /crash makes it exit with code 3.
import http from "node:http";

const server = http.createServer((req, res) => {
  if (req.url === "/crash" && req.method === "POST") {
    res.end("exiting with code 3\n");
    setTimeout(() => process.exit(3), 100);
    return;
  }
  res.end(`container up for ${process.uptime().toFixed(1)} s\n`);
});
server.listen(8080, () => console.log("listening on 8080"));

process.on("SIGTERM", () => process.exit(0));
process.on("SIGINT", () => process.exit(0));
