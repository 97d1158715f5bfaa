import { describe, expect, it } from "vitest";
import { NO_INSTANCE_RETRY_AFTER_S, RATE_LIMITED_RETRY_AFTER_S } from "../../src/constants";
import {
  ContainerHttpError,
  RUNTIME_MESSAGES,
  classifyRuntimeError,
  startFailureToHttpError,
  type RuntimeFailure,
} from "../../src/errors";

describe("classifyRuntimeError", () => {
  // Messages as the runtime (deployed and local workerd) writes them.
  const cases: Array<[string, unknown, RuntimeFailure]> = [
    [
      "no instance",
      new Error("there is no container instance that can be provided to this durable object"),
      { kind: "no-instance" },
    ],
    [
      "no instance, capitalised and wrapped",
      new Error("Error: There is no container instance that can be provided to this Durable Object, try again later"),
      { kind: "no-instance" },
    ],
    ["rate limited", new Error("You are requesting too many containers per second"), { kind: "rate-limited" }],
    [
      "runtime signal 143",
      new Error("Runtime signalled the container to exit: 143"),
      { kind: "exited", exitCode: 143, reason: "runtime_signal" },
    ],
    [
      "runtime signal during a rollout",
      new Error("Runtime signalled the container to exit due to a new version rollout: 0"),
      { kind: "exited", exitCode: 0, reason: "runtime_signal" },
    ],
    [
      "the runtime could not start the process (local workerd)",
      new Error("Container failed to start"),
      { kind: "start-failed" },
    ],
    [
      "runtime signal in mixed case",
      new Error("RUNTIME Signalled The Container To Exit: 143"),
      { kind: "exited", exitCode: 143, reason: "runtime_signal" },
    ],
    [
      "unknown wording with a numeric exitCode property: the number wins",
      Object.assign(new Error("The container went away (code unknown to this library)"), { exitCode: 42 }),
      { kind: "exited", exitCode: 42, reason: "exit" },
    ],
    [
      "a numeric exitCode property beats a different number in the text",
      Object.assign(new Error("Container exited with unexpected exit code: 1"), { exitCode: 137 }),
      { kind: "exited", exitCode: 137, reason: "exit" },
    ],
    [
      "a numeric exitCode on a cause, with a signal message on top",
      new Error("Runtime signalled the container to exit", {
        cause: Object.assign(new Error("shutdown"), { exitCode: 0 }),
      }),
      { kind: "exited", exitCode: 0, reason: "runtime_signal" },
    ],
    [
      "a non-numeric exitCode property is ignored",
      Object.assign(new Error("Container exited with unexpected exit code: 5"), { exitCode: "5" }),
      { kind: "exited", exitCode: 5, reason: "exit" },
    ],
    [
      "unexpected exit code with colon (deployed)",
      new Error("Container exited with unexpected exit code: 1"),
      { kind: "exited", exitCode: 1, reason: "exit" },
    ],
    [
      "unexpected exit code without colon (local workerd)",
      new Error("Container exited with unexpected exit code 137"),
      { kind: "exited", exitCode: 137, reason: "exit" },
    ],
    [
      "unexpected exit with no code in the message",
      new Error("Container exited with unexpected exit code"),
      { kind: "exited", exitCode: 1, reason: "exit" },
    ],
    [
      "no such image (local workerd), the reference as written",
      new Error("No such image available named Registry.example.com/App:1.2"),
      { kind: "no-image", image: "Registry.example.com/App:1.2" },
    ],
    [
      "no such image, as an uncaught error's text",
      new Error("Uncaught Error: no such image available named cloudflare-dev/app:abcd (after retries)"),
      { kind: "no-image", image: "cloudflare-dev/app:abcd" },
    ],
    [
      "no such image, no reference in the text",
      new Error("No such image available named"),
      { kind: "no-image", image: undefined },
    ],
    [
      "no such image as the cause of a failed start",
      new Error("start failed", { cause: new Error("No such image available named tools") }),
      { kind: "no-image", image: "tools" },
    ],
    ["not listening", new Error("connect(): the container is not listening on port 8080"), { kind: "not-listening" }],
    [
      "not listening, local workerd's wording",
      new Error("Container is not listening to port 8080"),
      { kind: "not-listening" },
    ],
    ["connection lost", new Error("Network connection lost."), { kind: "connection-lost" }],
    ["not running", new Error("The container is not running, consider calling start()"), { kind: "not-running" }],
    [
      "a cause that is a no-instance error",
      new Error("start failed", {
        cause: new Error("there is no container instance that can be provided to this durable object"),
      }),
      { kind: "no-instance" },
    ],
    [
      "a cause two levels down",
      new Error("outer", { cause: new Error("middle", { cause: new Error("Network connection lost.") }) }),
      { kind: "connection-lost" },
    ],
    [
      "a string cause",
      new Error("outer", { cause: "You are requesting too many containers per second" }),
      { kind: "rate-limited" },
    ],
    [
      "a plain string",
      "Container exited with unexpected exit code: 2",
      { kind: "exited", exitCode: 2, reason: "exit" },
    ],
    ["a plain string, unknown", "something else", { kind: "unknown" }],
    ["an unknown Error", new Error("disk full"), { kind: "unknown" }],
    ["a TypeError", new TypeError("x is not a function"), { kind: "unknown" }],
    ["undefined", undefined, { kind: "unknown" }],
    ["null", null, { kind: "unknown" }],
    ["a number", 42, { kind: "unknown" }],
  ];

  it.each(cases)("%s", (_name, error, expected) => {
    expect(classifyRuntimeError(error)).toEqual(expected);
  });

  it("recognises every fragment in RUNTIME_MESSAGES", () => {
    const kinds = Object.values(RUNTIME_MESSAGES).map((fragment) => classifyRuntimeError(new Error(fragment)).kind);
    expect(kinds).not.toContain("unknown");
  });
});

describe("startFailureToHttpError / ContainerHttpError.toResponse", () => {
  it("no instance → 503 with Retry-After", async () => {
    const cause = new Error("there is no container instance that can be provided to this durable object");
    const error = startFailureToHttpError(cause);
    expect(error).toBeInstanceOf(ContainerHttpError);
    expect(error.status).toBe(503);
    expect(error.cause).toBe(cause);
    const response = error.toResponse();
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe(String(NO_INSTANCE_RETRY_AFTER_S));
    expect(response.headers.get("content-type")).toMatch(/^text\/plain/);
    expect(await response.text()).toMatch(/^There is no Container instance available at this time\. /);
  });

  it("rate limited → 429 with Retry-After", async () => {
    const error = startFailureToHttpError(new Error("You are requesting too many containers per second"));
    expect(error.status).toBe(429);
    const response = error.toResponse();
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe(String(RATE_LIMITED_RETRY_AFTER_S));
    // The runtime's own words, as the original answers.
    expect(await response.text()).toBe("You are requesting too many containers per second");
  });

  it("a no-instance error nested as a cause still maps to 503", () => {
    const nested = new Error("wait failed", {
      cause: new Error("there is no container instance that can be provided to this durable object"),
    });
    expect(startFailureToHttpError(nested).toResponse().status).toBe(503);
  });

  const others: Array<[string, unknown, string]> = [
    [
      "an exit",
      new Error("Container exited with unexpected exit code: 1"),
      "Container exited with unexpected exit code: 1",
    ],
    [
      "not listening",
      new Error("the container is not listening on port 8080"),
      "the container is not listening on port 8080",
    ],
    ["an unknown error", new Error("boom"), "boom"],
    ["a thrown string", "plain failure", "plain failure"],
  ];

  it.each(others)("%s → 500 'Failed to start container: …' without Retry-After", async (_name, cause, text) => {
    const error = startFailureToHttpError(cause);
    expect(error.status).toBe(500);
    const response = error.toResponse();
    expect(response.status).toBe(500);
    expect(response.headers.has("retry-after")).toBe(false);
    const body = await response.text();
    expect(body.startsWith("Failed to start container: ")).toBe(true);
    expect(body).toBe(`Failed to start container: ${text}`);
  });

  it("passes a ContainerHttpError through unchanged", () => {
    const original = new ContainerHttpError("teapot", 418);
    expect(startFailureToHttpError(original)).toBe(original);
  });

  it("toResponse omits Retry-After when none is set and keeps the message as body", async () => {
    const response = new ContainerHttpError("nope", 502).toResponse();
    expect(response.status).toBe(502);
    expect(response.headers.has("retry-after")).toBe(false);
    expect(await response.text()).toBe("nope");
  });

  it("toResponse writes Retry-After 0 when the retry delay is 0", () => {
    const response = new ContainerHttpError("soon", 503, { retryAfterSeconds: 0 }).toResponse();
    expect(response.headers.get("retry-after")).toBe("0");
  });
});
