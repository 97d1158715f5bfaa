import { describe, expect, it } from "vitest";
import { UNKNOWN_EXIT_CODE, watchExit, type ExitOutcome } from "../../src/lifecycle/monitor";

describe("watchExit", () => {
  it("a monitor that resolves is a clean exit (code 0, reason exit)", async () => {
    await expect(watchExit(async () => {})).resolves.toStrictEqual({
      kind: "exited",
      params: { exitCode: 0, reason: "exit" },
    });
  });

  const exits: Array<[string, ExitOutcome]> = [
    ["Container exited with unexpected exit code: 1", { kind: "exited", params: { exitCode: 1, reason: "exit" } }],
    ["Container exited with unexpected exit code: 2", { kind: "exited", params: { exitCode: 2, reason: "exit" } }],
    ["Container exited with unexpected exit code 137", { kind: "exited", params: { exitCode: 137, reason: "exit" } }],
    [
      "Runtime signalled the container to exit: 143",
      { kind: "exited", params: { exitCode: 143, reason: "runtime_signal" } },
    ],
    [
      "Runtime signalled the container to exit due to a new version rollout: 0",
      { kind: "exited", params: { exitCode: 0, reason: "runtime_signal" } },
    ],
  ];

  it.each(exits)("rejection %j → that exit code and reason", async (message, expected) => {
    await expect(watchExit(() => Promise.reject(new Error(message)))).resolves.toStrictEqual(expected);
  });

  it("the runtime could not start the process → never-started (nothing ran: no stop to report)", async () => {
    const error = new Error("Container failed to start");
    await expect(watchExit(() => Promise.reject(error))).resolves.toStrictEqual({ kind: "never-started", error });
  });

  it("no instance → never-started, with the error", async () => {
    const error = new Error("there is no container instance that can be provided to this durable object");
    await expect(watchExit(() => Promise.reject(error))).resolves.toStrictEqual({ kind: "never-started", error });
  });

  it("rate limited → never-started, with the error (the runtime refused the start: nothing ran)", async () => {
    const error = new Error("You are requesting too many containers per second");
    await expect(watchExit(() => Promise.reject(error))).resolves.toStrictEqual({ kind: "never-started", error });
  });

  const others: Array<[string, unknown]> = [
    ["an unknown error", new Error("disk on fire")],
    ["connection lost", new Error("Network connection lost.")],
    ["not running", new Error("The container is not running, consider calling start()")],
    ["a rejected string", "weird"],
    ["a rejected undefined", undefined],
  ];

  it.each(others)("%s → failed with exit code 1 and the error", async (_name, error) => {
    const outcome = await watchExit(() => Promise.reject(error));
    expect(outcome).toStrictEqual({ kind: "failed", params: { exitCode: UNKNOWN_EXIT_CODE, reason: "exit" }, error });
    expect(UNKNOWN_EXIT_CODE).toBe(1);
  });

  it("a monitor that throws synchronously is handled like a rejection", async () => {
    const error = new Error("Container exited with unexpected exit code: 3");
    const outcome = await watchExit(() => {
      throw error;
    });
    expect(outcome).toStrictEqual({ kind: "exited", params: { exitCode: 3, reason: "exit" } });
  });

  it("waits for the monitor to settle", async () => {
    let settle!: () => void;
    let done = false;
    const watching = watchExit(() => new Promise<void>((resolve) => (settle = resolve))).then((outcome) => {
      done = true;
      return outcome;
    });
    await Promise.resolve();
    await Promise.resolve();
    expect(done).toBe(false);
    settle();
    await expect(watching).resolves.toMatchObject({ kind: "exited" });
    expect(done).toBe(true);
  });
});
