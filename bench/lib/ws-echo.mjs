// The WebSocket echo measurement of bench row 4, shared with bench/ws-profile.mjs.

/**
 * Echoes `count` binary messages of `size` bytes through the socket at `url`, `window` of them in flight,
 * timed from the open to the last echo; rejects after `timeoutMs` (`what` names the run in errors).
 */
export function wsEcho(url, { size, count, window }, { what, timeoutMs = 60_000 }) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.binaryType = "arraybuffer";
    const payload = new Uint8Array(size).fill(42);
    let sent = 0;
    let received = 0;
    let t0;
    const timer = setTimeout(() => {
      ws.close();
      reject(new Error(`${what}: ${received}/${count} echoes after ${timeoutMs / 1000} s`));
    }, timeoutMs);
    const send = () => {
      sent++;
      ws.send(payload);
    };
    ws.onopen = () => {
      t0 = performance.now();
      while (sent < Math.min(window, count)) send();
    };
    ws.onmessage = (event) => {
      const length = typeof event.data === "string" ? event.data.length : event.data.byteLength;
      if (length !== size) return;
      received++;
      if (sent < count) send();
      if (received === count) {
        const seconds = (performance.now() - t0) / 1000;
        clearTimeout(timer);
        ws.close();
        resolve({ msgsPerSec: count / seconds, mbps: (count * size) / 1e6 / seconds });
      }
    };
    ws.onerror = (event) => {
      clearTimeout(timer);
      reject(new Error(`${what}: ${event.message ?? "WebSocket error"}`));
    };
  });
}
