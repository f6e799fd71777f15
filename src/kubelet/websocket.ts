// A minimal RFC 6455 WebSocket server side, enough for the Kubernetes stream
// protocols (v4/v5.channel.k8s.io): binary frames, masking, fragmentation,
// ping/pong and close. Written for the node endpoint; no dependency.
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

export interface WebSocketConnection {
  protocol: string;
  send(data: Buffer): void;
  close(code?: number): void;
  onMessage(handler: (data: Buffer) => void): void;
  onClose(handler: () => void): void;
}

/** Completes the handshake choosing the first offered protocol we support; undefined (and 400 sent) otherwise. */
export function acceptWebSocket(req: IncomingMessage, socket: Duplex, supported: string[]): WebSocketConnection | undefined {
  const key = req.headers['sec-websocket-key'];
  const offered = String(req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim()).filter(Boolean);
  const protocol = offered.find((p) => supported.includes(p));
  if (!key || req.headers.upgrade?.toLowerCase() !== 'websocket' || !protocol) {
    socket.end(`HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\n\r\nwebsocket upgrade with one of these subprotocols required: ${supported.join(', ')}\n`);
    return undefined;
  }
  const accept = createHash('sha1').update(key + GUID).digest('base64');
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\nSec-WebSocket-Protocol: ${protocol}\r\n\r\n`);

  let buffer = Buffer.alloc(0);
  let fragments: Buffer[] = [];
  let closed = false;
  const messageHandlers: Array<(d: Buffer) => void> = [];
  const closeHandlers: Array<() => void> = [];

  const frame = (opcode: number, payload: Buffer): Buffer => {
    const len = payload.length;
    const head = len < 126 ? Buffer.from([0x80 | opcode, len]) : len < 65536 ? Buffer.from([0x80 | opcode, 126, len >> 8, len & 0xff]) : Buffer.concat([Buffer.from([0x80 | opcode, 127]), bigLength(len)]);
    return Buffer.concat([head, payload]);
  };
  const finish = () => {
    if (closed) return;
    closed = true;
    for (const h of closeHandlers) h();
  };

  socket.on('data', (chunk: Buffer) => {
    buffer = Buffer.concat([buffer, chunk]);
    for (;;) {
      if (buffer.length < 2) return;
      const fin = (buffer[0] & 0x80) !== 0;
      const opcode = buffer[0] & 0x0f;
      const masked = (buffer[1] & 0x80) !== 0;
      let len = buffer[1] & 0x7f;
      let off = 2;
      if (len === 126) {
        if (buffer.length < 4) return;
        len = buffer.readUInt16BE(2);
        off = 4;
      } else if (len === 127) {
        if (buffer.length < 10) return;
        len = Number(buffer.readBigUInt64BE(2));
        off = 10;
      }
      const maskLen = masked ? 4 : 0;
      if (buffer.length < off + maskLen + len) return;
      const mask = masked ? buffer.subarray(off, off + 4) : undefined;
      const payload = Buffer.from(buffer.subarray(off + maskLen, off + maskLen + len));
      if (mask) for (let i = 0; i < payload.length; i++) payload[i] ^= mask[i % 4];
      buffer = buffer.subarray(off + maskLen + len);
      if (opcode === 0x8) {
        if (!closed) socket.end(frame(0x8, payload.subarray(0, 2)));
        finish();
        return;
      }
      if (opcode === 0x9) {
        socket.write(frame(0xa, payload));
        continue;
      }
      if (opcode === 0xa) continue;
      fragments.push(payload);
      if (fin) {
        const msg = Buffer.concat(fragments);
        fragments = [];
        for (const h of messageHandlers) h(msg);
      }
    }
  });
  socket.on('close', finish);
  socket.on('error', finish);

  return {
    protocol,
    send(data) {
      if (!closed) socket.write(frame(0x2, data));
    },
    close(code = 1000) {
      if (closed) return;
      const body = Buffer.alloc(2);
      body.writeUInt16BE(code);
      socket.end(frame(0x8, body));
      finish();
    },
    onMessage(h) {
      messageHandlers.push(h);
    },
    onClose(h) {
      closeHandlers.push(h);
    },
  };
}

function bigLength(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
}
