import { describe, expect, it } from "vitest";
import { classifyRuntimeError } from "../../src/errors";
import {
  INSTANCE_TYPE_NAMES,
  normaliseStartArgs,
  runtimeStartOptions,
  waitBudget,
  type StartDefaults,
} from "../../src/lifecycle/start";
import { noImageError, resolveImage } from "../../src/lifecycle/images";
import type { RuntimeStartOptions } from "../../src/runtime";
import { FakeContainer } from "../../src/testing";
import { FAKE_DEFAULT_IMAGE } from "../../src/testing/fake-runtime";
import type { CancellationOptions, ContainerStartConfigOptions, ContainerInstanceType } from "../../src/types";

const NONE: StartDefaults = {
  envVars: undefined,
  entrypoint: undefined,
  enableInternet: undefined,
  labels: undefined,
  image: undefined,
  instance: undefined,
};
const FULL: StartDefaults = {
  envVars: { NODE_ENV: "production" },
  entrypoint: ["npm", "start"],
  enableInternet: false,
  labels: { team: "a" },
  image: undefined,
  instance: undefined,
};

describe("runtimeStartOptions", () => {
  const cases: Array<[string, StartDefaults, ContainerStartConfigOptions | undefined, RuntimeStartOptions]> = [
    ["nothing configured: only enableInternet (true)", NONE, undefined, { enableInternet: true }],
    [
      "class fields are passed",
      FULL,
      undefined,
      { enableInternet: false, env: { NODE_ENV: "production" }, entrypoint: ["npm", "start"], labels: { team: "a" } },
    ],
    [
      "per-start overrides replace each field (not merged)",
      FULL,
      { envVars: { API_KEY: "k" }, entrypoint: ["node", "job.js"], enableInternet: true, labels: { team: "b" } },
      { enableInternet: true, env: { API_KEY: "k" }, entrypoint: ["node", "job.js"], labels: { team: "b" } },
    ],
    [
      "an override of one field keeps the others",
      FULL,
      { envVars: { ONLY: "1" } },
      { enableInternet: false, env: { ONLY: "1" }, entrypoint: ["npm", "start"], labels: { team: "a" } },
    ],
    [
      "enableInternet false in an override wins over a true default",
      { ...NONE, enableInternet: true },
      { enableInternet: false },
      { enableInternet: false },
    ],
    [
      "empty env and labels, empty entrypoint are omitted",
      { ...NONE, envVars: {}, entrypoint: [], labels: {} },
      undefined,
      { enableInternet: true },
    ],
    [
      "an empty override replaces the default and is then omitted",
      FULL,
      { envVars: {}, labels: {}, entrypoint: [] },
      { enableInternet: false },
    ],
    ["an empty overrides object changes nothing", NONE, {}, { enableInternet: true }],
  ];

  it.each(cases)("%s", (_name, defaults, overrides, expected) => {
    expect(runtimeStartOptions(defaults, overrides)).toStrictEqual(expected);
  });

  it("always has an enableInternet key", () => {
    for (const [, defaults, overrides] of cases) {
      const options = runtimeStartOptions(defaults, overrides);
      expect(typeof options.enableInternet).toBe("boolean");
    }
  });

  it("copies env, entrypoint and labels so later changes to the fields do not leak", () => {
    const defaults: StartDefaults = {
      envVars: { A: "1" },
      entrypoint: ["a"],
      enableInternet: true,
      labels: { l: "1" },
      image: undefined,
      instance: undefined,
    };
    const options = runtimeStartOptions(defaults);
    defaults.envVars!.A = "2";
    defaults.entrypoint!.push("b");
    defaults.labels!.l = "2";
    expect(options).toStrictEqual({ enableInternet: true, env: { A: "1" }, entrypoint: ["a"], labels: { l: "1" } });
  });
});

describe("normaliseStartArgs", () => {
  const signal = new AbortController().signal;
  const cancellation: CancellationOptions = { portReadyTimeoutMS: 30_000, abort: signal };
  const start: ContainerStartConfigOptions = { envVars: { A: "1" } };

  const cases: Array<[string, Parameters<typeof normaliseStartArgs>, ReturnType<typeof normaliseStartArgs>]> = [
    ["no arguments", [], {}],
    [
      "object form is returned as given",
      [{ ports: [1, 2], startOptions: start }],
      { ports: [1, 2], startOptions: start },
    ],
    ["empty object form", [{}], {}],
    ["positional single port", [8080], { ports: 8080 }],
    ["positional array is ports, not options", [[8080, 9222]], { ports: [8080, 9222] }],
    ["positional empty array is ports", [[]], { ports: [] }],
    [
      "positional with all three",
      [[8080], cancellation, start],
      { ports: [8080], cancellationOptions: cancellation, startOptions: start },
    ],
    ["positional without ports", [undefined, cancellation], { cancellationOptions: cancellation }],
    ["positional with only startOptions", [undefined, undefined, start], { startOptions: start }],
  ];

  it.each(cases)("%s", (_name, args, expected) => {
    expect(normaliseStartArgs(...args)).toStrictEqual(expected);
  });

  it("the object form ignores later positional arguments", () => {
    const args = { ports: 1 };
    expect(normaliseStartArgs(args, cancellation, start)).toBe(args);
  });
});

describe("waitBudget", () => {
  const now = 1_000_000;

  // Polling backs off up to 50 ms unless waitInterval says otherwise (the
  // documented 300 ms default remains the unit of `retries` budgets).
  it("uses the defaults 8000 / 20000 / 50 relative to now", () => {
    expect(waitBudget({}, now)).toStrictEqual({
      instanceDeadline: now + 8_000,
      portDeadline: now + 20_000,
      intervalMs: 50,
      signal: undefined,
    });
  });

  it("without options at all uses the defaults", () => {
    const budget = waitBudget(undefined, now);
    expect([budget.instanceDeadline - now, budget.portDeadline - now, budget.intervalMs]).toEqual([8_000, 20_000, 50]);
  });

  it("defaults now to the current time", () => {
    const before = Date.now();
    const budget = waitBudget();
    const after = Date.now();
    expect(budget.instanceDeadline).toBeGreaterThanOrEqual(before + 8_000);
    expect(budget.instanceDeadline).toBeLessThanOrEqual(after + 8_000);
  });

  const explicit: Array<[string, CancellationOptions, Partial<ReturnType<typeof waitBudget>>]> = [
    ["instanceGetTimeoutMS", { instanceGetTimeoutMS: 1_500 }, { instanceDeadline: now + 1_500 }],
    ["portReadyTimeoutMS", { portReadyTimeoutMS: 30_000 }, { portDeadline: now + 30_000 }],
    ["waitInterval", { waitInterval: 50 }, { intervalMs: 50 }],
    ["instanceGetTimeoutMS 0", { instanceGetTimeoutMS: 0 }, { instanceDeadline: now }],
    ["portReadyTimeoutMS 0", { portReadyTimeoutMS: 0 }, { portDeadline: now }],
    // A zero interval would busy-poll; it is raised to the 1 ms minimum.
    ["waitInterval 0 (minimum 1 ms)", { waitInterval: 0 }, { intervalMs: 1 }],
  ];

  it.each(explicit)("honours explicit %s", (_name, options, expected) => {
    expect(waitBudget(options, now)).toMatchObject(expected);
  });

  it("passes the abort signal through", () => {
    const signal = new AbortController().signal;
    expect(waitBudget({ abort: signal }, now).signal).toBe(signal);
  });

  const invalid: Array<[keyof CancellationOptions, unknown]> = [
    ["instanceGetTimeoutMS", -1],
    ["instanceGetTimeoutMS", Number.NaN],
    ["portReadyTimeoutMS", -100],
    ["portReadyTimeoutMS", Number.NaN],
    ["portReadyTimeoutMS", Number.POSITIVE_INFINITY],
    ["waitInterval", -5],
    ["waitInterval", Number.NaN],
    ["waitInterval", "300"],
  ];

  it.each(invalid)("%s = %j throws a RangeError naming the option", (option, value) => {
    const options = { [option]: value } as CancellationOptions;
    expect(() => waitBudget(options, now)).toThrow(RangeError);
    expect(() => waitBudget(options, now)).toThrow(new RegExp(`^Invalid ${option}: `));
  });
});

/** `count` labels named l0, l1, … */
function labelsOf(count: number): Record<string, string> {
  return Object.fromEntries(Array.from({ length: count }, (_, i) => [`l${i}`, "v"]));
}

describe("runtimeStartOptions: labels within the deployed runtime's limits", () => {
  const accepted: Array<[string, Record<string, string>]> = [
    ["exactly 10 labels", labelsOf(10)],
    ["a 16-byte ASCII name", { abcdefghijklmnop: "v" }],
    ["a name of 8 two-byte characters (16 bytes)", { éééééééé: "v" }],
    ["a name of 4 four-byte characters (16 bytes)", { "🚀🚀🚀🚀": "v" }],
    ["a 64-byte value", { team: "x".repeat(64) }],
    ["a value of 21 three-byte characters (63 bytes)", { team: "€".repeat(21) }],
    ["an empty value", { team: "" }],
    ["spaces and punctuation", { "team name": "a b, c/d=e" }],
    // The runtime refuses C0 controls only: DEL and C1 controls pass, so they are not refused here.
    ["DEL and a C1 control", { "a\u007f": "b\u0085" }],
  ];

  it.each(accepted)("accepts %s", (_name, labels) => {
    expect(runtimeStartOptions(NONE, { labels }).labels).toStrictEqual(labels);
  });

  const refused: Array<[string, Record<string, string>, ErrorConstructor, string | RegExp]> = [
    [
      "11 labels",
      labelsOf(11),
      RangeError,
      "Invalid labels: 11 labels; a start takes at most 10 (the runtime refuses the start otherwise).",
    ],
    [
      "a 22-byte name",
      { "a-very-long-label-name": "v" },
      RangeError,
      'Invalid labels: "a-very-long-label-name" is 22 bytes. Label names cannot exceed 16 bytes ' +
        "(the runtime refuses the start otherwise).",
    ],
    [
      "a 17-byte ASCII name",
      { abcdefghijklmnopq: "v" },
      RangeError,
      /"abcdefghijklmnopq" is 17 bytes\. Label names cannot exceed 16 bytes/,
    ],
    // 9 characters, 18 bytes: counting characters (or UTF-16 units) would let it through.
    ["9 two-byte characters", { ééééééééé: "v" }, RangeError, /"ééééééééé" is 18 bytes/],
    // 5 characters, 10 UTF-16 code units, 20 bytes.
    ["5 emoji", { "🚀🚀🚀🚀🚀": "v" }, RangeError, /"🚀🚀🚀🚀🚀" is 20 bytes/],
    [
      "a 65-byte value",
      { team: "x".repeat(65) },
      RangeError,
      'Invalid labels: the value of "team" is 65 bytes; label values are at most 64 bytes ' +
        "(the runtime refuses the start otherwise).",
    ],
    ["a value of 22 three-byte characters", { team: "€".repeat(22) }, RangeError, /value of "team" is 66 bytes/],
    ["an empty name", { "": "v" }, TypeError, /^Invalid labels: a label name is empty; names are 1 to 16 bytes/],
    ["a newline in a name", { "a\nb": "v" }, TypeError, /"a\\nb" contains the control character U\+000A/],
    ["a tab in a value", { team: "a\tb" }, TypeError, /the value of "team" contains the control character U\+0009/],
    ["NUL in a value", { team: "a\u0000" }, TypeError, /the value of "team" contains the control character U\+0000/],
    [
      "a long name is shown cut short",
      { ["n".repeat(100)]: "v" },
      RangeError,
      new RegExp(`^Invalid labels: "${"n".repeat(40)}…" is 100 bytes`),
    ],
  ];

  it.each(refused)("refuses %s", (_name, labels, type, message) => {
    expect(() => runtimeStartOptions(NONE, { labels })).toThrow(type);
    expect(() => runtimeStartOptions(NONE, { labels })).toThrow(message);
  });

  it("checks the class field's labels too", () => {
    expect(() => runtimeStartOptions({ ...NONE, labels: labelsOf(11) })).toThrow(/11 labels/);
  });

  it("checks only the labels that apply: an override within the limits replaces a bad field", () => {
    const options = runtimeStartOptions({ ...NONE, labels: labelsOf(11) }, { labels: { team: "a" } });
    expect(options.labels).toStrictEqual({ team: "a" });
  });
});

describe("runtimeStartOptions: instance", () => {
  const accepted: Array<[string, ContainerInstanceType]> = [
    ...INSTANCE_TYPE_NAMES.map((name): [string, ContainerInstanceType] => [JSON.stringify(name), name]),
    ["custom resources", { vcpu: 2, memoryMib: 4096, diskMb: 8000 }],
    ["a quarter of a vCPU", { vcpu: 0.25, memoryMib: 1024, diskMb: 4000 }],
    ["a sixteenth of a vCPU", { vcpu: 1 / 16, memoryMib: 256, diskMb: 2000 }],
  ];

  it.each(accepted)("passes %s", (_name, instance) => {
    expect(runtimeStartOptions(NONE, { instance })).toStrictEqual({ enableInternet: true, instance });
  });

  it("lists the six named types of the runtime", () => {
    expect(INSTANCE_TYPE_NAMES).toStrictEqual([
      "lite",
      "basic",
      "standard-1",
      "standard-2",
      "standard-3",
      "standard-4",
    ]);
  });

  it("a per-start instance replaces the field; without one the field is used", () => {
    const defaults: StartDefaults = { ...NONE, instance: "basic" };
    expect(runtimeStartOptions(defaults).instance).toBe("basic");
    expect(runtimeStartOptions(defaults, { instance: "standard-2" }).instance).toBe("standard-2");
  });

  it("copies custom resources, so later changes to the object do not leak", () => {
    const instance = { vcpu: 1, memoryMib: 1024, diskMb: 4000 };
    const options = runtimeStartOptions(NONE, { instance });
    instance.vcpu = 8;
    expect(options.instance).toStrictEqual({ vcpu: 1, memoryMib: 1024, diskMb: 4000 });
  });

  const refused: Array<[string, unknown, ErrorConstructor, string | RegExp]> = [
    [
      "an unknown name",
      "large",
      TypeError,
      'Invalid instance: "large". Expected one of "lite", "basic", "standard-1", "standard-2", "standard-3", ' +
        '"standard-4", or { vcpu, memoryMib, diskMb }.',
    ],
    ["the old name dev", "dev", TypeError, /^Invalid instance: "dev" \("dev" is now "lite"\)\. Expected one of/],
    ["the old name standard", "standard", TypeError, /\("standard" is now "standard-1"\)/],
    ["a name from the prototype", "constructor", TypeError, /^Invalid instance: "constructor"\. Expected/],
    ["an empty string", "", TypeError, /^Invalid instance: ""\. Expected one of/],
    ["a number", 4, TypeError, /^Invalid instance: number 4\. Expected one of/],
    ["an array", [1, 2, 3], TypeError, /^Invalid instance: array \[1,2,3\]\. Expected one of/],
    [
      "vcpu 0",
      { vcpu: 0, memoryMib: 1, diskMb: 1 },
      RangeError,
      "Invalid instance: vcpu is number 0. Expected a positive number, e.g. 0.25.",
    ],
    ["negative vcpu", { vcpu: -1, memoryMib: 1, diskMb: 1 }, RangeError, /vcpu is number -1\./],
    ["vcpu NaN", { vcpu: Number.NaN, memoryMib: 1, diskMb: 1 }, RangeError, /vcpu is number NaN\./],
    [
      "vcpu Infinity",
      { vcpu: Number.POSITIVE_INFINITY, memoryMib: 1, diskMb: 1 },
      RangeError,
      /vcpu is number Infinity/,
    ],
    ["vcpu as a string", { vcpu: "1", memoryMib: 1, diskMb: 1 }, RangeError, /vcpu is "1"\./],
    [
      "fractional memoryMib",
      { vcpu: 1, memoryMib: 1.5, diskMb: 1 },
      RangeError,
      "Invalid instance: memoryMib is number 1.5. Expected a positive integer.",
    ],
    ["diskMb 0", { vcpu: 1, memoryMib: 1, diskMb: 0 }, RangeError, /diskMb is number 0\. Expected a positive integer/],
    ["diskMb missing", { vcpu: 1, memoryMib: 1 }, RangeError, /diskMb is undefined undefined\./],
    [
      "an unknown key",
      { vcpu: 1, memoryMib: 1, diskMb: 1, gpu: 1 },
      TypeError,
      'Invalid instance: unknown key "gpu". Custom resources are exactly { vcpu, memoryMib, diskMb }.',
    ],
    ["a misspelt key", { vcpu: 1, memoryMB: 1, diskMb: 1 }, TypeError, /unknown key "memoryMB"/],
  ];

  it.each(refused)("refuses %s", (_name, instance, type, message) => {
    const overrides = { instance } as ContainerStartConfigOptions;
    expect(() => runtimeStartOptions(NONE, overrides)).toThrow(type);
    expect(() => runtimeStartOptions(NONE, overrides)).toThrow(message);
  });
});

describe("runtimeStartOptions: image", () => {
  const accepted = ["registry.example.com/team/app:1.2", "tools", "app@sha256:0123abcd", "localhost:5000/app"];

  it.each(accepted)("passes %j as given", (image) => {
    expect(runtimeStartOptions(NONE, { image })).toStrictEqual({ enableInternet: true, image });
  });

  it("a per-start image replaces the field; without one the field is used", () => {
    const defaults: StartDefaults = { ...NONE, image: "app:1" };
    expect(runtimeStartOptions(defaults).image).toBe("app:1");
    expect(runtimeStartOptions(defaults, { image: "app:2" }).image).toBe("app:2");
  });

  const refused: Array<[string, unknown, string | RegExp]> = [
    [
      "an empty string",
      "",
      'Invalid image: "". Expected a named image of this container (wrangler\'s containers[].images) or an image ' +
        'reference such as "registry.example.com/app:1.2", without whitespace or control characters.',
    ],
    ["a space", "my image", /^Invalid image: "my image"\. Expected/],
    ["only whitespace", " ", /^Invalid image: " "\. Expected/],
    ["a trailing newline", "app\n", /^Invalid image: "app\\n"\. Expected/],
    ["a NUL", "app\u0000", /^Invalid image: "app\\u0000"\. Expected/],
    ["a number", 42, /^Invalid image: number 42\. Expected/],
    ["an object", { name: "app" }, /^Invalid image: object \{"name":"app"\}\. Expected/],
  ];

  it.each(refused)("refuses %s", (_name, image, message) => {
    const overrides = { image } as ContainerStartConfigOptions;
    expect(() => runtimeStartOptions(NONE, overrides)).toThrow(TypeError);
    expect(() => runtimeStartOptions(NONE, overrides)).toThrow(message);
  });
});

describe("resolveImage", () => {
  const images = { api: "registry.example.com/api:3", tools: "registry.example.com/tools:2" };
  const cases: Array<[string, string, Record<string, string> | undefined, string]> = [
    ["a configured name becomes its reference", "tools", images, "registry.example.com/tools:2"],
    ["a reference stays as given", "registry.example.com/other:1", images, "registry.example.com/other:1"],
    ["a reference that is some name's value stays", "registry.example.com/api:3", images, "registry.example.com/api:3"],
    ["no images map: as given", "tools", undefined, "tools"],
    ["an empty map: as given", "tools", {}, "tools"],
    ["names are case-sensitive", "Tools", images, "Tools"],
    ["a name from the prototype is not a configured name", "constructor", images, "constructor"],
    ["neither is toString", "toString", {}, "toString"],
  ];

  it.each(cases)("%s", (_name, image, map, expected) => {
    expect(resolveImage(image, map)).toBe(expected);
  });
});

describe("noImageError", () => {
  const images = { api: "registry.example.com/api:3", tools: "registry.example.com/tools:2" };

  it("names the image and lists the configured names", () => {
    expect(noImageError("worker", images).message).toBe(
      'No image "worker" is available to this container: configured named images are "api", "tools" ' +
        "(wrangler's containers[].images), or pass a full image reference.",
    );
  });

  it("says when no named images are configured", () => {
    const expected =
      'No image "worker" is available to this container: no named images are configured ' +
      "(wrangler's containers[].images), so pass a full image reference.";
    expect(noImageError("worker", undefined).message).toBe(expected);
    expect(noImageError("worker", {}).message).toBe(expected);
  });

  it("for a configured name, names the reference it stands for", () => {
    expect(noImageError("tools", images).message).toBe(
      'No image "registry.example.com/tools:2" (named "tools" in wrangler\'s containers[].images) is available ' +
        "to this container: the runtime has no image under that reference; check that wrangler built or pulled it.",
    );
  });

  it("for the reference a name stands for, says which name", () => {
    expect(noImageError("registry.example.com/api:3", images).message).toMatch(
      /^No image "registry\.example\.com\/api:3" \(named "api" in/,
    );
  });

  it("keeps the runtime's error as the cause", () => {
    const cause = new Error("No such image available named worker");
    expect(noImageError("worker", images, cause).cause).toBe(cause);
    expect(noImageError("worker", images).cause).toBeUndefined();
  });
});

// The fake runtime's images (src/testing/fake-runtime.ts), which the library is tested against.
describe("FakeContainer: images and inspect()", () => {
  it("has no named images and the fixture image as default", () => {
    const fake = new FakeContainer();
    expect(fake.images).toStrictEqual({});
    expect(fake.defaultImage).toBe(FAKE_DEFAULT_IMAGE);
    expect(FAKE_DEFAULT_IMAGE).toBe("workerd-containers-fixture/app");
  });

  it("inspect() is null before a start, and after the process ended", async () => {
    const fake = new FakeContainer();
    expect(await fake.inspect()).toBeNull();
    fake.start();
    expect(await fake.inspect()).not.toBeNull();
    fake.exit(0);
    expect(await fake.inspect()).toBeNull();
  });

  it("a start without image runs the default image; inspect() reports it with no labels", async () => {
    const fake = new FakeContainer({ defaultImage: "my/app:1" });
    fake.start();
    expect(await fake.inspect()).toStrictEqual({ image: "my/app:1", labels: {} });
  });

  it("a start may name the default image", async () => {
    const fake = new FakeContainer();
    fake.start({ image: FAKE_DEFAULT_IMAGE });
    expect((await fake.inspect())?.image).toBe(FAKE_DEFAULT_IMAGE);
  });

  it("starts a named image's reference and reports it and the labels", async () => {
    const fake = new FakeContainer({ images: { tools: "registry.example.com/tools:2" } });
    fake.start({ image: "registry.example.com/tools:2", labels: { team: "a" } });
    expect(fake.running).toBe(true);
    expect(fake.starts).toStrictEqual([{ image: "registry.example.com/tools:2", labels: { team: "a" } }]);
    expect(await fake.inspect()).toStrictEqual({ image: "registry.example.com/tools:2", labels: { team: "a" } });
  });

  it("images set after construction count", () => {
    const fake = new FakeContainer();
    fake.images = { api: "registry.example.com/api:3" };
    fake.start({ image: "registry.example.com/api:3" });
    expect(fake.running).toBe(true);
  });

  const missing: Array<[string, Record<string, string>, string]> = [
    ["an unknown reference", {}, "registry.example.com/other:1"],
    // The runtime takes references: the library resolves names first.
    ["a name rather than its reference", { tools: "registry.example.com/tools:2" }, "tools"],
  ];

  it.each(missing)("refuses %s with the runtime's words; nothing starts", (_name, images, image) => {
    const fake = new FakeContainer({ images });
    expect(() => fake.start({ image })).toThrow(`No such image available named ${image}`);
    expect(fake.running).toBe(false);
    expect(fake.starts).toStrictEqual([]);
    let thrown: unknown;
    try {
      fake.start({ image });
    } catch (error) {
      thrown = error;
    }
    expect(classifyRuntimeError(thrown)).toStrictEqual({ kind: "no-image", image });
  });

  it("inspect() returns copies of the labels", async () => {
    const fake = new FakeContainer();
    fake.start({ labels: { team: "a" } });
    const info = await fake.inspect();
    info!.labels.team = "b";
    expect((await fake.inspect())?.labels).toStrictEqual({ team: "a" });
  });
});
