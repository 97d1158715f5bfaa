// The backend: a JSON API on port 8080 keeping a todo list in memory
// (it lives as long as the container; a real app would use a database).
import http from "node:http";

const todos = [{ id: 1, title: "read the examples" }];

function send(res, status, value) {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(value));
}

const server = http.createServer(async (req, res) => {
  if (req.url === "/api/todos" && req.method === "GET") return send(res, 200, todos);
  if (req.url === "/api/todos" && req.method === "POST") {
    let body = "";
    for await (const chunk of req) body += chunk;
    const { title } = JSON.parse(body || "{}");
    if (typeof title !== "string" || !title) return send(res, 400, { error: "title is required" });
    const todo = { id: todos.length + 1, title };
    todos.push(todo);
    return send(res, 201, todo);
  }
  if (req.url === "/api/health") return send(res, 200, { ok: true, uptime: process.uptime() });
  send(res, 404, { error: `no route ${req.method} ${req.url}` });
});
server.listen(8080, () => console.log("API listening on 8080"));

process.on("SIGTERM", () => process.exit(0));
process.on("SIGINT", () => process.exit(0));
