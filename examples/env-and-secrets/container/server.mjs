// Shows the configuration this container was started with. The secret is
// never echoed: only whether it is set and a short fingerprint of it.
import { createHash } from "node:crypto";
import http from "node:http";

const env = process.env;
const fingerprint = (value) => createHash("sha256").update(value).digest("hex").slice(0, 12);

const server = http.createServer((_req, res) => {
  res.writeHead(200, { "content-type": "application/json" });
  res.end(
    JSON.stringify({
      tenant: env.TENANT ?? null,
      region: env.REGION ?? null,
      mode: env.APP_MODE ?? null,
      logLevel: env.LOG_LEVEL ?? null,
      apiToken: env.API_TOKEN ? { set: true, sha256: fingerprint(env.API_TOKEN) } : { set: false },
    }),
  );
});
server.listen(8080, () => console.log(`tenant ${env.TENANT} listening on 8080`));

process.on("SIGTERM", () => process.exit(0));
process.on("SIGINT", () => process.exit(0));
