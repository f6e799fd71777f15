// The server side of SPDY/3.1 framing, as kubectl's exec, attach and
// port-forward use it (client-made streams, data, half-close, reset, ping,
// goaway, settings and flow control). No npm package for it is kept up, so it
// is written here from the SPDY/3.1 draft; header blocks are in
// spdy-header-block.ts.
//
// Flow control: SPDY/3.1 starts every stream and the session with a 64 KiB
// send window. Go's spdystream (kubectl, client-go) neither sends
// WINDOW_UPDATE nor minds windows, and upstream's servers (spdystream too)
// send without limit, so a peer's windows are honoured only once it has shown
// it keeps them, by a WINDOW_UPDATE or an INITIAL_WINDOW_SIZE setting; until
// then the windows are counted (they may go negative) but do not hold data
// back. What we receive is credited back as it is handed on, so a peer that
// keeps windows never stalls sending us stdin or port-forward data.
import { HeaderDecoder, HeaderEncoder, SpdyError, type SpdyHeaders } from './spdy-header-block.js';

export { SpdyError, type SpdyHeaders } from './spdy-header-block.js';

const TYPE = { synStream: 1, synReply: 2, rstStream: 3, settings: 4, ping: 6, goAway: 7, headers: 8, windowUpdate: 9 } as const;
const FLAG_FIN = 0x01;
const SETTINGS_INITIAL_WINDOW_SIZE = 7;
export const RST_PROTOCOL_ERROR = 1;
export const RST_REFUSED_STREAM = 3;
export const RST_CANCEL = 5;
export const RST_FLOW_CONTROL_ERROR = 7;

/** SPDY/3.1's initial window, for streams and the session alike */
export const DEFAULT_WINDOW = 64 * 1024;
/** frames of at most 32 KiB keep one busy stream from holding the others up */
const MAX_DATA_FRAME = 32 * 1024;
const MAX_WINDOW = 0x7fffffff;

export function controlFrame(type: number, flags: number, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt16BE(0x8003); // control bit, version 3
  head.writeUInt16BE(type, 2);
  head.writeUInt32BE(data.length, 4);
  head[4] = flags;
  return Buffer.concat([head, data]);
}

export function dataFrame(streamId: number, flags: number, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(streamId & 0x7fffffff);
  head.writeUInt32BE(data.length, 4);
  head[4] = flags;
  return Buffer.concat([head, data]);
}

function pair(a: number, b: number): Buffer {
  const buf = Buffer.alloc(8);
  buf.writeUInt32BE(a >>> 0);
  buf.writeUInt32BE(b >>> 0, 4);
  return buf;
}

export class SpdyStream {
  private dataHandlers: Array<(d: Buffer) => void> = [];
  private endHandlers: Array<() => void> = [];
  private resetHandlers: Array<() => void> = [];
  private drainHandlers: Array<() => void> = [];
  /** bytes waiting for send window, and whether our FIN follows them */
  private pending: Buffer[] = [];
  private finPending = false;
  /** the window stopped us since the last drain */
  private held = false;
  /** what we may still send before the peer's next WINDOW_UPDATE */
  sendWindow: number;
  /** received and handed on, not yet credited back to the peer */
  private unacknowledged = 0;
  remoteClosed = false;
  localClosed = false;
  reset = false;

  constructor(
    readonly id: number,
    readonly headers: SpdyHeaders,
    private readonly conn: SpdyServerConnection,
  ) {
    this.sendWindow = conn.peerInitialWindow;
  }

  onData(h: (d: Buffer) => void): void {
    this.dataHandlers.push(h);
  }
  onEnd(h: () => void): void {
    this.endHandlers.push(h);
  }
  onReset(h: () => void): void {
    this.resetHandlers.push(h);
  }
  /** the window let every queued byte out: a paused source may go on */
  onDrain(h: () => void): void {
    this.drainHandlers.push(h);
  }

  /** bytes not yet sent for want of window */
  get queued(): number {
    return this.pending.reduce((n, b) => n + b.length, 0);
  }

  write(data: Buffer): void {
    if (this.localClosed || this.finPending || this.reset || data.length === 0) return;
    this.pending.push(data);
    this.conn.pump(this);
  }

  /** Half-close: our side is done (a DATA frame with FIN, after whatever is still queued). */
  end(): void {
    if (this.localClosed || this.finPending || this.reset) return;
    this.finPending = true;
    this.conn.pump(this);
  }

  /** @internal sends what the windows allow; true when nothing is left */
  flush(room: () => number, take: (n: number) => void): boolean {
    while (this.pending.length && !this.reset) {
      const n = Math.min(this.pending[0].length, MAX_DATA_FRAME, room());
      if (n <= 0) {
        this.held = true;
        return false;
      }
      const head = this.pending[0];
      this.conn.send(dataFrame(this.id, 0, head.subarray(0, n)));
      take(n);
      if (n === head.length) this.pending.shift();
      else this.pending[0] = head.subarray(n);
    }
    if (this.held && !this.reset) {
      this.held = false;
      for (const h of this.drainHandlers) h();
    }
    if (this.finPending && !this.localClosed && !this.reset) {
      this.localClosed = true;
      this.conn.send(dataFrame(this.id, FLAG_FIN, Buffer.alloc(0)));
      this.conn.maybeForget(this);
    }
    return true;
  }

  /** @internal */
  receive(data: Buffer, fin: boolean): void {
    if (data.length) {
      for (const h of this.dataHandlers) h(data);
      this.unacknowledged += data.length;
      this.conn.credit(this, data.length);
    }
    if (fin && !this.remoteClosed) {
      this.remoteClosed = true;
      for (const h of this.endHandlers) h();
      this.conn.maybeForget(this);
    }
  }

  /** @internal the share of received bytes to credit now (half a window at a time) */
  takeCredit(): number {
    if (this.remoteClosed || this.unacknowledged < DEFAULT_WINDOW / 2) return 0;
    const n = this.unacknowledged;
    this.unacknowledged = 0;
    return n;
  }

  /** @internal */
  receiveReset(): void {
    if (this.reset) return;
    this.reset = true;
    this.pending = [];
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
  /** streams waiting for window, in the order they asked */
  private blocked = new Set<SpdyStream>();
  /** set once the peer sends WINDOW_UPDATE or SETTINGS INITIAL_WINDOW_SIZE */
  peerKeepsWindows = false;
  peerInitialWindow = DEFAULT_WINDOW;
  sessionSendWindow = DEFAULT_WINDOW;
  private sessionUnacknowledged = 0;
  private closedHandlers: Array<() => void> = [];
  /** end() asked for: GOAWAY as soon as every queued byte is out */
  private ending = false;
  closed = false;

  constructor(
    private readonly write: (frame: Buffer) => void,
    private readonly onClose: () => void,
  ) {}

  onStream(h: (s: SpdyStream) => void): void {
    this.streamHandlers.push(h);
  }

  /** called once when the connection is over, whichever side ended it */
  onClosed(h: () => void): void {
    if (this.closed) h();
    else this.closedHandlers.push(h);
  }

  /** @internal */
  send(frame: Buffer): void {
    if (!this.closed) this.write(frame);
  }

  /** @internal */
  maybeForget(s: SpdyStream): void {
    if ((s.localClosed && s.remoteClosed) || s.reset) {
      this.streams.delete(s.id);
      this.blocked.delete(s);
    }
  }

  /** @internal sends a stream's queued data as far as the windows allow */
  pump(s: SpdyStream): void {
    if (this.closed) return;
    const room = () => (this.peerKeepsWindows ? Math.min(s.sendWindow, this.sessionSendWindow) : Infinity);
    const take = (n: number) => {
      s.sendWindow -= n;
      this.sessionSendWindow -= n;
    };
    if (s.flush(room, take)) this.blocked.delete(s);
    else this.blocked.add(s);
    if (this.ending && this.blocked.size === 0) this.close();
  }

  private pumpAll(): void {
    for (const s of [...this.blocked]) this.pump(s);
  }

  /** @internal credits received bytes back to a peer that keeps windows */
  credit(s: SpdyStream, n: number): void {
    this.sessionUnacknowledged += n;
    const forStream = s.takeCredit();
    if (forStream) this.send(controlFrame(TYPE.windowUpdate, 0, pair(s.id, forStream)));
    if (this.sessionUnacknowledged >= DEFAULT_WINDOW / 2) {
      this.send(controlFrame(TYPE.windowUpdate, 0, pair(0, this.sessionUnacknowledged)));
      this.sessionUnacknowledged = 0;
    }
  }

  resetStream(s: SpdyStream, status = RST_CANCEL): void {
    this.send(controlFrame(TYPE.rstStream, 0, pair(s.id, status)));
    s.receiveReset();
    this.streams.delete(s.id);
    this.blocked.delete(s);
  }

  /** GOAWAY now; streams still open are reset. */
  close(): void {
    if (this.closed) return;
    this.send(controlFrame(TYPE.goAway, 0, pair(this.lastStreamId, 0)));
    this.abort();
  }

  /** GOAWAY once the data already written (and held back for window) has gone out. */
  end(): void {
    this.ending = true;
    if (this.blocked.size === 0) this.close();
  }

  /** The transport is gone: no GOAWAY, every stream reset. */
  abort(): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.streams.values()) s.receiveReset();
    this.streams.clear();
    this.blocked.clear();
    this.onClose();
    for (const h of this.closedHandlers.splice(0)) h();
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
      this.send(controlFrame(TYPE.goAway, 0, pair(this.lastStreamId, 1))); // PROTOCOL_ERROR
      this.abort();
    }
  }

  private handle(frame: Buffer): void {
    const flags = frame[4];
    const data = frame.subarray(8);
    if ((frame[0] & 0x80) === 0) {
      const id = frame.readUInt32BE(0) & 0x7fffffff;
      const s = this.streams.get(id);
      // data for a stream already gone or half-closed is dropped, as upstream's spdystream does
      if (!s || s.remoteClosed) return;
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
        // the header block is read first either way: it advances the zlib stream
        const headers = this.decoder.decode(data.subarray(10));
        if (id === 0 || id % 2 === 0 || id <= this.lastStreamId) throw new SpdyError(`bad stream id ${id}`);
        this.lastStreamId = id;
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
        if (data.length < 8) throw new SpdyError('short RST_STREAM');
        const id = data.readUInt32BE(0) & 0x7fffffff;
        const s = this.streams.get(id);
        this.streams.delete(id);
        if (s) this.blocked.delete(s);
        s?.receiveReset();
        return;
      }
      case TYPE.settings:
        this.settings(data);
        return;
      case TYPE.windowUpdate:
        this.windowUpdate(data);
        return;
      case TYPE.ping:
        // odd ids are the client's to be echoed; even ones would answer pings of ours, and we send none
        if (data.length >= 4 && data.readUInt32BE(0) % 2 === 1) this.send(frame);
        return;
      case TYPE.goAway:
        this.abort();
        return;
      case TYPE.headers:
        // extra headers change nothing here, but they advance the zlib stream
        if (data.length > 4) this.decoder.decode(data.subarray(4));
        return;
      default:
        // anything newer is ignored, as the draft asks
        return;
    }
  }

  private settings(data: Buffer): void {
    if (data.length < 4) throw new SpdyError('short SETTINGS');
    const count = data.readUInt32BE(0);
    if (data.length < 4 + count * 8) throw new SpdyError('SETTINGS truncated');
    for (let i = 0; i < count; i++) {
      const id = data.readUInt32BE(4 + i * 8) & 0xffffff;
      const value = data.readUInt32BE(8 + i * 8);
      if (id !== SETTINGS_INITIAL_WINDOW_SIZE) continue;
      if (value > MAX_WINDOW) throw new SpdyError(`initial window ${value} too large`);
      // open streams move by the difference, as the draft says
      const delta = value - this.peerInitialWindow;
      this.peerInitialWindow = value;
      this.peerKeepsWindows = true;
      for (const s of this.streams.values()) s.sendWindow += delta;
    }
    this.pumpAll();
  }

  private windowUpdate(data: Buffer): void {
    if (data.length < 8) throw new SpdyError('short WINDOW_UPDATE');
    const id = data.readUInt32BE(0) & 0x7fffffff;
    const delta = data.readUInt32BE(4) & 0x7fffffff;
    if (delta === 0) throw new SpdyError('WINDOW_UPDATE of 0');
    this.peerKeepsWindows = true;
    if (id === 0) {
      this.sessionSendWindow += delta;
      if (this.sessionSendWindow > MAX_WINDOW) throw new SpdyError('session window overflow');
    } else {
      const s = this.streams.get(id);
      if (!s) return;
      s.sendWindow += delta;
      if (s.sendWindow > MAX_WINDOW) {
        this.resetStream(s, RST_FLOW_CONTROL_ERROR);
        return;
      }
    }
    this.pumpAll();
  }
}
