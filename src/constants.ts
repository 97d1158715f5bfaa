/**
 * @module constants
 * Storage keys, table names, defaults and signal numbers shared across modules.
 */

// --- Compatibility contract -------------------------------------------------
// Do not rename: Durable Objects created by `@cloudflare/containers` already
// hold data under these names, and a drop-in replacement must keep reading it.

/** Storage key holding the persisted {@link State}. */
export const STATE_STORAGE_KEY = "__CF_CONTAINER_STATE";
/** SQLite table holding schedules created by `schedule()`. */
export const SCHEDULES_TABLE = "container_schedules";
/** Storage key for runtime outbound (egress) configuration. */
export const OUTBOUND_CONFIGURATION_KEY = "OUTBOUND_CONFIGURATION";

// Not in the original's layout: lets the idle deadline survive an eviction
// without writing storage on every request (written at most once per alarm).
/** Storage key for the persisted idle deadline (ms since epoch). */
export const ACTIVITY_DEADLINE_KEY = "__CF_CONTAINER_ACTIVITY_DEADLINE";

/** Storage key for the restart policy's progress (opt-in `restart`). */
export const RESTART_STATUS_KEY = "__CF_CONTAINER_RESTART";
/** Storage key for the `hardTimeout` deadline of the running container. */
export const HARD_DEADLINE_KEY = "__CF_CONTAINER_HARD_DEADLINE";
/**
 * Storage key for the latest good `persistDisk` snapshot (its ids, size and
 * time). Do not rename: existing Durable Objects restore from it.
 */
export const PERSIST_SNAPSHOT_KEY = "__CF_CONTAINER_DISK_SNAPSHOT";

// --- Defaults ----------------------------------------------------------------

/** Default idle time before `onActivityExpired`. */
export const DEFAULT_SLEEP_AFTER = "10m";
/** Default host + path probed to decide that a port is ready. */
export const DEFAULT_PING_ENDPOINT = "ping";
/** Port probed when nothing else names one (matches the original). */
export const FALLBACK_PORT = 33;
/** Budget to obtain an instance and issue the start command. */
export const DEFAULT_INSTANCE_GET_TIMEOUT_MS = 8_000;
/** Budget for every port to accept connections. */
export const DEFAULT_PORT_READY_TIMEOUT_MS = 20_000;
/** The documented `waitInterval` default; `retries × waitInterval` is a wait's budget. */
export const DEFAULT_WAIT_INTERVAL_MS = 300;
/**
 * Upper bound of the gap between readiness probes when no `waitInterval` is
 * given, reached after {@link FAST_POLL_WINDOW_MS}: a port that opens late is
 * still seen within 50 ms (the bench measured up to ~215 ms late with a 300 ms
 * cap). An explicit `waitInterval` is the cap instead.
 */
export const DEFAULT_MAX_POLL_INTERVAL_MS = 50;
/**
 * Probes of one port start at least this far apart (unless a smaller
 * `waitInterval` is asked for): at most 50 probes a second, and a port that
 * opens is seen within 20 ms, 10 ms on average.
 */
export const PROBE_SPACING_MS = 20;
/**
 * For this long a wait probes every {@link PROBE_SPACING_MS}; after it the
 * spacing doubles up to the polling cap, so a slow start costs few probes.
 */
export const FAST_POLL_WINDOW_MS = 2_000;
/** Default name used by `getContainer`. */
export const DEFAULT_INSTANCE_NAME = "cf-singleton-container";
/** Default pool size for `getRandom`. */
export const DEFAULT_RANDOM_INSTANCES = 3;
/** Header `switchPort` sets and `fetch` reads to pick the container port. */
export const TARGET_PORT_HEADER = "cf-container-target-port";
/** Base URL that relative `containerFetch` URLs resolve against. */
export const CONTAINER_BASE_URL = "http://container";
/** Seconds a client should wait before retrying after "no instance". */
export const NO_INSTANCE_RETRY_AFTER_S = 3;
/** Seconds a client should wait before retrying after a rate-limited start. */
export const RATE_LIMITED_RETRY_AFTER_S = 1;
/** Default `scheduleNextAlarm` delay. */
export const DEFAULT_NEXT_ALARM_MS = 1_000;

/** POSIX signal numbers for the named signals `stop()` accepts. */
export const SIGNAL_NUMBERS = { SIGINT: 2, SIGKILL: 9, SIGTERM: 15 } as const;

/** Restart policy defaults. */
export const DEFAULT_RESTART_MAX_RETRIES = 3;
export const DEFAULT_BACKOFF_INITIAL_MS = 1_000;
export const DEFAULT_BACKOFF_MAX_MS = 30_000;
export const DEFAULT_BACKOFF_FACTOR = 2;
export const DEFAULT_BACKOFF_JITTER = 0.2;
/** After `hardTimeout`'s SIGTERM, how long before the container is killed. */
export const HARD_TIMEOUT_KILL_GRACE_MS = 10_000;
