// The app: calls the weather API with no credential of its own; the Worker
// adds it on the way out. Honours http_proxy for its outbound requests.
import http from "node:http";

/** GET `target`, through $http_proxy when it is set. */
function get(target) {
  const url = new URL(target);
  const proxy = process.env.http_proxy ? new URL(process.env.http_proxy) : null;
  const options = proxy
    ? { host: proxy.hostname, port: proxy.port, path: url.href, headers: { host: url.host } }
    : { host: url.hostname, port: url.port || 80, path: url.pathname + url.search };
  return new Promise((resolve, reject) => {
    http
      .get(options, (res) => {
        let body = "";
        res.on("data", (chunk) => (body += chunk));
        res.on("end", () => resolve({ status: res.statusCode, body }));
      })
      .on("error", reject);
  });
}

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, "http://app");
  let target;
  if (url.pathname === "/forecast") {
    target = `http://api.weather.example/v1/forecast?city=${encodeURIComponent(
      url.searchParams.get("city") ?? "Paris",
    )}`;
  } else if (url.pathname === "/fetch" && url.searchParams.get("url")) {
    target = url.searchParams.get("url");
  } else {
    res.writeHead(404).end("try /forecast?city=Paris or /fetch?url=http://example.com/\n");
    return;
  }
  try {
    const upstream = await get(target);
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ asked: target, upstreamStatus: upstream.status, upstreamBody: upstream.body }));
  } catch (error) {
    res.writeHead(502).end(String(error));
  }
});
server.listen(8080, () => console.log("app listening on 8080"));

process.on("SIGTERM", () => process.exit(0));
process.on("SIGINT", () => process.exit(0));
