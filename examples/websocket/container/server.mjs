// A WebSocket echo server in plain Node (no packages): RFC 6455 handshake and
// framing for text, close and ping. It greets each client, answers every text
// message with "echo: <message>", and "bye" makes it close with code 1000.
import { createHash } from "node:crypto";
import http from "node:http";

const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"; // fixed by the RFC

/** One unmasked frame from the server (FIN set). */
function frame(opcode, payload) {
  const length = payload.length;
  const header =
    length < 126
      ? Buffer.from([0x80 | opcode, length])
      : length < 65536
        ? Buffer.from([0x80 | opcode, 126, length >> 8, length & 255])
        : Buffer.concat([
            Buffer.from([0x80 | opcode, 127]),
            (() => {
              const b = Buffer.alloc(8);
              b.writeBigUInt64BE(BigInt(length));
              return b;
            })(),
          ]);
  return Buffer.concat([header, payload]);
}

/** Parses complete client frames from `buffer`; returns [frames, rest]. */
function parse(buffer) {
  const frames = [];
  while (buffer.length >= 2) {
    const opcode = buffer[0] & 0x0f;
    let length = buffer[1] & 0x7f;
    let offset = 2;
    if (length === 126) {
      if (buffer.length < 4) break;
      length = buffer.readUInt16BE(2);
      offset = 4;
    } else if (length === 127) {
      if (buffer.length < 10) break;
      length = Number(buffer.readBigUInt64BE(2));
      offset = 10;
    }
    const masked = (buffer[1] & 0x80) !== 0;
    const end = offset + (masked ? 4 : 0) + length;
    if (buffer.length < end) break;
    const payload = Buffer.from(buffer.subarray(end - length, end));
    if (masked) for (let i = 0; i < length; i++) payload[i] ^= buffer[offset + (i % 4)];
    frames.push({ opcode, payload });
    buffer = buffer.subarray(end);
  }
  return [frames, buffer];
}

const server = http.createServer((_req, res) => res.end("WebSocket server: connect to /ws\n"));

server.on("upgrade", (req, socket) => {
  const accept = createHash("sha1")
    .update(req.headers["sec-websocket-key"] + GUID)
    .digest("base64");
  socket.write(
    `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Accept: ${accept}\r\n\r\n`,
  );
  const send = (text) => socket.write(frame(0x1, Buffer.from(text)));
  send(`welcome! this is container process ${process.pid}`);
  let pending = Buffer.alloc(0);
  socket.on("data", (chunk) => {
    const [frames, rest] = parse(Buffer.concat([pending, chunk]));
    pending = rest;
    for (const { opcode, payload } of frames) {
      if (opcode === 0x1 && payload.toString() === "bye") {
        socket.end(frame(0x8, Buffer.concat([Buffer.from([0x03, 0xe8]), Buffer.from("goodbye")]))); // 1000
      } else if (opcode === 0x1) send(`echo: ${payload}`);
      else if (opcode === 0x9)
        socket.write(frame(0xa, payload)); // ping → pong
      else if (opcode === 0x8) socket.end(frame(0x8, payload)); // close → close
    }
  });
  socket.on("error", () => socket.destroy());
});
server.listen(8080, () => console.log("WebSocket server listening on 8080"));

process.on("SIGTERM", () => process.exit(0));
process.on("SIGINT", () => process.exit(0));
