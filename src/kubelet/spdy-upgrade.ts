// The plain HTTP `Upgrade: SPDY/3.1` handshake that clients without WebSockets
// use (client-go before 1.30, kubectl with KUBECTL_REMOTE_COMMAND_WEBSOCKETS or
// KUBECTL_PORT_FORWARD_WEBSOCKETS=false): the client lists the stream
// protocols it speaks in X-Stream-Protocol-Version headers, the first one we
// also speak is chosen, as upstream's httpstream.Handshake does, and the
// connection becomes a SPDY/3.1 session after 101 Switching Protocols.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { SpdyServerConnection } from './spdy.js';

const PROTOCOL_HEADER = 'x-stream-protocol-version';
/** how long a peer that stopped talking keeps a half-closed socket */
const LINGER_MS = 10_000;

export function isSpdyUpgrade(req: IncomingMessage): boolean {
  return String(req.headers.upgrade ?? '').split(',').some((p) => p.trim().toLowerCase() === 'spdy/3.1');
}

/** The client's protocols in its order; repeated headers, or one joined with commas by a proxy. */
export function offeredProtocols(req: IncomingMessage): string[] {
  const raw = req.headersDistinct[PROTOCOL_HEADER] ?? [];
  return raw.flatMap((v) => v.split(',')).map((p) => p.trim()).filter(Boolean);
}

export function negotiateProtocol(offered: string[], supported: string[]): string | undefined {
  return offered.find((p) => supported.includes(p));
}

function refuse(socket: Duplex, code: number, text: string, message: string, extra = ''): void {
  socket.end(`HTTP/1.1 ${code} ${text}\r\nContent-Type: text/plain; charset=utf-8\r\n${extra}Content-Length: ${Buffer.byteLength(message)}\r\n\r\n${message}`);
}

/** Completes the upgrade; undefined (and the refusal sent) when the client offers nothing we speak. */
export function acceptSpdy(req: IncomingMessage, socket: Duplex, head: Buffer, supported: string[]): { conn: SpdyServerConnection; protocol: string } | undefined {
  const offered = offeredProtocols(req);
  if (offered.length === 0) {
    refuse(socket, 400, 'Bad Request', 'unable to upgrade: X-Stream-Protocol-Version is required');
    return undefined;
  }
  const protocol = negotiateProtocol(offered, supported);
  if (!protocol) {
    const accepted = supported.map((p) => `X-Accepted-Stream-Protocol-Versions: ${p}\r\n`).join('');
    refuse(socket, 403, 'Forbidden', `unable to upgrade: unable to negotiate protocol: client supports [${offered.join(' ')}], server accepts [${supported.join(' ')}]`, accepted);
    return undefined;
  }
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: ${protocol}\r\n\r\n`);
  let linger: NodeJS.Timeout | undefined;
  const conn = new SpdyServerConnection(
    (frame) => {
      if (socket.writable) socket.write(frame);
    },
    () => {
      // half-close, so the peer reads everything before it sees the end; it closes its side in turn
      socket.end();
      linger = setTimeout(() => socket.destroy(), LINGER_MS).unref();
    },
  );
  socket.on('data', (chunk: Buffer) => conn.feed(chunk));
  socket.on('end', () => conn.abort());
  socket.on('close', () => {
    clearTimeout(linger);
    conn.abort();
  });
  socket.on('error', () => conn.abort());
  if (head.length) conn.feed(head);
  return { conn, protocol };
}
