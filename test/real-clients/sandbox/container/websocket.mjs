// (A copy of fixtures/app/websocket.mjs: the image build context is this
// directory, so it cannot reach the fixture file.)
// A minimal WebSocket server side (RFC 6455) on top of node:http's "upgrade"
// event, so the fixture image needs no npm packages. Enough for tests:
// text/binary/continuation frames, ping/pong, close with code and reason.
// No extensions (permessage-deflate is simply not negotiated).
import { createHash } from "node:crypto";

const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/**
 * Completes the handshake and returns a small connection object:
 * `onMessage(fn(data: Buffer, isBinary))`, `send(data, isBinary)`, `close(code, reason)`,
 * `onClose(fn(code, reason))`.
 */
export function acceptWebSocket(req, socket, head) {
  const key = req.headers["sec-websocket-key"];
  if (!key) {
    socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
    return null;
  }
  const accept = createHash("sha1").update(key + GUID).digest("base64");
  socket.write(
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
      `Sec-WebSocket-Accept: ${accept}\r\n\r\n`,
  );
  socket.setNoDelay(true);

  const listeners = { message: [], close: [] };
  let buffered = head && head.length ? Buffer.from(head) : Buffer.alloc(0);
  let fragments = [];
  let fragmentOpcode = 0;
  let closed = false;

  const frame = (opcode, payload) => {
    const len = payload.length;
    // Server frames are never masked (RFC 6455 5.1).
    let header;
    if (len < 126) header = Buffer.from([0x80 | opcode, len]);
    else if (len < 65536) {
      header = Buffer.alloc(4);
      header[0] = 0x80 | opcode;
      header[1] = 126;
      header.writeUInt16BE(len, 2);
    } else {
      header = Buffer.alloc(10);
      header[0] = 0x80 | opcode;
      header[1] = 127;
      header.writeBigUInt64BE(BigInt(len), 2);
    }
    if (!socket.destroyed) socket.write(Buffer.concat([header, payload]));
  };

  const conn = {
    send(data, isBinary) {
      frame(isBinary ? 2 : 1, Buffer.isBuffer(data) ? data : Buffer.from(String(data)));
    },
    close(code = 1000, reason = "") {
      if (closed) return;
      closed = true;
      const body = Buffer.alloc(2 + Buffer.byteLength(reason));
      body.writeUInt16BE(code, 0);
      body.write(reason, 2);
      frame(8, body);
      socket.end();
    },
    onMessage(fn) { listeners.message.push(fn); },
    onClose(fn) { listeners.close.push(fn); },
  };

  const handleFrame = (fin, opcode, payload) => {
    if (opcode === 8) {
      const code = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
      const reason = payload.length > 2 ? payload.subarray(2).toString("utf8") : "";
      for (const fn of listeners.close) fn(code, reason);
      // Echo the peer's close code back, as RFC 6455 5.5.1 suggests.
      conn.close(code === 1005 ? 1000 : code, reason);
      return;
    }
    if (opcode === 9) return frame(10, payload); // ping → pong
    if (opcode === 10) return; // pong
    if (opcode !== 0) {
      fragmentOpcode = opcode;
      fragments = [];
    }
    fragments.push(payload);
    if (!fin) return;
    const data = Buffer.concat(fragments);
    fragments = [];
    for (const fn of listeners.message) fn(data, fragmentOpcode === 2);
  };

  socket.on("data", (chunk) => {
    buffered = Buffer.concat([buffered, chunk]);
    // Parse as many complete frames as are buffered.
    for (;;) {
      if (buffered.length < 2) return;
      const fin = (buffered[0] & 0x80) !== 0;
      const opcode = buffered[0] & 0x0f;
      const masked = (buffered[1] & 0x80) !== 0;
      let len = buffered[1] & 0x7f;
      let offset = 2;
      if (len === 126) {
        if (buffered.length < 4) return;
        len = buffered.readUInt16BE(2);
        offset = 4;
      } else if (len === 127) {
        if (buffered.length < 10) return;
        len = Number(buffered.readBigUInt64BE(2));
        offset = 10;
      }
      const maskOffset = offset;
      if (masked) offset += 4;
      if (buffered.length < offset + len) return;
      const payload = Buffer.from(buffered.subarray(offset, offset + len));
      if (masked) {
        for (let i = 0; i < len; i++) payload[i] ^= buffered[maskOffset + (i % 4)];
      }
      buffered = buffered.subarray(offset + len);
      handleFrame(fin, opcode, payload);
    }
  });
  socket.on("close", () => {
    if (!closed) for (const fn of listeners.close) fn(1006, "");
    closed = true;
  });
  socket.on("error", () => {});
  return conn;
}
