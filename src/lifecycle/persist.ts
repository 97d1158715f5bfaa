/**
 * @module lifecycle/persist
 * Opt-in `persistDisk`: before the library stops the container on purpose it
 * snapshots the listed directories (or the whole filesystem) while the
 * process still runs, keeps the latest good snapshot's ids in Durable Object
 * storage, and the next start restores them. The validation of the field, the
 * stored record and the runtime's start options for a restore live here;
 * `Lifecycle` decides when.
 */

import { PERSIST_SNAPSHOT_KEY } from "../constants";
import { describeValue, messageOf } from "../errors";
import type { ContainerEvent } from "../events";
import type {
  ContainerRuntime,
  RuntimeContainerSnapshot,
  RuntimeDirectorySnapshot,
  RuntimeStartOptions,
} from "../runtime";

/** What happens when a start cannot restore the stored snapshot. */
export type RestoreFailure = "fail" | "start-clean";

/**
 * Keep the container's files across stops: the directories listed (each one
 * snapshot), or the whole container filesystem (`container: true`).
 */
export type PersistDisk =
  | {
      /** Absolute paths of the directories to keep, e.g. `["/data"]`. */
      directories: string[];
      /** A start that cannot restore: fail it (the default), or start once without the snapshot. */
      restoreFailure?: RestoreFailure;
    }
  | {
      /** Snapshot the whole filesystem of the container. */
      container: true;
      /** A start that cannot restore: fail it (the default), or start once without the snapshot. */
      restoreFailure?: RestoreFailure;
    };

/** The snapshot the next start restores, as `getState().snapshot` shows it. */
export interface SnapshotStatus {
  /** The runtime's snapshot ids (one per directory, or the container's one). */
  ids: string[];
  /** When it was taken (ms since the epoch). */
  takenAt: number;
  /** Its size in bytes, all directories together. */
  bytes: number;
}

/** `persistDisk`, checked: directories normalised, the failure mode defaulted. */
export type ResolvedPersist =
  | { readonly kind: "directory"; readonly directories: readonly string[]; readonly restoreFailure: RestoreFailure }
  | { readonly kind: "container"; readonly restoreFailure: RestoreFailure };

/** The record under {@link PERSIST_SNAPSHOT_KEY}: the latest good snapshot. */
interface StoredSnapshot {
  kind: "directory" | "container";
  /** Directory snapshots as the runtime returned them (a restore passes them back whole). */
  directories?: RuntimeDirectorySnapshot[];
  container?: RuntimeContainerSnapshot;
  takenAt: number;
  bytes: number;
}

const EXPECTED =
  'Expected { directories: ["/data", …] } or { container: true }, with restoreFailure?: "fail" | "start-clean"';
const RESTORE_FAILURES = new Set<unknown>(["fail", "start-clean"]);
const CONTROL_CHARACTER = /\p{Cc}/u;

/**
 * Check `persistDisk` and normalise it (trailing slashes dropped).
 * @throws TypeError naming what is wrong and what is accepted
 */
export function resolvePersist(value: unknown): ResolvedPersist | undefined {
  if (value === undefined || value === null) return undefined;
  const fail = (what: string): never => {
    throw new TypeError(`Invalid persistDisk: ${what}. ${EXPECTED}.`);
  };
  if (typeof value !== "object" || Array.isArray(value)) return fail(describeValue(value));
  const fields = value as Record<string, unknown>;
  const unknown = Object.keys(fields).filter((key) => !["directories", "container", "restoreFailure"].includes(key));
  if (unknown.length > 0) fail(`unknown key ${JSON.stringify(unknown[0])}`);
  const restoreFailure = fields.restoreFailure ?? "fail";
  if (!RESTORE_FAILURES.has(restoreFailure)) fail(`restoreFailure is ${describeValue(fields.restoreFailure)}`);
  const mode = restoreFailure as RestoreFailure;
  const hasDirectories = fields.directories !== undefined;
  if (hasDirectories && fields.container !== undefined) fail("it sets both directories and container; choose one");
  if (!hasDirectories) {
    if (fields.container !== true) fail(`container is ${describeValue(fields.container)}, not true`);
    return Object.freeze({ kind: "container", restoreFailure: mode });
  }
  const list = fields.directories;
  if (!Array.isArray(list)) return fail(`directories is ${describeValue(list)}`);
  if (list.length === 0) fail("directories is empty; list at least one");
  const directories = list.map((entry) => assertDirectory(entry, fail));
  for (const [i, dir] of directories.entries()) {
    const other = directories.findIndex((candidate, j) => j !== i && within(dir, candidate));
    if (other === -1) continue;
    if (directories[other] === dir) fail(`${JSON.stringify(dir)} is listed twice`);
    fail(`${JSON.stringify(dir)} is inside ${JSON.stringify(directories[other])}; list only the outer one`);
  }
  return Object.freeze({ kind: "directory", directories: Object.freeze(directories), restoreFailure: mode });
}

/** An absolute path, not `/`, without `.`/`..`/empty segments or control characters; trailing slashes dropped. */
function assertDirectory(entry: unknown, fail: (what: string) => never): string {
  if (typeof entry !== "string" || !entry.startsWith("/")) {
    return fail(`the directory ${describeValue(entry)} is not an absolute path (starting with "/")`);
  }
  const shown = JSON.stringify(entry);
  if (CONTROL_CHARACTER.test(entry)) fail(`the directory ${shown} contains a control character`);
  const dir = entry.replace(/\/+$/, "");
  if (dir === "") fail('"/" cannot be restored as a directory; use { container: true } for the whole filesystem');
  if (dir.split("/").some((part) => part === "." || part === "..")) {
    fail(`the directory ${shown} has a "." or ".." segment`);
  }
  // The runtime reports the path normalised; "//" would never match it again on restore.
  if (dir.includes("//")) fail(`the directory ${shown} has an empty segment ("//")`);
  return dir;
}

/** Whether `dir` is `parent` or lies inside it. */
function within(dir: string, parent: string): boolean {
  return dir === parent || dir.startsWith(`${parent}/`);
}

/** What {@link DiskPersistence} needs from its Container. */
export interface PersistenceHost {
  readonly storage: DurableObjectStorage;
  readonly runtime: ContainerRuntime;
  emit(event: ContainerEvent): void;
}

/** The latest good snapshot of one Durable Object: taking, storing and restoring it. */
export class DiskPersistence {
  readonly #host: PersistenceHost;
  #stored: StoredSnapshot | undefined;

  constructor(host: PersistenceHost) {
    this.#host = host;
  }

  /** Read the stored snapshot (once, at start-up). */
  async load(): Promise<void> {
    this.#stored = await this.#host.storage.get<StoredSnapshot>(PERSIST_SNAPSHOT_KEY);
  }

  /** The stored snapshot, for `getState()`. */
  get status(): SnapshotStatus | undefined {
    const stored = this.#stored;
    return stored && { ids: idsOf(stored), takenAt: stored.takenAt, bytes: stored.bytes };
  }

  /**
   * `options` with the stored snapshot to restore, when `persist` wants the
   * kind stored: the directory snapshots of directories still listed, or the
   * container snapshot (which replaces the image, so `image` is left out).
   * Returns `options` itself when there is nothing to restore.
   */
  withRestore(options: RuntimeStartOptions, persist: ResolvedPersist | undefined): RuntimeStartOptions {
    const stored = this.#stored;
    if (!persist || stored?.kind !== persist.kind) return options;
    if (persist.kind === "container") {
      if (!stored.container) return options;
      const { image: _image, ...rest } = options;
      return { ...rest, containerSnapshot: { id: stored.container.id } };
    }
    const listed = (stored.directories ?? []).filter((snapshot) => persist.directories.includes(snapshot.dir));
    if (listed.length === 0) return options;
    return { ...options, directorySnapshots: listed.map((snapshot) => ({ snapshot: { ...snapshot } })) };
  }

  /**
   * Snapshot the running container as `persist` says and store it as the
   * latest good one (emitting `snapshot`). All or nothing: when any part
   * fails, the previous snapshot stays and the error is returned, never thrown.
   */
  async take(persist: ResolvedPersist): Promise<unknown> {
    const { runtime } = this.#host;
    const began = Date.now();
    let snapshot: StoredSnapshot;
    try {
      if (persist.kind === "container") {
        if (typeof runtime.snapshotContainer !== "function") return unavailable("snapshotContainer");
        const taken = await runtime.snapshotContainer({});
        snapshot = { kind: "container", container: { ...taken }, takenAt: Date.now(), bytes: taken.size };
      } else {
        if (typeof runtime.snapshotDirectory !== "function") return unavailable("snapshotDirectory");
        const snapshotDirectory = runtime.snapshotDirectory.bind(runtime);
        const taken = await Promise.all(persist.directories.map((dir) => snapshotDirectory({ dir })));
        const bytes = taken.reduce((sum, part) => sum + part.size, 0);
        snapshot = { kind: "directory", directories: taken.map((part) => ({ ...part })), takenAt: Date.now(), bytes };
      }
    } catch (error) {
      return new Error(
        `Snapshotting the container before it stops failed, so the previous snapshot is kept: ${messageOf(error)}`,
        { cause: error },
      );
    }
    await this.#host.storage.put(PERSIST_SNAPSHOT_KEY, snapshot);
    this.#stored = snapshot;
    const at = Date.now();
    this.#host.emit({
      type: "snapshot",
      at,
      kind: snapshot.kind,
      ids: idsOf(snapshot),
      bytes: snapshot.bytes,
      ms: at - began,
    });
    return undefined;
  }
}

/** The snapshot ids a start's options restore, if any. */
export function restoredIds(options: RuntimeStartOptions): string[] | undefined {
  if (options.containerSnapshot) return [options.containerSnapshot.id];
  const ids = options.directorySnapshots?.flatMap((entry) => (entry.snapshot ? [entry.snapshot.id] : []));
  return ids && ids.length > 0 ? ids : undefined;
}

/** `options` without a restore: what `restoreFailure: "start-clean"` starts with. */
export function withoutRestore(options: RuntimeStartOptions): RuntimeStartOptions {
  const { directorySnapshots: _directories, containerSnapshot: _container, ...rest } = options;
  return rest;
}

/**
 * The error a start that passed a snapshot fails with: says which ids and
 * what the runtime said, and whether the container starts clean instead.
 */
export class RestoreFailedError extends Error {
  override readonly name = "RestoreFailedError";

  constructor(
    readonly ids: readonly string[],
    cause: unknown,
    /** `restoreFailure: "start-clean"`: the start is tried once more, without the snapshot. */
    readonly startsClean: boolean,
  ) {
    const next = startsClean
      ? 'starting without it once (persistDisk.restoreFailure is "start-clean"); the next stop replaces it'
      : 'the snapshot is kept; set persistDisk.restoreFailure = "start-clean" to start without it instead';
    super(`Restoring the container's snapshot ${ids.join(", ")} failed: ${messageOf(cause)}; ${next}.`, { cause });
  }
}

function idsOf(snapshot: StoredSnapshot): string[] {
  if (snapshot.kind === "container") return snapshot.container ? [snapshot.container.id] : [];
  return (snapshot.directories ?? []).map((part) => part.id);
}

function unavailable(method: string): Error {
  return new Error(
    `persistDisk needs ctx.container.${method}(), which this runtime does not have: update wrangler ` +
      '(locally, add the "experimental" compatibility flag). The container stops without a snapshot.',
  );
}
