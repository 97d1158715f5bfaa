// Cron / scheduled jobs. A cron trigger (wrangler.jsonc `triggers`) calls
// `scheduled`, which asks the job container's Durable Object to queue a run
// with schedule(). The schedule callback starts the container, runs the job
// over HTTP and records the result; with no more requests the container goes
// to sleep after `sleepAfter`.
//   GET  /runs   the recorded runs, newest last
//   GET  /state  the container's state (healthy after a run, stopped once asleep)
//   POST /run    queue a run now (same path as the cron trigger)
import { Container, getContainer, type Schedule } from "workerd-containers";

interface Env {
  JOBS: DurableObjectNamespace<JobContainer>;
}

interface JobRequest {
  trigger: string;
  queuedAt: string;
}

const RUNS_KEY = "runs";

export class JobContainer extends Container<Env> {
  override defaultPort = 8080;
  override sleepAfter = "10s"; // sleep soon after the job: a batch container costs while it runs

  /** Queues one run, a second from now (schedules survive restarts of the object). */
  async enqueue(trigger: string): Promise<Schedule<JobRequest>> {
    return this.schedule<JobRequest>(1, "runJob", { trigger, queuedAt: new Date().toISOString() });
  }

  /** The schedule callback: start the container, run the job, keep the result. */
  async runJob(job: JobRequest): Promise<void> {
    await this.startAndWaitForPorts();
    const res = await this.containerFetch("/job", { method: "POST", body: JSON.stringify(job) });
    const result = { ...job, status: res.status, output: await res.json(), finishedAt: new Date().toISOString() };
    console.log(`[cron-jobs] run finished: ${JSON.stringify(result)}`);
    const runs = (await this.ctx.storage.get<unknown[]>(RUNS_KEY)) ?? [];
    await this.ctx.storage.put(RUNS_KEY, [...runs, result].slice(-20));
  }

  async runs(): Promise<unknown[]> {
    return (await this.ctx.storage.get<unknown[]>(RUNS_KEY)) ?? [];
  }
}

const jobs = (env: Env) => getContainer(env.JOBS, "nightly-report");

export default {
  async scheduled(controller: ScheduledController, env: Env, ctx: ExecutionContext): Promise<void> {
    ctx.waitUntil(jobs(env).enqueue(`cron ${controller.cron}`));
  },

  async fetch(request: Request, env: Env): Promise<Response> {
    const { pathname } = new URL(request.url);
    if (pathname === "/runs") return Response.json(await jobs(env).runs());
    if (pathname === "/state") return Response.json(await jobs(env).getState());
    if (pathname === "/run" && request.method === "POST") return Response.json(await jobs(env).enqueue("manual"));
    return new Response("GET /runs, GET /state, POST /run\n", { status: 404 });
  },
};
