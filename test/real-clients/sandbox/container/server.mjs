// A stand-in for the @cloudflare/sandbox container server, for running the
// UNMODIFIED sandbox SDK (0.12.7) under wrangler dev against real Docker.
// It speaks the part of the container's HTTP protocol that the tests use,
// written from what the SDK's clients send and read (its HttpTransport,
// WebSocketTransport and Command/File/Process/Port/Utility clients); it is
// not the real server and runs no shell: commands are split into words and
// spawned directly (see command.mjs). Plain Node 22 with node: builtins only
// (the rpc transport alone loads a copied capnweb dist, see rpc.mjs); PID 1 in
// a FROM-scratch image.
//
// Control plane, port 3000 (SANDBOX_STANDIN_PORT). JSON in, JSON out; errors
// are the SDK's ErrorResponse { code, message, context, httpStatus, timestamp }.
//   GET  /api/ping                 { success, message: "pong", uptime, timestamp }
//   GET  /api/version              { success, version ($SANDBOX_VERSION), timestamp }
//   GET  /api/health               { success, status: "healthy", timestamp }
//   GET  /api/commands             { success, availableCommands, count, timestamp }
//   POST /api/session/create       { id, env?, cwd?, commandTimeoutMs? }
//                                  → { success, id, message, containerPlacementId, timestamp }
//                                  (an existing id → 409 SESSION_ALREADY_EXISTS,
//                                    context { sessionId, containerPlacementId })
//   POST /api/session/delete       { sessionId } → { success, sessionId, timestamp }
//   GET  /api/session/list         { success, sessions, timestamp }
//   POST /api/execute              { command, sessionId, timeoutMs?, env?, cwd? }
//                                  → { success, exitCode, stdout, stderr, command, duration, timestamp, sessionId }
//   POST /api/execute/stream       same body → SSE: start, stdout/stderr…, complete { exitCode }
//   POST /api/process/start        { command, sessionId, processId?, timeoutMs?, env?, cwd? }
//                                  → { success, processId, pid, command, timestamp }
//   GET  /api/process/list         { success, processes: [{ id, pid, command, status, startTime, endTime,
//                                    exitCode }], timestamp }
//   GET  /api/process/:id          { success, process, timestamp }   (unknown → 404 PROCESS_NOT_FOUND)
//   DELETE /api/process/:id        SIGTERM → { success, processId, timestamp }
//   DELETE /api/process/kill-all   { success, cleanedCount, timestamp }
//   GET  /api/process/:id/logs     { success, processId, stdout, stderr, timestamp }
//   GET  /api/process/:id/stream   SSE: process_info, stdout/stderr…, exit { exitCode }
//   POST /api/write                { path, content, encoding? ("base64"|"utf-8") }
//                                  → { success, path, timestamp, exitCode }
//   POST /api/read                 { path, encoding? } → { success, path, content, encoding, isBinary, mimeType,
//                                    size, timestamp, exitCode }
//   POST /api/read/stream          { path } → SSE: metadata, chunk…, complete { bytesRead }
//   POST /api/mkdir                { path, recursive? } → { success, path, recursive, timestamp, exitCode }
//   POST /api/delete               { path } → { success, path, timestamp, exitCode }
//   POST /api/rename               { oldPath, newPath } → { success, path, newPath, timestamp, exitCode }
//   POST /api/move                 { sourcePath, destinationPath } → same shape
//   POST /api/exists               { path } → { success, path, exists, timestamp }
//   POST /api/list-files           { path, options: { recursive?, includeHidden? } }
//                                  → { success, path, files, count, timestamp }
//   POST /api/port-watch           { port, mode, path, statusMin, statusMax, processId?, interval? }
//                                  → SSE: watching, ready | process_exited | error
//   GET  /ws  (WebSocket)          the SDK's websocket transport (SANDBOX_TRANSPORT=websocket):
//                                  ← { type: "request", id, method, path, body?, headers? }
//                                  ← { type: "cancel", id }
//                                  → { type: "response", id, status, body, done: true }       (plain JSON routes)
//                                  → { type: "stream", id, data } … then
//                                    { type: "response", id, status, done: true }             (SSE routes)
//                                  → { type: "error", id, code, message, status }             (a handler threw)
//   GET  /rpc (WebSocket)          the SDK's rpc transport (SANDBOX_TRANSPORT=rpc): a capnweb session whose
//                                  main object has commands/files/processes/ports/utils (rpc.mjs), each
//                                  method the matching route above
// Relative paths and the default cwd resolve against the session's cwd
// (/workspace in the image). Process records are kept until kill-all or exit.
//
// Preview app, port 8080 (PREVIEW_PORT), listening before port 3000 is:
//   GET /hello                     200 "hello from preview"
//   GET /drip?ms=N&chunks=K&size=B 200, K chunks of B (default 1024) bytes of "x", one every N/K ms;
//                                  content-length and x-drip-bytes K*B
//   GET /headers                   the request's method, url and headers as JSON
//   GET /ws  (WebSocket)           echo
// Env: SANDBOX_STANDIN_PORT (3000), PREVIEW_PORT (8080), SANDBOX_VERSION,
//      STANDIN_QUIET=1 (no request log).
import { randomUUID } from "node:crypto";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import http from "node:http";
import net from "node:net";
import { basename, dirname, extname, isAbsolute, join, relative, resolve } from "node:path";
import { launch, liveChildren } from "./command.mjs";
import { serveRpcSocket } from "./rpc.mjs";
import { acceptWebSocket } from "./websocket.mjs";

const CONTROL_PORT = Number(process.env.SANDBOX_STANDIN_PORT ?? 3000);
const PREVIEW_PORT = Number(process.env.PREVIEW_PORT ?? 8080);
const VERSION = process.env.SANDBOX_VERSION ?? "unknown";
const QUIET = process.env.STANDIN_QUIET === "1";
const DEFAULT_CWD = "/workspace";
// The SDK's marker for "run without a session" (DISABLE_SESSION_TOKEN).
const NO_SESSION = "__DISABLE_SESSION__";
const STARTED = Date.now();
const log = (...args) => console.log("[sandbox-standin]", ...args);

// ---------------------------------------------------------------- helpers

const now = () => new Date().toISOString();

const ok = (body) => ({ status: 200, json: { success: true, ...body, timestamp: now() } });

const HTTP_STATUS = {
  FILE_NOT_FOUND: 404,
  PROCESS_NOT_FOUND: 404,
  IS_DIRECTORY: 400,
  NOT_DIRECTORY: 400,
  VALIDATION_FAILED: 400,
  PERMISSION_DENIED: 403,
  FILE_EXISTS: 409,
  SESSION_ALREADY_EXISTS: 409,
  PROCESS_ERROR: 500,
  FILESYSTEM_ERROR: 500,
  UNKNOWN_ERROR: 404,
  INTERNAL_ERROR: 500,
};

/** The SDK's ErrorResponse; createErrorFromResponse picks the class by code. */
function fail(code, message, context = {}, status = HTTP_STATUS[code] ?? 500) {
  return { status, json: { code, message, context, httpStatus: status, timestamp: now() } };
}

/** Maps a node:fs error to the SDK's file error codes. */
function fsFailure(error, path, operation) {
  const byErrno = {
    ENOENT: "FILE_NOT_FOUND",
    EISDIR: "IS_DIRECTORY",
    ENOTDIR: "NOT_DIRECTORY",
    EACCES: "PERMISSION_DENIED",
    EPERM: "PERMISSION_DENIED",
    EEXIST: "FILE_EXISTS",
  };
  const code = byErrno[error?.code] ?? "FILESYSTEM_ERROR";
  return fail(code, `${operation} ${path}: ${error?.message ?? error}`, { path, operation, errno: error?.code });
}

function requireString(body, field) {
  if (typeof body?.[field] !== "string" || body[field] === "") {
    throw Object.assign(new Error(`${field} is required`), {
      response: fail("VALIDATION_FAILED", `${field} is required`, { field }),
    });
  }
  return body[field];
}

/** Drops undefined/null values and stringifies the rest (JSON has no undefined). */
/**
 * A command's env, plus SANDBOX_STANDIN_TRANSPORT: which transport carried
 * the request ("http", "websocket", "rpc"), so a test can tell it was used.
 */
function transportEnv(env, transport) {
  return { ...cleanEnv(env), SANDBOX_STANDIN_TRANSPORT: transport ?? "unknown" };
}

function cleanEnv(env) {
  if (!env || typeof env !== "object") return undefined;
  const out = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && v !== null) out[k] = String(v);
  return out;
}

// ---------------------------------------------------------------- sessions

/** id → { id, env, cwd, commandTimeoutMs, createdAt } */
const sessions = new Map();

function newSession(id, { env, cwd, commandTimeoutMs } = {}) {
  let dir = cwd || DEFAULT_CWD;
  if (!existsSync(dir)) {
    // Outside the image (local runs) /workspace may not exist: fall back.
    log(`session ${id}: cwd ${dir} does not exist, using ${process.cwd()}`);
    dir = process.cwd();
  }
  const session = { id, env: cleanEnv(env) ?? {}, cwd: dir, commandTimeoutMs, createdAt: now() };
  sessions.set(id, session);
  return session;
}

/**
 * The session a request names; created on first use (the DO may believe a
 * session exists that this process never saw, e.g. after a restart). The
 * sessionless marker gets a throwaway session, so cd/export do not stick.
 */
function sessionFor(sessionId) {
  if (!sessionId || sessionId === NO_SESSION) return newSessionless();
  return sessions.get(sessionId) ?? newSession(sessionId);
}

function newSessionless() {
  const cwd = existsSync(DEFAULT_CWD) ? DEFAULT_CWD : process.cwd();
  return { id: undefined, env: {}, cwd, commandTimeoutMs: undefined };
}

function resolvePath(path, sessionId) {
  if (isAbsolute(path)) return path;
  return resolve(sessionFor(sessionId).cwd, path);
}

// ---------------------------------------------------------------- processes

/**
 * id → { id, pid, command, status, startTime, endTime, exitCode, stdout, stderr, run, killed, sessionId,
 * outputListeners, exitListeners }
 */
const processes = new Map();

function startTracked(command, { processId, sessionId, env, cwd, timeoutMs }) {
  const session = sessionFor(sessionId);
  const id = processId ?? `proc_${Date.now()}_${randomUUID().slice(0, 8)}`;
  const run = launch(command, { session, env: cleanEnv(env), cwd: cwd && resolvePath(cwd, sessionId), timeoutMs });
  const record = {
    id,
    pid: run.pid,
    command,
    status: "running",
    startTime: new Date(),
    endTime: undefined,
    exitCode: undefined,
    stdout: "",
    stderr: "",
    run,
    killed: false,
    sessionId: session.id,
    outputListeners: new Set(),
    exitListeners: new Set(),
  };
  run.onOutput((stream, text) => {
    record[stream] += text;
    for (const fn of record.outputListeners) fn(stream, text);
  });
  run.onExit((exitCode, signal) => {
    record.exitCode = exitCode;
    record.endTime = new Date();
    record.status = record.killed || (signal && !run.timedOut) ? "killed" : exitCode === 0 ? "completed" : "failed";
    for (const fn of record.exitListeners) fn(record);
    record.exitListeners.clear();
    record.outputListeners.clear();
  });
  processes.set(id, record);
  return record;
}

const isDone = (record) => record.status !== "running" && record.status !== "starting";

function processView(record) {
  return {
    id: record.id,
    pid: record.pid,
    command: record.command,
    status: record.status,
    startTime: record.startTime.toISOString(),
    endTime: record.endTime?.toISOString(),
    exitCode: record.exitCode,
    sessionId: record.sessionId,
  };
}

function killRecord(record, signal = "SIGTERM") {
  if (isDone(record)) return false;
  record.killed = true;
  return record.run.kill(signal);
}

// ---------------------------------------------------------------- files

const MIME = {
  ".txt": "text/plain",
  ".md": "text/markdown",
  ".html": "text/html",
  ".css": "text/css",
  ".js": "text/javascript",
  ".mjs": "text/javascript",
  ".ts": "text/typescript",
  ".json": "application/json",
  ".xml": "application/xml",
  ".csv": "text/csv",
  ".py": "text/x-python",
  ".sh": "text/x-shellscript",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".svg": "image/svg+xml",
  ".pdf": "application/pdf",
  ".zip": "application/zip",
  ".gz": "application/gzip",
};

const utf8Strict = new TextDecoder("utf-8", { fatal: true });

/** Text unless it holds NUL bytes or is not valid UTF-8. */
function looksBinary(buffer) {
  if (buffer.includes(0)) return true;
  try {
    utf8Strict.decode(buffer);
    return false;
  } catch {
    return true;
  }
}

function mimeFor(path, binary) {
  return MIME[extname(path).toLowerCase()] ?? (binary ? "application/octet-stream" : "text/plain");
}

function modeString(mode) {
  const chars = "rwxrwxrwx";
  let out = "";
  for (let i = 0; i < 9; i++) out += mode & (1 << (8 - i)) ? chars[i] : "-";
  return out;
}

function fileInfo(absolutePath, root) {
  const st = lstatSync(absolutePath);
  const type = st.isFile() ? "file" : st.isDirectory() ? "directory" : st.isSymbolicLink() ? "symlink" : "other";
  return {
    name: basename(absolutePath),
    absolutePath,
    relativePath: relative(root, absolutePath),
    type,
    size: st.size,
    modifiedAt: st.mtime.toISOString(),
    mode: modeString(st.mode),
    permissions: {
      readable: (st.mode & 0o444) !== 0,
      writable: (st.mode & 0o222) !== 0,
      executable: (st.mode & 0o111) !== 0,
    },
  };
}

function listDir(dir, root, { recursive, includeHidden }, out) {
  for (const name of readdirSync(dir).sort()) {
    if (!includeHidden && name.startsWith(".")) continue;
    const full = join(dir, name);
    const info = fileInfo(full, root);
    out.push(info);
    if (recursive && info.type === "directory") listDir(full, root, { recursive, includeHidden }, out);
  }
  return out;
}

// ---------------------------------------------------------------- SSE helpers

/**
 * A streaming reply: `start(emit, end)` begins producing events and returns a
 * cancel function; emit(obj) sends one `data: JSON` event. The HTTP adapter
 * writes them as text/event-stream, the WebSocket adapter as stream messages.
 */
const sse = (start) => ({ status: 200, sse: start });

/** Streams a command's events in the order the SDK's execStream expects. */
function execEvents(command, body) {
  return sse((emit, end) => {
    const session = sessionFor(body.sessionId);
    const run = launch(command, {
      session,
      env: cleanEnv(body.env),
      cwd: body.cwd && resolvePath(body.cwd, body.sessionId),
      timeoutMs: body.timeoutMs ?? session.commandTimeoutMs,
    });
    emit({ type: "start", command, pid: run.pid, sessionId: session.id, timestamp: now() });
    const off = run.onOutput((stream, data) => emit({ type: stream, data, timestamp: now() }));
    run.onExit((exitCode) => {
      off();
      emit({ type: "complete", exitCode, sessionId: session.id, timestamp: now() });
      end();
    });
    // A cancelled stream does not kill the command (the real server does not either).
    return off;
  });
}

function processEvents(record) {
  return sse((emit, end) => {
    emit({
      type: "process_info",
      processId: record.id,
      command: record.command,
      status: record.status,
      timestamp: now(),
    });
    if (record.stdout) emit({ type: "stdout", data: record.stdout, processId: record.id, timestamp: now() });
    if (record.stderr) emit({ type: "stderr", data: record.stderr, processId: record.id, timestamp: now() });
    const finish = () => {
      emit({
        type: "exit",
        processId: record.id,
        exitCode: record.exitCode,
        data: `Process ${record.status} with exit code ${record.exitCode}`,
        timestamp: now(),
      });
      end();
    };
    if (isDone(record)) {
      finish();
      return () => {};
    }
    const onOutput = (stream, data) => emit({ type: stream, data, processId: record.id, timestamp: now() });
    record.outputListeners.add(onOutput);
    record.exitListeners.add(finish);
    return () => {
      record.outputListeners.delete(onOutput);
      record.exitListeners.delete(finish);
    };
  });
}

function probePort({ port, mode, path, statusMin, statusMax }) {
  return new Promise((resolveProbe) => {
    if (mode === "tcp") {
      const socket = net.connect({ host: "127.0.0.1", port });
      socket.setTimeout(2000);
      socket.once("connect", () => {
        socket.destroy();
        resolveProbe({ ready: true });
      });
      socket.once("timeout", () => {
        socket.destroy();
        resolveProbe({ ready: false });
      });
      socket.once("error", () => resolveProbe({ ready: false }));
      return;
    }
    const req = http.get({ host: "127.0.0.1", port, path: path || "/", timeout: 2000 }, (res) => {
      res.resume();
      const status = res.statusCode;
      resolveProbe({ ready: status >= (statusMin ?? 200) && status <= (statusMax ?? 399), statusCode: status });
    });
    req.once("timeout", () => req.destroy());
    req.once("error", () => resolveProbe({ ready: false }));
  });
}

// ---------------------------------------------------------------- routes

/**
 * Every route takes { method, pathname, query, body } (body: parsed JSON or
 * undefined) and returns { status, json } or { status, sse }.
 */
/** The file a read request names: its path and bytes, or the failure to answer with. */
function readRequested(body) {
  const path = resolvePath(requireString(body, "path"), body.sessionId);
  try {
    return { path, data: readFileSync(path) };
  } catch (error) {
    return { path, failure: fsFailure(error, path, "read") };
  }
}

const routes = {
  "GET /api/ping": () => ok({ message: "pong", uptime: Math.round((Date.now() - STARTED) / 1000) }),
  "GET /api/version": () => ok({ version: VERSION }),
  "GET /api/health": () => ok({ status: "healthy" }),
  "GET /api/commands": () => {
    const names = new Set();
    for (const dir of ["/usr/local/bin", "/bin"]) {
      try {
        for (const name of readdirSync(dir)) names.add(name);
      } catch {
        // missing in the FROM-scratch image
      }
    }
    const availableCommands = [...names].sort();
    return ok({ availableCommands, count: availableCommands.length });
  },

  "POST /api/session/create": ({ body }) => {
    const id = body?.id || `session_${Date.now()}_${randomUUID().slice(0, 8)}`;
    const containerPlacementId = process.env.CLOUDFLARE_PLACEMENT_ID ?? null;
    if (sessions.has(id)) {
      return fail("SESSION_ALREADY_EXISTS", `Session '${id}' already exists`, { sessionId: id, containerPlacementId });
    }
    newSession(id, body ?? {});
    return ok({ id, message: `Session '${id}' created`, containerPlacementId });
  },
  "POST /api/session/delete": ({ body }) => {
    const sessionId = requireString(body, "sessionId");
    sessions.delete(sessionId);
    return ok({ sessionId });
  },
  "GET /api/session/list": () => ok({ sessions: [...sessions.keys()] }),

  "POST /api/execute": ({ body, transport }) => {
    const command = requireString(body, "command");
    const session = sessionFor(body.sessionId);
    const started = Date.now();
    const run = launch(command, {
      session,
      env: transportEnv(body.env, transport),
      cwd: body.cwd && resolvePath(body.cwd, body.sessionId),
      timeoutMs: body.timeoutMs ?? session.commandTimeoutMs,
    });
    let stdout = "";
    let stderr = "";
    run.onOutput((stream, text) => {
      if (stream === "stdout") stdout += text;
      else stderr += text;
    });
    return new Promise((resolveRun) => {
      run.onExit((exitCode) => {
        const response = ok({
          exitCode,
          stdout,
          stderr,
          command,
          duration: Date.now() - started,
          sessionId: session.id,
        });
        response.json.success = exitCode === 0; // the command's success, as ExecResult has it
        resolveRun(response);
      });
    });
  },
  "POST /api/execute/stream": ({ body }) => execEvents(requireString(body, "command"), body),

  "POST /api/process/start": ({ body }) => {
    const command = requireString(body, "command");
    if (body.processId !== undefined && processes.has(body.processId) && !isDone(processes.get(body.processId))) {
      return fail(
        "PROCESS_ERROR",
        `Process '${body.processId}' is already running`,
        { processId: body.processId },
        409,
      );
    }
    const record = startTracked(command, body);
    return ok({ processId: record.id, pid: record.pid, command });
  },
  "GET /api/process/list": ({ query }) => {
    const status = query.get("status");
    const list = [...processes.values()].filter((p) => !status || p.status === status).map(processView);
    return ok({ processes: list });
  },
  "DELETE /api/process/kill-all": () => {
    let cleanedCount = 0;
    for (const record of processes.values()) if (killRecord(record)) cleanedCount++;
    for (const [id, record] of processes) if (isDone(record)) processes.delete(id);
    return ok({ cleanedCount });
  },
};

/** /api/process/:id[/logs|/stream] */
function processRoute({ method, pathname }) {
  const m = /^\/api\/process\/([^/]+)(?:\/(logs|stream))?$/.exec(pathname);
  if (!m) return null;
  const id = decodeURIComponent(m[1]);
  const action = m[2];
  const record = processes.get(id);
  if (!record) return fail("PROCESS_NOT_FOUND", `Process not found: ${id}`, { processId: id });
  if (!action && method === "GET") return ok({ process: processView(record) });
  if (!action && method === "DELETE") {
    killRecord(record);
    return ok({ processId: id, signal: "SIGTERM" });
  }
  if (action === "logs" && method === "GET") return ok({ processId: id, stdout: record.stdout, stderr: record.stderr });
  if (action === "stream" && method === "GET") return processEvents(record);
  return null;
}

const fileRoutes = {
  "POST /api/write": ({ body }) => {
    const path = resolvePath(requireString(body, "path"), body.sessionId);
    const content = typeof body.content === "string" ? body.content : String(body.content ?? "");
    const data = body.encoding === "base64" ? Buffer.from(content, "base64") : Buffer.from(content, "utf8");
    try {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, data);
    } catch (error) {
      return fsFailure(error, path, "write");
    }
    return ok({ path, exitCode: 0 });
  },
  "POST /api/read": ({ body }) => {
    const { path, data, failure } = readRequested(body);
    if (failure) return failure;
    const binary = looksBinary(data);
    const asBase64 = body.encoding === "base64" || (body.encoding === undefined && binary);
    return ok({
      path,
      content: asBase64 ? data.toString("base64") : data.toString("utf8"),
      encoding: asBase64 ? "base64" : "utf-8",
      isBinary: binary,
      mimeType: mimeFor(path, binary),
      size: data.length,
      exitCode: 0,
    });
  },
  "POST /api/read/stream": ({ body }) => {
    const { path, data, failure } = readRequested(body);
    if (failure) return failure;
    const binary = looksBinary(data);
    return sse((emit, end) => {
      emit({
        type: "metadata",
        mimeType: mimeFor(path, binary),
        size: data.length,
        isBinary: binary,
        encoding: binary ? "base64" : "utf-8",
      });
      // 48 KiB: a multiple of 3 keeps every base64 chunk independently decodable.
      const step = 48 * 1024;
      const decoder = new TextDecoder("utf-8");
      for (let at = 0; at < data.length; at += step) {
        const slice = data.subarray(at, at + step);
        const text = binary ? slice.toString("base64") : decoder.decode(slice, { stream: at + step < data.length });
        if (text) emit({ type: "chunk", data: text });
      }
      emit({ type: "complete", bytesRead: data.length });
      end();
      return () => {};
    });
  },
  "POST /api/mkdir": ({ body }) => {
    const path = resolvePath(requireString(body, "path"), body.sessionId);
    const recursive = body.recursive === true;
    try {
      mkdirSync(path, { recursive });
    } catch (error) {
      return fsFailure(error, path, "mkdir");
    }
    return ok({ path, recursive, exitCode: 0 });
  },
  "POST /api/delete": ({ body }) => {
    const path = resolvePath(requireString(body, "path"), body.sessionId);
    try {
      const st = statSync(path);
      if (st.isDirectory()) return fail("IS_DIRECTORY", `${path} is a directory`, { path, operation: "delete" });
      rmSync(path);
    } catch (error) {
      return fsFailure(error, path, "delete");
    }
    return ok({ path, exitCode: 0 });
  },
  "POST /api/rename": ({ body }) => {
    const from = resolvePath(requireString(body, "oldPath"), body.sessionId);
    const to = resolvePath(requireString(body, "newPath"), body.sessionId);
    try {
      renameSync(from, to);
    } catch (error) {
      return fsFailure(error, from, "rename");
    }
    return ok({ path: from, newPath: to, exitCode: 0 });
  },
  "POST /api/move": ({ body }) => {
    const from = resolvePath(requireString(body, "sourcePath"), body.sessionId);
    const to = resolvePath(requireString(body, "destinationPath"), body.sessionId);
    try {
      mkdirSync(dirname(to), { recursive: true });
      renameSync(from, to);
    } catch (error) {
      return fsFailure(error, from, "move");
    }
    return ok({ path: from, newPath: to, exitCode: 0 });
  },
  "POST /api/exists": ({ body }) => {
    const path = resolvePath(requireString(body, "path"), body.sessionId);
    return ok({ path, exists: existsSync(path) });
  },
  "POST /api/list-files": ({ body }) => {
    const path = resolvePath(requireString(body, "path"), body.sessionId);
    const options = body.options ?? {};
    let files;
    try {
      if (!statSync(path).isDirectory())
        return fail("NOT_DIRECTORY", `${path} is not a directory`, { path, operation: "list" });
      files = listDir(
        path,
        path,
        { recursive: options.recursive === true, includeHidden: options.includeHidden === true },
        [],
      );
    } catch (error) {
      return fsFailure(error, path, "list");
    }
    return ok({ path, files, count: files.length });
  },
  "POST /api/port-watch": ({ body }) => {
    const port = Number(body?.port);
    if (!Number.isInteger(port) || port < 1 || port > 65535)
      return fail("VALIDATION_FAILED", "port is required", { field: "port" });
    const interval = Math.max(50, Number(body.interval ?? 500));
    return sse((emit, end) => {
      let stopped = false;
      let timer = null;
      const stop = () => {
        stopped = true;
        if (timer) clearTimeout(timer);
      };
      emit({ type: "watching", port, timestamp: now() });
      const tick = async () => {
        if (stopped) return;
        const record = body.processId ? processes.get(body.processId) : undefined;
        if (body.processId && !record) {
          emit({ type: "error", port, error: `Process not found: ${body.processId}` });
          stop();
          return end();
        }
        const result = await probePort({ ...body, port });
        if (stopped) return;
        if (result.ready) {
          emit({ type: "ready", port, statusCode: result.statusCode, timestamp: now() });
          stop();
          return end();
        }
        if (record && isDone(record)) {
          emit({ type: "process_exited", port, exitCode: record.exitCode, timestamp: now() });
          stop();
          return end();
        }
        timer = setTimeout(tick, interval);
      };
      tick();
      return stop;
    });
  },
};

Object.assign(routes, fileRoutes);

/** Runs a request through the routes; never throws. */
async function dispatch(request) {
  try {
    const route = routes[`${request.method} ${request.pathname}`];
    const result = route ? await route(request) : processRoute(request);
    if (result) return result;
    if (request.method === "GET" && request.pathname === "/") {
      return { status: 200, text: "sandbox stand-in (workerd-containers tests)\n" };
    }
    return fail("UNKNOWN_ERROR", `Invalid endpoint: ${request.method} ${request.pathname}`, { path: request.pathname });
  } catch (error) {
    if (error?.response) return error.response;
    log(`${request.method} ${request.pathname} failed:`, error);
    return fail("INTERNAL_ERROR", String(error?.message ?? error), { path: request.pathname });
  }
}

// ---------------------------------------------------------------- HTTP adapter

async function readJsonBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const text = Buffer.concat(chunks).toString("utf8");
  if (!text.trim()) return undefined;
  return JSON.parse(text);
}

async function handleHttp(req, res) {
  const started = Date.now();
  const url = new URL(req.url, "http://localhost");
  let body;
  try {
    body = await readJsonBody(req);
  } catch (error) {
    return sendHttp(req, res, fail("VALIDATION_FAILED", `Invalid JSON body: ${error.message}`, {}), started, url);
  }
  const result = await dispatch({
    method: req.method,
    pathname: url.pathname,
    query: url.searchParams,
    body,
    transport: "http",
  });
  sendHttp(req, res, result, started, url);
}

function sendHttp(req, res, result, started, url) {
  const logLine = () =>
    !QUIET &&
    log(`${req.method} ${url.pathname} ${result.status}${result.sse ? " (stream)" : ""} ${Date.now() - started}ms`);
  if (result.sse) {
    res.writeHead(result.status, {
      "content-type": "text/event-stream",
      "cache-control": "no-cache",
      connection: "keep-alive",
    });
    res.flushHeaders();
    let ended = false;
    const cancel = result.sse(
      (event) => !ended && res.write(`data: ${JSON.stringify(event)}\n\n`),
      () => {
        if (ended) return;
        ended = true;
        res.end();
        logLine();
      },
    );
    res.on("close", () => {
      if (!ended) {
        ended = true;
        cancel?.();
      }
    });
    return;
  }
  if (result.text !== undefined) {
    res.writeHead(result.status, { "content-type": "text/plain; charset=utf-8" });
    res.end(result.text);
  } else {
    const payload = JSON.stringify(result.json);
    res.writeHead(result.status, { "content-type": "application/json", "content-length": Buffer.byteLength(payload) });
    res.end(payload);
  }
  logLine();
}

// ---------------------------------------------------------------- WebSocket adapter

/** The SDK's WebSocketTransport protocol, on top of the same routes. */
function serveTransportSocket(ws) {
  const streams = new Map(); // request id → cancel()
  const send = (message) => ws.send(JSON.stringify(message), false);

  ws.onMessage(async (data, _isBinary) => {
    let message;
    try {
      message = JSON.parse(data.toString("utf8"));
    } catch {
      return send({ type: "error", code: "PARSE_ERROR", message: "Invalid JSON message", status: 400 });
    }
    if (message?.type === "cancel") {
      streams.get(message.id)?.();
      streams.delete(message.id);
      return;
    }
    if (message?.type !== "request" || typeof message.id !== "string" || typeof message.path !== "string") {
      return send({
        type: "error",
        id: message?.id,
        code: "INVALID_REQUEST",
        message: "Message must be a valid WSRequest",
        status: 400,
      });
    }
    const { id } = message;
    const started = Date.now();
    const url = new URL(message.path, "http://localhost");
    const method = (message.method ?? "GET").toUpperCase();
    try {
      const result = await dispatch({
        method,
        pathname: url.pathname,
        query: url.searchParams,
        body: message.body,
        transport: "websocket",
      });
      const logLine = () =>
        !QUIET &&
        log(`ws ${method} ${url.pathname} ${result.status}${result.sse ? " (stream)" : ""} ${Date.now() - started}ms`);
      if (result.sse) {
        let ended = false;
        const cancel = result.sse(
          (event) => !ended && send({ type: "stream", id, data: JSON.stringify(event) }),
          () => {
            if (ended) return;
            ended = true;
            streams.delete(id);
            send({ type: "response", id, status: result.status, done: true });
            logLine();
          },
        );
        if (!ended)
          streams.set(id, () => {
            ended = true;
            cancel?.();
          });
        return;
      }
      const body = result.json ?? (result.text !== undefined ? { message: result.text } : undefined);
      send({ type: "response", id, status: result.status, body, done: true });
      logLine();
    } catch (error) {
      send({ type: "error", id, code: "INTERNAL_ERROR", message: String(error?.message ?? error), status: 500 });
    }
  });
  ws.onClose(() => {
    for (const cancel of streams.values()) cancel();
    streams.clear();
  });
}

// ---------------------------------------------------------------- preview app

function previewApp() {
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, "http://localhost");
    if (req.method === "GET" && url.pathname === "/hello") {
      res.writeHead(200, { "content-type": "text/plain; charset=utf-8" });
      return res.end("hello from preview");
    }
    if (req.method === "GET" && url.pathname === "/drip") {
      const ms = Math.max(0, Number(url.searchParams.get("ms") ?? 1000));
      const chunks = Math.max(0, Math.floor(Number(url.searchParams.get("chunks") ?? 10)));
      const size = Math.max(1, Math.floor(Number(url.searchParams.get("size") ?? 1024)));
      const chunk = Buffer.alloc(size, "x");
      // x-drip-bytes too: a proxy on the way may drop content-length for a streamed body.
      res.writeHead(200, {
        "content-type": "application/octet-stream",
        "content-length": chunks * size,
        "x-drip-bytes": chunks * size,
      });
      res.flushHeaders();
      for (let i = 0; i < chunks; i++) {
        await new Promise((r) => setTimeout(r, ms / Math.max(chunks, 1)));
        if (res.destroyed) return;
        res.write(chunk);
      }
      return res.end();
    }
    if (url.pathname === "/headers") {
      const payload = JSON.stringify({ method: req.method, url: req.url, headers: req.headers });
      res.writeHead(200, { "content-type": "application/json" });
      return res.end(payload);
    }
    res.writeHead(404, { "content-type": "text/plain" });
    res.end("not found");
  });
  server.on("upgrade", (req, socket, head) => {
    const ws = acceptWebSocket(req, socket, head);
    ws?.onMessage((data, isBinary) => ws.send(data, isBinary));
  });
  server.requestTimeout = 0;
  return server;
}

// ---------------------------------------------------------------- boot

for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, () => {
    log(`received ${signal}, exiting`);
    process.exit(0);
  });
}
process.on("exit", () => {
  // Locally (not PID 1 in a container) children would outlive us otherwise.
  for (const child of liveChildren) child.kill("SIGKILL");
});

const control = http.createServer((req, res) => {
  handleHttp(req, res).catch((error) => {
    log("request failed:", error);
    if (!res.headersSent) {
      res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify(fail("INTERNAL_ERROR", String(error)).json));
    } else res.destroy();
  });
});
control.on("upgrade", (req, socket, head) => {
  const { pathname } = new URL(req.url, "http://localhost");
  if (pathname !== "/ws" && pathname !== "/rpc") {
    socket.end("HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
    return;
  }
  const ws = acceptWebSocket(req, socket, head);
  if (!ws) return;
  if (!QUIET) log(`${pathname.slice(1)} transport connected`);
  if (pathname === "/rpc") serveRpcSocket(ws, dispatch, log, QUIET);
  else serveTransportSocket(ws);
});
control.requestTimeout = 0;
control.keepAliveTimeout = 60_000;

// Preview port first, so it answers by the time port 3000 (the readiness port) does.
previewApp().listen(PREVIEW_PORT, "0.0.0.0", () => {
  log(`preview app listening on ${PREVIEW_PORT}`);
  control.listen(CONTROL_PORT, "0.0.0.0", () => log(`control plane listening on ${CONTROL_PORT} (version ${VERSION})`));
});
