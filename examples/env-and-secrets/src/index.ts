// Environment variables and secrets, per instance. Every container gets the
// class's `envVars`; each tenant's container is started with start options
// that add its own TENANT and the API_TOKEN secret (a Worker secret: from
// .dev.vars under `wrangler dev`, from `wrangler secret put API_TOKEN` when deployed).
import { Container, getContainer } from "workerd-containers";

interface Env {
  TENANTS: DurableObjectNamespace<TenantContainer>;
  API_TOKEN: string; // secret
  REGION: string; // plain var from wrangler.jsonc
}

export class TenantContainer extends Container<Env> {
  override defaultPort = 8080;
  override sleepAfter = "2m";
  // The same for every instance.
  override envVars: Record<string, string> = { APP_MODE: "example", LOG_LEVEL: "info" };

  /** Starts this tenant's container (if it is not running) with its own variables. */
  async startForTenant(tenant: string): Promise<void> {
    const { status } = await this.getState();
    if (status === "running" || status === "healthy") return;
    await this.startAndWaitForPorts({
      startOptions: {
        // Start options replace the class's envVars: merge them in.
        envVars: { ...this.envVars, TENANT: tenant, REGION: this.env.REGION, API_TOKEN: this.env.API_TOKEN },
      },
    });
  }
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    // /tenant/<name>/<path>: the container of tenant <name>.
    const [, prefix, tenant] = new URL(request.url).pathname.split("/");
    if (prefix !== "tenant" || !tenant || !/^[a-z0-9-]{1,32}$/.test(tenant)) {
      return new Response("try /tenant/acme/config\n", { status: 404 });
    }
    const stub = getContainer(env.TENANTS, tenant);
    await stub.startForTenant(tenant);
    return stub.fetch(request);
  },
};
