// examples/env-and-secrets: class envVars + per-instance start options + a secret.
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { useExample } from "./example";

const example = useExample("env-and-secrets");
// The value in examples/env-and-secrets/.dev.vars.
const secretHash = createHash("sha256").update("dev-token-not-a-real-secret").digest("hex").slice(0, 12);

describe("examples/env-and-secrets", () => {
  it("each tenant's container has its own TENANT, the shared envVars, the var and the secret", async () => {
    const [acme, globex] = await Promise.all(
      ["acme", "globex"].map(async (tenant) => (await fetch(example.url(`/tenant/${tenant}/config`))).json()),
    );
    for (const [config, tenant] of [
      [acme, "acme"],
      [globex, "globex"],
    ] as const) {
      expect(config).toEqual({
        tenant,
        region: "eu-local",
        mode: "example",
        logLevel: "info",
        apiToken: { set: true, sha256: secretHash },
      });
    }
  });

  it("a second request reuses the running container", async () => {
    const again = await (await fetch(example.url("/tenant/acme/config"))).json();
    expect(again).toMatchObject({ tenant: "acme" });
    const bad = await fetch(example.url("/other"));
    expect(bad.status).toBe(404);
    await bad.body?.cancel();
  });
});
