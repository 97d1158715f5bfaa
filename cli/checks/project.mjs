// The project's Wrangler configuration and Worker code: every `containers`
// entry needs its class bound as a SQLite-backed Durable Object, an image
// wrangler can build or pull, max_instances, and a class exported by `main`
// that extends Container; a class that intercepts outbound traffic needs
// ContainerProxy exported too.
import { existsSync, readFileSync, statSync } from "node:fs";
import { relative, resolve } from "node:path";
import { parseJsonc } from "../lib/jsonc.mjs";
import { fail, pass, skip, warn } from "../lib/result.mjs";
import { CONTAINER_PACKAGES, interceptionCalls, interceptionFeatures, ModuleGraph } from "../lib/source.mjs";
import { parseToml } from "../lib/toml.mjs";

export const CONFIG_NAMES = ["wrangler.json", "wrangler.jsonc", "wrangler.toml"];

/** The configuration file to read: `--config`, else the first of CONFIG_NAMES in `cwd`. */
export function locateConfig(cwd, configOption) {
  if (configOption) return resolve(cwd, configOption);
  return CONFIG_NAMES.map((name) => resolve(cwd, name)).find((file) => existsSync(file));
}

/** Reads and parses a wrangler.json(c) or wrangler.toml. */
export function readConfig(file) {
  const text = readFileSync(file, "utf8");
  const config = file.endsWith(".toml") ? parseToml(text) : parseJsonc(text);
  if (config === null || typeof config !== "object" || Array.isArray(config))
    throw new Error("the top level is not an object");
  return config;
}

const isFile = (file) => {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
};
const isDirectory = (file) => {
  try {
    return statSync(file).isDirectory();
  } catch {
    return false;
  }
};

/**
 * The storage each Durable Object class gets from the migrations, in order:
 * "sqlite", "kv", or "transferred" (moved from another script).
 */
export function classStorage(migrations) {
  const storage = new Map();
  for (const migration of Array.isArray(migrations) ? migrations : []) {
    for (const name of migration?.new_sqlite_classes ?? []) storage.set(name, "sqlite");
    for (const name of migration?.new_classes ?? []) storage.set(name, "kv");
    for (const { from, to } of migration?.renamed_classes ?? []) {
      if (storage.has(from)) storage.set(to, storage.get(from));
      storage.delete(from);
    }
    for (const { to } of migration?.transferred_classes ?? []) storage.set(to, "transferred");
    for (const name of migration?.deleted_classes ?? []) storage.delete(name);
  }
  return storage;
}

/**
 * What wrangler makes of a container's `image`: a Dockerfile, a registry
 * reference (it has a tag), or neither. Relative paths are from the config's folder.
 */
export function classifyImage(image, configDir) {
  const path = resolve(configDir, image);
  if (isFile(path)) return { kind: "dockerfile", path };
  if (isDirectory(path)) return { kind: "directory", path };
  const last = image.split("/").pop() ?? "";
  if (!image.includes("://") && last.includes(":") && !/\s/.test(image)) return { kind: "registry" };
  return { kind: "missing", path };
}

/** Snippets in the configuration's own syntax, for the fixes. */
function snippets(format) {
  const toml = format === "toml";
  return {
    binding: (cls) =>
      toml
        ? `[[durable_objects.bindings]]\nname = "${bindingName(cls)}"\nclass_name = "${cls}"`
        : `"durable_objects": { "bindings": [{ "name": "${bindingName(cls)}", "class_name": "${cls}" }] }`,
    migration: (cls, tag) =>
      toml
        ? `[[migrations]]\ntag = "${tag}"\nnew_sqlite_classes = ["${cls}"]`
        : `"migrations": [{ "tag": "${tag}", "new_sqlite_classes": ["${cls}"] }]` +
          "   (append to the list if there is one)",
    maxInstances: toml ? "max_instances = 5" : '"max_instances": 5',
    containers: toml
      ? '[[containers]]\nclass_name = "MyContainer"\nimage = "./Dockerfile"\nmax_instances = 5'
      : '"containers": [{ "class_name": "MyContainer", "image": "./Dockerfile", "max_instances": 5 }]',
  };
}

/** "a, b, c and 4 more" */
function listed(items, max = 3) {
  if (items.length <= max) return items.join(", ");
  return `${items.slice(0, max).join(", ")} and ${items.length - max} more`;
}

function bindingName(cls) {
  return (
    cls
      .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
      .replace(/[^A-Za-z0-9_]/g, "_")
      .toUpperCase() || "CONTAINER"
  );
}

/** Per-container checks: one line each for binding, migration, image, max_instances, class and interception. */
function checkContainer(ctx, entry, index, code) {
  const { config, format } = ctx.project;
  const say = snippets(format);
  const cls = typeof entry?.class_name === "string" ? entry.class_name : undefined;
  const prefix = `container.${cls ?? index}`;
  if (!cls) {
    return [
      fail(
        `${prefix}.class-name`,
        `containers[${index}]: no class_name`,
        'Name the Durable Object class that runs this container: "class_name": "MyContainer".',
      ),
    ];
  }
  const results = [];

  const bindings = Array.isArray(config.durable_objects?.bindings) ? config.durable_objects.bindings : [];
  const local = bindings.find((b) => b?.class_name === cls && (!b.script_name || b.script_name === config.name));
  const foreign = bindings.find((b) => b?.class_name === cls && b.script_name && b.script_name !== config.name);
  if (local) {
    results.push(pass(`${prefix}.durable-object`, `${cls}: bound as Durable Object ${local.name ?? "(no name)"}`));
  } else if (foreign) {
    results.push(
      fail(
        `${prefix}.durable-object`,
        `${cls}: bound only from another Worker (script_name ${foreign.script_name}); ` +
          "a container's class must live in this Worker",
        `Bind it without script_name:\n${say.binding(cls)}`,
      ),
    );
  } else {
    results.push(
      fail(
        `${prefix}.durable-object`,
        `${cls}: no durable_objects binding with class_name "${cls}"`,
        `Add a binding:\n${say.binding(cls)}`,
      ),
    );
  }

  const storage = classStorage(config.migrations).get(cls);
  const nextTag = `v${(Array.isArray(config.migrations) ? config.migrations.length : 0) + 1}`;
  if (storage === "sqlite") {
    results.push(pass(`${prefix}.migration`, `${cls}: created by a new_sqlite_classes migration`));
  } else if (storage === "kv") {
    results.push(
      fail(
        `${prefix}.migration`,
        `${cls}: created by a new_classes migration (key-value storage); containers need SQLite-backed Durable Objects`,
        `Never deployed: move "${cls}" from new_classes to new_sqlite_classes. ` +
          "Deployed: a class cannot change its storage; add a new class for the container " +
          "and migrate it with new_sqlite_classes.",
      ),
    );
  } else if (storage === "transferred") {
    results.push(
      warn(
        `${prefix}.migration`,
        `${cls}: transferred from another script; doctor cannot see whether it is SQLite-backed`,
        "Make sure the original migration used new_sqlite_classes.",
      ),
    );
  } else {
    results.push(
      fail(
        `${prefix}.migration`,
        `${cls}: no migration with "${cls}" in new_sqlite_classes`,
        `Add a migration:\n${say.migration(cls, nextTag)}`,
      ),
    );
  }

  if (typeof entry.image !== "string" || !entry.image) {
    results.push(
      fail(
        `${prefix}.image`,
        `${cls}: no image`,
        'Set "image" to the path of a Dockerfile (relative to the config) or a registry image with a tag.',
      ),
    );
  } else {
    const image = classifyImage(entry.image, ctx.project.dir);
    if (image.kind === "dockerfile") {
      const context = entry.image_build_context ? resolve(ctx.project.dir, entry.image_build_context) : undefined;
      if (context && !isDirectory(context)) {
        results.push(
          fail(
            `${prefix}.image`,
            `${cls}: image_build_context ${entry.image_build_context} is not a folder (${context})`,
            "Point image_build_context at the folder the Dockerfile builds from, " +
              "or remove it (the Dockerfile's folder is the default).",
          ),
        );
      } else {
        results.push(pass(`${prefix}.image`, `${cls}: Dockerfile ${relative(ctx.cwd, image.path) || image.path}`));
      }
    } else if (image.kind === "registry") {
      results.push(pass(`${prefix}.image`, `${cls}: registry image ${entry.image} (wrangler dev pulls it)`));
    } else if (image.kind === "directory") {
      results.push(
        fail(
          `${prefix}.image`,
          `${cls}: image ${entry.image} is a folder; wrangler wants the Dockerfile itself`,
          `Set "image" to the Dockerfile, e.g. "${entry.image.replace(/\/$/, "")}/Dockerfile".`,
        ),
      );
    } else {
      results.push(
        fail(
          `${prefix}.image`,
          `${cls}: image ${entry.image} is neither a Dockerfile that exists (${image.path}) ` +
            "nor a registry image with a tag",
          "Create the Dockerfile there, fix the path (it is relative to the config file), " +
            "or name a registry image with a tag (docker.io/library/httpd:2).",
        ),
      );
    }
  }

  const max = entry.max_instances;
  if (max === undefined) {
    results.push(
      warn(
        `${prefix}.max-instances`,
        `${cls}: max_instances not set`,
        `Set it to the most instances that may run at once: ${say.maxInstances}`,
      ),
    );
  } else if (!Number.isInteger(max) || max < 1) {
    results.push(
      fail(
        `${prefix}.max-instances`,
        `${cls}: max_instances ${JSON.stringify(max)} is not a positive whole number`,
        say.maxInstances,
      ),
    );
  } else {
    results.push(pass(`${prefix}.max-instances`, `${cls}: max_instances ${max}`));
  }

  results.push(...checkClass(cls, prefix, code));
  return results;
}

/** The static checks of one class's code: exported by main, extends Container, ContainerProxy if needed. */
function checkClass(cls, prefix, code) {
  if (!code) {
    return [
      skip(`${prefix}.class`, `${cls}: class not checked (no main module)`),
      skip(`${prefix}.outbound`, `${cls}: interception not checked (no main module)`),
    ];
  }
  const { graph, mainFile, mainShown, calls } = code;
  const results = [];
  const origin = graph.resolveExport(mainFile, cls);
  let from;
  let features = calls.length ? [`calls ${listed(calls)}`] : [];
  if (!origin) {
    results.push(
      fail(
        `${prefix}.class`,
        `${cls}: not exported by main (${mainShown}); ` +
          "wrangler dev needs every Durable Object class exported from the main module",
        `In ${mainShown}: export class ${cls} extends Container { … }, ` +
          `or re-export it: export { ${cls} } from "./where-it-is";`,
      ),
    );
  } else if (origin.kind === "unknown" || origin.kind === "namespace") {
    results.push(
      warn(`${prefix}.class`, `${cls}: could not tell whether main exports it (${origin.reason ?? "a namespace"})`),
    );
  } else if (origin.kind === "package") {
    if (CONTAINER_PACKAGES.includes(origin.from)) {
      from = origin.from;
      results.push(pass(`${prefix}.class`, `${cls}: exported by main, ${origin.name} from ${origin.from}`));
    } else {
      results.push(
        warn(
          `${prefix}.class`,
          `${cls}: exported by main from ${origin.from}; doctor cannot see whether it extends Container`,
        ),
      );
    }
  } else {
    features = [...interceptionFeatures(graph, origin.file, origin.name), ...features];
    const trace = graph.traceContainer(origin.file, origin.name);
    const bases = trace.chain.slice(1).join(" → ");
    if (trace.ok) {
      from = trace.from;
      results.push(
        pass(`${prefix}.class`, `${cls}: exported by main, extends ${bases}${trace.from ? ` (${trace.from})` : ""}`),
      );
    } else if (trace.ok === false) {
      results.push(
        warn(
          `${prefix}.class`,
          `${cls}: extends ${bases}, not Container (${trace.reason}); fine only if it drives ctx.container itself`,
          `import { Container } from "workerd-containers"; export class ${cls} extends Container { … }`,
        ),
      );
    } else {
      results.push(warn(`${prefix}.class`, `${cls}: could not follow what it extends (${trace.reason})`));
    }
  }

  if (features.length === 0) {
    results.push(pass(`${prefix}.outbound`, `${cls}: no outbound interception declared (ContainerProxy not needed)`));
    return results;
  }
  const proxy = graph.resolveExport(mainFile, "ContainerProxy");
  const used = features.join(", ");
  if (proxy && proxy.kind !== "unknown") {
    results.push(pass(`${prefix}.outbound`, `${cls}: outbound interception (${used}); main exports ContainerProxy`));
  } else if (proxy) {
    results.push(
      warn(
        `${prefix}.outbound`,
        `${cls}: outbound interception (${used}); could not tell whether main exports ContainerProxy (${proxy.reason})`,
      ),
    );
  } else {
    results.push(
      fail(
        `${prefix}.outbound`,
        `${cls}: outbound interception (${used}) but main (${mainShown}) does not export ContainerProxy; ` +
          `every start of ${cls} fails`,
        `Add to ${mainShown}: export { ContainerProxy } from "${from ?? "workerd-containers"}";`,
      ),
    );
  }
  return results;
}

export const projectChecks = [
  {
    id: "config",
    label: "Wrangler configuration",
    async run(ctx) {
      const file = ctx.configPath;
      if (!file) {
        ctx.project = undefined;
        return fail(
          "config",
          `config: no ${CONFIG_NAMES.join(", ")} in ${ctx.cwd}`,
          "Run doctor in the project's folder, or name the file: " +
            "npx workerd-containers doctor --config path/to/wrangler.jsonc",
        );
      }
      const shown = relative(ctx.cwd, file) || file;
      if (!isFile(file)) {
        return fail(
          "config",
          `config: ${shown} does not exist`,
          "Pass the path of your wrangler.jsonc, wrangler.json or wrangler.toml to --config.",
        );
      }
      let config;
      try {
        config = readConfig(file);
      } catch (error) {
        return fail("config", `config: ${shown} does not parse: ${error.message}`, "Fix the syntax at that place.");
      }
      ctx.project = { file, shown, config, dir: ctx.projectDir, format: file.endsWith(".toml") ? "toml" : "json" };
      return pass("config", `config: ${shown}`);
    },
  },
  {
    id: "containers",
    label: "containers",
    async run(ctx) {
      if (!ctx.project) return skip("containers", "containers: not checked (no configuration)");
      const { config, shown, format } = ctx.project;
      const entries = config.containers;
      if (entries !== undefined && !Array.isArray(entries)) {
        return fail("containers", `containers: in ${shown} is not a list`, snippets(format).containers);
      }
      if (!entries?.length) {
        return warn(
          "containers",
          `containers: none in ${shown}; nothing to run under wrangler dev`,
          snippets(format).containers,
        );
      }
      const results = [];
      const mainResult = checkMain(ctx);
      results.push(mainResult.result);
      for (const [index, entry] of entries.entries()) {
        results.push(...checkContainer(ctx, entry, index, mainResult.code));
      }
      return results;
    },
  },
];

/** `main` exists; its module graph, read once for every class. */
function checkMain(ctx) {
  const { config } = ctx.project;
  if (typeof config.main !== "string" || !config.main) {
    return {
      result: fail(
        "main",
        "main: not set; the Worker's Durable Object classes are exported from it",
        '"main": "src/index.ts"',
      ),
    };
  }
  const mainFile = resolve(ctx.project.dir, config.main);
  const mainShown = relative(ctx.cwd, mainFile) || mainFile;
  if (!isFile(mainFile)) {
    return {
      result: fail("main", `main: ${mainShown} does not exist`, 'Fix "main" (relative to the config file\'s folder).'),
    };
  }
  const graph = new ModuleGraph();
  graph.loadAll(mainFile);
  return {
    result: pass("main", `main: ${mainShown}`),
    code: { graph, mainFile, mainShown, calls: interceptionCalls(graph) },
  };
}
