// The server side of SPDY/3.1 framing, as much of it as kubectl port-forward
// uses (client-made streams, data, half-close, reset, ping, goaway). No npm
// package for it is kept up, so it is written here from the SPDY/3 draft.
// Header blocks are zlib streams primed with the spec's dictionary, one per
// direction for the whole connection: ours are written as stored (uncompressed)
// deflate blocks, which any inflater reads and which need no compressor state.
import { constants, inflateSync } from 'node:zlib';

// The SPDY/3 header dictionary (draft-mbelshe-httpbis-spdy-00, 2.6.10.1):
// length-prefixed common header words followed by common value text.
const DICTIONARY_WORDS = [
  'options', 'head', 'post', 'put', 'delete', 'trace', 'accept', 'accept-charset', 'accept-encoding', 'accept-language',
  'accept-ranges', 'age', 'allow', 'authorization', 'cache-control', 'connection', 'content-base', 'content-encoding',
  'content-language', 'content-length', 'content-location', 'content-md5', 'content-range', 'content-type', 'date', 'etag',
  'expect', 'expires', 'from', 'host', 'if-match', 'if-modified-since', 'if-none-match', 'if-range', 'if-unmodified-since',
  'last-modified', 'location', 'max-forwards', 'pragma', 'proxy-authenticate', 'proxy-authorization', 'range', 'referer',
  'retry-after', 'server', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'user-agent', 'vary', 'via', 'warning',
  'www-authenticate', 'method', 'get', 'status', '200 OK', 'version', 'HTTP/1.1', 'url', 'public', 'set-cookie', 'keep-alive', 'origin',
];
const DICTIONARY_TAIL =
  '100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505' +
  '203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request401 Unauthorized' +
  '403 Forbidden404 Not Found500 Internal Server Error501 Not Implemented503 Service Unavailable' +
  'Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT' +
  'chunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,text/plain,text/javascript,' +
  'publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0.';

export const SPDY3_DICTIONARY = Buffer.concat([
  ...DICTIONARY_WORDS.map((w) => {
    const b = Buffer.alloc(4 + w.length);
    b.writeUInt32BE(w.length);
    b.write(w, 4, 'latin1');
    return b;
  }),
  Buffer.from(DICTIONARY_TAIL, 'latin1'),
]);

export function adler32(buf: Buffer): number {
  let a = 1;
  let b = 0;
  for (const byte of buf) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}

const TYPE = { synStream: 1, synReply: 2, rstStream: 3, settings: 4, ping: 6, goAway: 7, headers: 8, windowUpdate: 9 } as const;
const FLAG_FIN = 0x01;
export const RST_CANCEL = 5;
export const RST_PROTOCOL_ERROR = 1;

export type SpdyHeaders = Record<string, string>;

export class SpdyError extends Error {}

/** Reads the peer's header blocks: one zlib stream, so everything so far is inflated again and the new tail taken. */
export class HeaderDecoder {
  private compressed: Buffer = Buffer.alloc(0);
  private seen = 0;

  decode(block: Buffer): SpdyHeaders {
    this.compressed = Buffer.concat([this.compressed, block]);
    let all: Buffer;
    try {
      all = inflateSync(this.compressed, { dictionary: SPDY3_DICTIONARY, finishFlush: constants.Z_SYNC_FLUSH });
    } catch (e) {
      throw new SpdyError(`header block does not inflate: ${(e as Error).message}`);
    }
    const plain = all.subarray(this.seen);
    this.seen = all.length;
    return parseHeaderBlock(plain);
  }
}

export function parseHeaderBlock(plain: Buffer): SpdyHeaders {
  const headers: SpdyHeaders = {};
  if (plain.length < 4) throw new SpdyError('header block too short');
  const count = plain.readUInt32BE(0);
  let off = 4;
  const take = (): string => {
    if (off + 4 > plain.length) throw new SpdyError('header block truncated');
    const len = plain.readUInt32BE(off);
    off += 4;
    if (off + len > plain.length) throw new SpdyError('header block truncated');
    const s = plain.toString('utf8', off, off + len);
    off += len;
    return s;
  };
  for (let i = 0; i < count; i++) {
    const name = take();
    headers[name.toLowerCase()] = take();
  }
  return headers;
}

/** Writes our header blocks as stored deflate blocks of one zlib stream that names the dictionary. */
export class HeaderEncoder {
  private started = false;

  encode(headers: SpdyHeaders): Buffer {
    const parts: Buffer[] = [];
    const entries = Object.entries(headers);
    const u32 = (n: number) => {
      const b = Buffer.alloc(4);
      b.writeUInt32BE(n);
      return b;
    };
    parts.push(u32(entries.length));
    for (const [k, v] of entries) {
      const kb = Buffer.from(k.toLowerCase());
      const vb = Buffer.from(v);
      parts.push(u32(kb.length), kb, u32(vb.length), vb);
    }
    const plain = Buffer.concat(parts);
    const out: Buffer[] = [];
    if (!this.started) {
      this.started = true;
      // CMF 0x78 (deflate, 32K window), FLG 0x20 (a preset dictionary follows; 0x7820 is a multiple of 31)
      out.push(Buffer.from([0x78, 0x20]), u32(adler32(SPDY3_DICTIONARY)));
    }
    for (let off = 0; off < plain.length; off += 0xffff) {
      const chunk = plain.subarray(off, off + 0xffff);
      const head = Buffer.alloc(5);
      head[0] = 0; // not final, stored
      head.writeUInt16LE(chunk.length, 1);
      head.writeUInt16LE(~chunk.length & 0xffff, 3);
      out.push(head, chunk);
    }
    // an empty stored block, as a sync flush ends: inflaters (Go's among them) hand out what they hold when they reach it
    out.push(Buffer.from([0x00, 0x00, 0x00, 0xff, 0xff]));
    return Buffer.concat(out);
  }
}

function controlFrame(type: number, flags: number, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt16BE(0x8003); // control bit, version 3
  head.writeUInt16BE(type, 2);
  head.writeUInt32BE(data.length, 4);
  head[4] = flags;
  return Buffer.concat([head, data]);
}

function dataFrame(streamId: number, flags: number, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(streamId & 0x7fffffff);
  head.writeUInt32BE(data.length, 4);
  head[4] = flags;
  return Buffer.concat([head, data]);
}

export class SpdyStream {
  private dataHandlers: Array<(d: Buffer) => void> = [];
  private endHandlers: Array<() => void> = [];
  private resetHandlers: Array<() => void> = [];
  remoteClosed = false;
  localClosed = false;
  reset = false;

  constructor(
    readonly id: number,
    readonly headers: SpdyHeaders,
    private readonly conn: SpdyServerConnection,
  ) {}

  onData(h: (d: Buffer) => void): void {
    this.dataHandlers.push(h);
  }
  onEnd(h: () => void): void {
    this.endHandlers.push(h);
  }
  onReset(h: () => void): void {
    this.resetHandlers.push(h);
  }

  write(data: Buffer): void {
    if (this.localClosed || this.reset) return;
    // frames of at most 32 KiB keep one busy stream from holding the others up
    for (let off = 0; off < data.length; off += 32768) this.conn.send(dataFrame(this.id, 0, data.subarray(off, off + 32768)));
  }

  /** Half-close: our side is done (a DATA frame with FIN). */
  end(): void {
    if (this.localClosed || this.reset) return;
    this.localClosed = true;
    this.conn.send(dataFrame(this.id, FLAG_FIN, Buffer.alloc(0)));
    this.conn.maybeForget(this);
  }

  /** @internal */
  receive(data: Buffer, fin: boolean): void {
    if (data.length) for (const h of this.dataHandlers) h(data);
    if (fin && !this.remoteClosed) {
      this.remoteClosed = true;
      for (const h of this.endHandlers) h();
      this.conn.maybeForget(this);
    }
  }

  /** @internal */
  receiveReset(): void {
    if (this.reset) return;
    this.reset = true;
    for (const h of this.resetHandlers) h();
  }
}

/** A SPDY/3.1 connection where the peer opens the streams; bytes in through feed(), out through the writer. */
export class SpdyServerConnection {
  private buffer: Buffer = Buffer.alloc(0);
  private readonly streams = new Map<number, SpdyStream>();
  private readonly decoder = new HeaderDecoder();
  private readonly encoder = new HeaderEncoder();
  private streamHandlers: Array<(s: SpdyStream) => void> = [];
  private lastStreamId = 0;
  closed = false;

  constructor(
    private readonly write: (frame: Buffer) => void,
    private readonly onClose: () => void,
  ) {}

  onStream(h: (s: SpdyStream) => void): void {
    this.streamHandlers.push(h);
  }

  /** @internal */
  send(frame: Buffer): void {
    if (!this.closed) this.write(frame);
  }

  /** @internal */
  maybeForget(s: SpdyStream): void {
    if ((s.localClosed && s.remoteClosed) || s.reset) this.streams.delete(s.id);
  }

  resetStream(s: SpdyStream, status = RST_CANCEL): void {
    const b = Buffer.alloc(8);
    b.writeUInt32BE(s.id & 0x7fffffff);
    b.writeUInt32BE(status, 4);
    this.send(controlFrame(TYPE.rstStream, 0, b));
    s.receiveReset();
    this.streams.delete(s.id);
  }

  close(): void {
    if (this.closed) return;
    const b = Buffer.alloc(8);
    b.writeUInt32BE(this.lastStreamId);
    this.send(controlFrame(TYPE.goAway, 0, b));
    this.shutdown();
  }

  private shutdown(): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.streams.values()) s.receiveReset();
    this.streams.clear();
    this.onClose();
  }

  feed(chunk: Buffer): void {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    try {
      while (!this.closed && this.buffer.length >= 8) {
        const length = this.buffer.readUInt32BE(4) & 0xffffff;
        if (this.buffer.length < 8 + length) return;
        const frame = this.buffer.subarray(0, 8 + length);
        this.buffer = this.buffer.subarray(8 + length);
        this.handle(frame);
      }
    } catch (e) {
      if (!(e instanceof SpdyError)) throw e;
      const b = Buffer.alloc(8);
      b.writeUInt32BE(this.lastStreamId);
      b.writeUInt32BE(1, 4); // PROTOCOL_ERROR
      this.send(controlFrame(TYPE.goAway, 0, b));
      this.shutdown();
    }
  }

  private handle(frame: Buffer): void {
    const flags = frame[4];
    const data = frame.subarray(8);
    if ((frame[0] & 0x80) === 0) {
      const id = frame.readUInt32BE(0) & 0x7fffffff;
      const s = this.streams.get(id);
      if (!s) return; // data for a stream already gone: dropped, as upstream's spdystream does
      s.receive(data, (flags & FLAG_FIN) !== 0);
      return;
    }
    const version = frame.readUInt16BE(0) & 0x7fff;
    if (version !== 3) throw new SpdyError(`unsupported SPDY version ${version}`);
    const type = frame.readUInt16BE(2);
    switch (type) {
      case TYPE.synStream: {
        if (data.length < 10) throw new SpdyError('short SYN_STREAM');
        const id = data.readUInt32BE(0) & 0x7fffffff;
        const headers = this.decoder.decode(data.subarray(10));
        if (id === 0 || id % 2 === 0 || this.streams.has(id)) throw new SpdyError(`bad stream id ${id}`);
        this.lastStreamId = Math.max(this.lastStreamId, id);
        const s = new SpdyStream(id, headers, this);
        this.streams.set(id, s);
        // every stream is accepted; what it is for is the handler's business
        const reply = Buffer.alloc(4);
        reply.writeUInt32BE(id);
        this.send(controlFrame(TYPE.synReply, 0, Buffer.concat([reply, this.encoder.encode({})])));
        for (const h of this.streamHandlers) h(s);
        if (flags & FLAG_FIN) s.receive(Buffer.alloc(0), true);
        return;
      }
      case TYPE.rstStream: {
        const id = data.readUInt32BE(0) & 0x7fffffff;
        const s = this.streams.get(id);
        this.streams.delete(id);
        s?.receiveReset();
        return;
      }
      case TYPE.ping:
        this.send(frame);
        return;
      case TYPE.goAway:
        this.shutdown();
        return;
      case TYPE.headers:
        // extra headers on a stream change nothing for port forwarding, but they advance the zlib stream
        if (data.length > 4) this.decoder.decode(data.subarray(4));
        return;
      default:
        // SETTINGS, WINDOW_UPDATE and anything newer: nothing to do here
        return;
    }
  }
}
