// Hostile input at every public entry, on the fake
// runtime inside workerd: each bad value gets an error that names what was
// wrong and what is accepted, and nothing is lost — the running container,
// its state, a pending schedule and a request in flight all carry on.
import { env, runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { switchPort } from "../../../src";
import { MAX_SCHEDULE_PAYLOAD_BYTES } from "../../../src/schedules";
import { fakeOf, fresh, hooks, inObject } from "../../unit/harness";

/** What an attempt came to: "accepted", "<status> <body>" for an error response, or the error's message. */
async function outcome(attempt: () => unknown): Promise<string> {
  try {
    const result = await attempt();
    if (result instanceof Response && result.status >= 400) return `${result.status} ${await result.text()}`;
    return "accepted";
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

const routed = (value: string) => new Request("http://x/", { headers: { "cf-container-target-port": value } });
const ACCEPTED_PORTS = /Expected an integer from 1 to 65535/;
const ACCEPTED_DURATIONS = /Expected a non-negative number of seconds, or a string like "30s"/;

// [entry, attempt made inside the object, what the error must say]
type Case = [string, (o: any) => unknown, RegExp];
const HOSTILE_CASES: Case[] = [
  // Ports
  [
    "startAndWaitForPorts({ ports: [0] })",
    (o) => o.startAndWaitForPorts({ ports: [0] }),
    /Invalid port: 0\. .*1 to 65535/,
  ],
  ["startAndWaitForPorts(65536)", (o) => o.startAndWaitForPorts(65536), /Invalid port: 65536\./],
  ['startAndWaitForPorts("8080")', (o) => o.startAndWaitForPorts("8080"), /Invalid port: "8080"\./],
  ["startAndWaitForPorts([80.5])", (o) => o.startAndWaitForPorts([80.5]), /Invalid port: 80\.5\./],
  ["waitForPort({ portToCheck: -1 })", (o) => o.waitForPort({ portToCheck: -1 }), /Invalid portToCheck: -1\./],
  ["containerFetch(url, {}, 70000)", (o) => o.containerFetch("http://x/", {}, 70000), ACCEPTED_PORTS],
  [
    "containerFetch(request, NaN)",
    (o) => o.containerFetch(new Request("http://x/"), Number.NaN),
    /Invalid port: NaN\./,
  ],
  ["switchPort(request, 0)", () => switchPort(new Request("http://x/"), 0), /Invalid port: 0\./],
  // The routing header, as a client could send it
  [
    "header cf-container-target-port: abc",
    (o) => o.fetch(routed("abc")),
    /^400 Invalid cf-container-target-port header: "abc"\. .*1 to 65535/,
  ],
  [
    "header cf-container-target-port: 80abc",
    (o) => o.fetch(routed("80abc")),
    /^400 Invalid cf-container-target-port header: "80abc"/,
  ],
  ["header cf-container-target-port: 0x50", (o) => o.fetch(routed("0x50")), /^400 Invalid .*"0x50"/],
  ["header cf-container-target-port: 8e3", (o) => o.fetch(routed("8e3")), /^400 Invalid .*"8e3"/],
  ["header cf-container-target-port: -1", (o) => o.fetch(routed("-1")), /^400 Invalid .*"-1"/],
  ["header cf-container-target-port: 99999", (o) => o.fetch(routed("99999")), /^400 Invalid .*"99999"/],
  ["header cf-container-target-port: (empty)", (o) => o.fetch(routed("")), /^400 Invalid .*""/],
  [
    "two cf-container-target-port headers (8080, 9090)",
    (o) => {
      const headers = new Headers();
      headers.append("cf-container-target-port", "8080");
      headers.append("cf-container-target-port", "9090");
      return o.fetch(new Request("http://x/", { headers }));
    },
    /^400 Invalid .*"8080, 9090"/,
  ],
  ["fetchIfRunning with header: 1e3", (o) => o.fetchIfRunning(routed("1e3")), /^400 Invalid .*"1e3"/],
  // Durations
  [
    'sleepAfter = "10 minutes"',
    (o) => {
      o.sleepAfter = "10 minutes";
      o.renewActivityTimeout();
    },
    ACCEPTED_DURATIONS,
  ],
  [
    'sleepAfter = "1h1h"',
    (o) => {
      o.sleepAfter = "1h1h";
      o.renewActivityTimeout();
    },
    /Invalid sleepAfter: "1h1h"/,
  ],
  [
    "sleepAfter = -5",
    (o) => {
      o.sleepAfter = -5;
      o.renewActivityTimeout();
    },
    /Invalid sleepAfter: number -5/,
  ],
  [
    "sleepAfter = Infinity",
    (o) => {
      o.sleepAfter = Number.POSITIVE_INFINITY;
      o.renewActivityTimeout();
    },
    /Invalid sleepAfter: number Infinity/,
  ],
  [
    "sleepAfter = {}",
    (o) => {
      o.sleepAfter = {};
      o.renewActivityTimeout();
    },
    /Invalid sleepAfter: object \{\}/,
  ],
  [
    'hardTimeout = "soon", then start()',
    (o) => {
      o.hardTimeout = "soon";
      return o.start();
    },
    /Invalid hardTimeout: "soon"/,
  ],
  ["scheduleNextAlarm(-1)", (o) => o.scheduleNextAlarm(-1), /-1/],
  // Start options
  [
    "startOptions.envVars = { PORT: 8080 }",
    (o) => o.startAndWaitForPorts({ startOptions: { envVars: { PORT: 8080 } } }),
    /Invalid envVars: "PORT" is number 8080\. .*Record<string, string>/,
  ],
  [
    'startOptions.envVars = ["A=1"]',
    (o) => o.startAndWaitForPorts({ startOptions: { envVars: ["A=1"] } }),
    /Invalid envVars: array/,
  ],
  [
    'startOptions.entrypoint = "node server.js"',
    (o) => o.start({ entrypoint: "node server.js" }),
    /Invalid entrypoint: "node server\.js"\. Expected an array of strings/,
  ],
  [
    "startOptions.labels = { team: null }",
    (o) => o.start({ labels: { team: null } }),
    /Invalid labels: "team" is object null/,
  ],
  [
    'startOptions.enableInternet = "no"',
    (o) => o.start({ enableInternet: "no" }),
    /Invalid enableInternet: "no"\. Expected true or false/,
  ],
  [
    'stop("SIGFOO")',
    (o) => o.stop("SIGFOO"),
    /Invalid signal: "SIGFOO"\. Expected "SIGTERM", "SIGINT", "SIGKILL" or an integer/,
  ],
  // Schedules: callbacks, times and payloads
  [
    'schedule(10, "noSuchMethod")',
    (o) => o.schedule(10, "noSuchMethod"),
    /callback must be the name of a method of TestContainer; got "noSuchMethod"/,
  ],
  [
    'schedule(10, "notAMethod") (a field)',
    (o) => o.schedule(10, "notAMethod"),
    /callback must be the name of a method/,
  ],
  [
    "schedule(10, () => {})",
    (o) => o.schedule(10, () => {}),
    /callback must be the name of a method of TestContainer; got function/,
  ],
  ['schedule(-1, "ping")', (o) => o.schedule(-1, "ping"), /non-negative number of seconds; got number -1/],
  ['schedule(new Date("nope"), "ping")', (o) => o.schedule(new Date("nope"), "ping"), /invalid Date/],
  ['schedule(1e20, "ping")', (o) => o.schedule(1e20, "ping"), /after the latest date JavaScript can represent/],
  [
    "payload: a function",
    (o) => o.schedule(10, "ping", () => 1),
    /^schedule\(\): payload is a function, which JSON cannot store; a payload must be JSON-serialisable/,
  ],
  [
    "payload: { nested: { fn } }",
    (o) => o.schedule(10, "ping", { nested: { fn: () => 1 } }),
    /payload\.nested\.fn is a function/,
  ],
  ["payload: [1, new Map()]", (o) => o.schedule(10, "ping", [1, new Map()]), /payload\[1\] is a Map/],
  ["payload: new Set([1])", (o) => o.schedule(10, "ping", new Set([1])), /payload is a Set/],
  ["payload: Symbol()", (o) => o.schedule(10, "ping", Symbol("s")), /payload is a symbol/],
  ["payload: { n: 10n }", (o) => o.schedule(10, "ping", { n: 10n }), /payload\.n is a bigint/],
  [
    "payload: circular",
    (o) => {
      const circular: Record<string, unknown> = {};
      circular.self = circular;
      return o.schedule(10, "ping", circular);
    },
    /payload must be JSON-serialisable \(.*circular/i,
  ],
  [
    "payload: 2 MB string",
    (o) => o.schedule(10, "ping", "x".repeat(2 * 1024 * 1024)),
    /payload is 2097154 bytes as JSON; at most 1998976 fit in one schedule.*2 MB/,
  ],
  // Outbound configuration
  [
    'allowHost("http://evil.com/path")',
    (o) => o.allowHost("http://evil.com/path"),
    /Invalid host pattern: "http:\/\/evil\.com\/path"\. Expected a host name/,
  ],
  ['denyHost("")', (o) => o.denyHost(""), /Invalid host pattern: ""/],
  ['setAllowedHosts("a.com")', (o) => o.setAllowedHosts("a.com"), /expects an array of host patterns; got string/],
  ['setOutboundHandler("nope")', (o) => o.setOutboundHandler("nope"), /nope/],
];

describe("hostile input: a clear error naming what was wrong, nothing lost", () => {
  it.each(HOSTILE_CASES)("%s", async (_entry, attempt, expected) => {
    const stub = fresh(env.TEST);
    // A running container with a pending schedule: what must survive.
    const before = await inObject(stub, async (o) => {
      await o.startAndWaitForPorts();
      const schedule = await o.schedule(3600, "ping", { keep: true });
      return { state: await o.getState(), taskId: schedule.taskId };
    });
    const message = await inObject(stub, (o) => outcome(() => attempt(o)));
    expect(message).toMatch(expected);
    await inObject(stub, async (o, fake) => {
      expect(await o.getState()).toEqual(before.state);
      expect(await o.getSchedule(before.taskId)).toMatchObject({ payload: { keep: true } });
      expect(fake.starts).toHaveLength(1);
      expect(fake.running).toBe(true);
      expect(await o.listSchedules("ping")).toHaveLength(1); // nothing half-written
    });
  });

  it("a request streaming through the container carries on while every bad call is refused", async () => {
    const stub = fresh(env.TEST);
    const result = await inObject(stub, async (o) => {
      const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
      const writer = writable.getWriter();
      const encoder = new TextEncoder();
      const response: Promise<Response> = o.containerFetch(
        new Request("http://x/stream", { method: "POST", body: readable, duplex: "half" } as RequestInit),
      );
      await writer.write(encoder.encode("before;"));
      const refused: string[] = [];
      for (const [, attempt] of HOSTILE_CASES) refused.push(await outcome(() => attempt(o)));
      o.sleepAfter = "10s"; // the duration cases left a bad value behind on purpose
      await writer.write(encoder.encode("after"));
      await writer.close();
      return { refused, body: await (await response).text() };
    });
    expect(result.refused.filter((m) => m === "accepted")).toEqual([]);
    expect(result.body).toBe("before;after");
    expect((await fakeOf(stub)).starts).toHaveLength(1);
  });
});

describe("smuggling the routing header", () => {
  const served = async (request: Request) => {
    const stub = fresh(env.TEST);
    const res = await stub.fetch(request);
    return { status: res.status, body: await res.text() };
  };

  it("look-alike names do not route and reach the container as ordinary headers", async () => {
    for (const name of ["cf_container_target_port", "x-cf-container-target-port", "cf-container-target-ports"]) {
      const { status, body } = await served(new Request("http://x/", { headers: { [name]: "9090" } }));
      expect(status).toBe(200);
      const seen = JSON.parse(body) as { server: string; headers: Record<string, string> };
      expect(seen.server).toBe("echo"); // port 8080, not 9090
      expect(seen.headers[name]).toBe("9090");
    }
  });

  it("switchPort always wins over a header the client set, and the container never sees it", async () => {
    const hostile = new Request("http://x/", { headers: { "CF-Container-Target-Port": "9090" } });
    const { body } = await served(switchPort(hostile, 8080));
    const seen = JSON.parse(body) as { server: string; headers: Record<string, string> };
    expect(seen.server).toBe("echo");
    expect(seen.headers["cf-container-target-port"]).toBeUndefined();
  });

  it("header names are case-insensitive (HTTP): any spelling routes, as switchPort's does", async () => {
    const { body } = await served(new Request("http://x/", { headers: { "CF-CONTAINER-TARGET-PORT": "9090" } }));
    expect(body).toBe("port-9090");
  });

  it("a name with a control character cannot even be built into a request", () => {
    expect(() => new Headers({ "cf-container-target-port\r\nx": "9090" })).toThrow(TypeError);
    expect(() => new Headers({ "cf-container-target-port": "9090\r\nx-injected: 1" })).toThrow(TypeError);
  });
});

describe("https: only in the scheme", () => {
  it.each([
    ["https://x/a?next=https://y/z", "http://x/a?next=https://y/z"],
    ["https://x/a?u=https%3A%2F%2Fq&v=https:", "http://x/a?u=https%3A%2F%2Fq&v=https:"],
    ["https://x/https://y/", "http://x/https://y/"],
    ["https://x/a#https://frag", "http://x/a#https://frag"],
    ["/relative?https://y", "http://container/relative?https://y"],
  ])("%s reaches the container as %s", async (input, expected) => {
    const stub = fresh(env.TEST);
    const seen = await inObject(stub, async (o) => (await (await o.containerFetch(input)).json()) as { url: string });
    expect(seen.url).toBe(expected);
  });
});

describe("payload size limit", () => {
  it("a payload just under the limit is stored and delivered whole", async () => {
    const stub = fresh(env.TEST);
    // JSON adds two quotes around a string.
    const big = "y".repeat(MAX_SCHEDULE_PAYLOAD_BYTES - 2);
    await inObject(stub, (o) => o.schedule(0, "ping", big));
    await runDurableObjectAlarm(stub as never);
    const [entry] = hooks(stub).filter((h) => h.startsWith("ping:"));
    expect(entry).toBe(`ping:${JSON.stringify(big)}`);
    const over = await inObject(stub, (o) => outcome(() => o.schedule(0, "ping", `${big}y`)));
    expect(over).toMatch(new RegExp(`payload is ${MAX_SCHEDULE_PAYLOAD_BYTES + 1} bytes as JSON`));
  });
});
