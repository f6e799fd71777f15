// SPDY/3.1 framing of the node's exec, attach and port-forward: the
// dictionary, header blocks through a real zlib inflater/deflater (ours
// compressed, a continuous stream past the 32 KiB window), a stream's life
// (SYN_STREAM in, SYN_REPLY out, data both ways, half-close, ping echo, reset)
// and flow control (SETTINGS, WINDOW_UPDATE both ways).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { constants, createDeflate, createInflate, inflateSync } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import { HeaderDecoder, HeaderEncoder, SPDY3_DICTIONARY, serializeHeaderBlock } from '../../../src/kubelet/spdy-header-block.js';
import { SpdyServerConnection, type SpdyStream } from '../../../src/kubelet/spdy.js';

const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};
const plainBlock = (h: Record<string, string>) => Buffer.concat([u32(Object.keys(h).length), ...Object.entries(h).flatMap(([k, v]) => [u32(k.length), Buffer.from(k), u32(v.length), Buffer.from(v)])]);

/** A client-side compressor as Go's spdy framer uses it: one zlib stream, a sync flush per block. */
function clientCompressor() {
  const d = createDeflate({ dictionary: SPDY3_DICTIONARY, level: 9 });
  const out: Buffer[] = [];
  d.on('data', (c: Buffer) => out.push(c));
  return (h: Record<string, string>) => new Promise<Buffer>((resolve) => {
    d.write(plainBlock(h));
    d.flush(constants.Z_SYNC_FLUSH, () => resolve(Buffer.concat(out.splice(0))));
  });
}

function control(type: number, flags: number, data: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt16BE(0x8003);
  h.writeUInt16BE(type, 2);
  h.writeUInt32BE(data.length, 4);
  h[4] = flags;
  return Buffer.concat([h, data]);
}

test('the SPDY/3 dictionary has the spec length', () => {
  assert.equal(SPDY3_DICTIONARY.length, 1423);
});

test("header blocks: ours inflate with any zlib, a real deflater's blocks decode in sequence", async () => {
  const enc = new HeaderEncoder();
  const stream = Buffer.concat([enc.encode({}), enc.encode({ a: 'b' })]);
  // one zlib stream across both blocks
  const plain = inflateSync(stream, { dictionary: SPDY3_DICTIONARY, finishFlush: constants.Z_SYNC_FLUSH });
  assert.deepEqual(plain, Buffer.concat([plainBlock({}), plainBlock({ a: 'b' })]));
  const compress = clientCompressor();
  const dec = new HeaderDecoder();
  assert.deepEqual(dec.decode(await compress({ streamtype: 'error', port: '80', requestid: '0' })), { streamtype: 'error', port: '80', requestid: '0' });
  assert.deepEqual(dec.decode(await compress({ streamtype: 'data', port: '80', requestid: '0' })), { streamtype: 'data', port: '80', requestid: '0' });
});

test('a stream: SYN_STREAM is answered with SYN_REPLY, data flows both ways, FIN half-closes, PING is echoed', async () => {
  const sent: Buffer[] = [];
  let closed = false;
  const conn = new SpdyServerConnection((f) => sent.push(f), () => (closed = true));
  const streams: SpdyStream[] = [];
  const got: string[] = [];
  let ended = false;
  conn.onStream((s) => {
    streams.push(s);
    s.onData((d) => got.push(d.toString()));
    s.onEnd(() => (ended = true));
  });
  const compress = clientCompressor();
  const syn = Buffer.concat([u32(1), u32(0), Buffer.from([0, 0]), await compress({ streamtype: 'data', port: '8080' })]);
  // fed in pieces, as a WebSocket may cut it
  const frame = control(1, 0, syn);
  conn.feed(frame.subarray(0, 5));
  conn.feed(frame.subarray(5));
  assert.equal(streams.length, 1);
  assert.deepEqual(streams[0].headers, { streamtype: 'data', port: '8080' });
  assert.equal(sent[0].readUInt16BE(2), 2, 'SYN_REPLY');
  assert.equal(sent[0].readUInt32BE(8), 1);
  const data = Buffer.concat([u32(1), Buffer.from([0x01, 0, 0, 5]), Buffer.from('hello')]);
  conn.feed(data);
  assert.deepEqual(got, ['hello']);
  assert.ok(ended, 'FIN on the data frame ends the remote side');
  streams[0].write(Buffer.from('back'));
  const out = sent[sent.length - 1];
  assert.equal(out.readUInt32BE(0), 1);
  assert.equal(out.subarray(8).toString(), 'back');
  conn.feed(control(6, 0, u32(7)));
  assert.equal(sent[sent.length - 1].readUInt32BE(8), 7, 'PING echoed');
  // a header block that is not zlib is a protocol error: GOAWAY and the connection closes
  conn.feed(control(1, 0, Buffer.concat([u32(3), u32(0), Buffer.from([0, 0]), Buffer.from('garbage!')])));
  assert.equal(sent[sent.length - 1].readUInt16BE(2), 7, 'GOAWAY');
  assert.ok(closed);
});

/** A peer's inflater as Go's framer keeps it: one zlib stream, whatever arrives is read on. */
function peerInflater() {
  const inf = createInflate({ dictionary: SPDY3_DICTIONARY });
  const out: Buffer[] = [];
  inf.on('data', (c: Buffer) => out.push(c));
  let failed: Error | undefined;
  inf.on('error', (e) => (failed = e));
  return (block: Buffer) => new Promise<Buffer>((resolve, reject) => {
    inf.write(block);
    inf.flush(constants.Z_SYNC_FLUSH, () => (failed ? reject(failed) : resolve(Buffer.concat(out.splice(0)))));
  });
}

test('header compression round-trips both ways over one zlib stream longer than its 32 KiB window', async () => {
  const enc = new HeaderEncoder();
  const inflate = peerInflater();
  const compress = clientCompressor();
  const dec = new HeaderDecoder();
  let plainBytes = 0;
  let wireBytes = 0;
  for (let i = 0; i < 60; i++) {
    // repeated names compress against the dictionary and earlier blocks; random values make the history long
    const headers = { streamtype: ['error', 'stdout', 'stderr'][i % 3], port: String(8000 + i), requestid: String(i), noise: randomBytes(600).toString('hex') };
    const block = enc.encode(headers);
    plainBytes += serializeHeaderBlock(headers).length;
    wireBytes += block.length;
    assert.deepEqual(await inflate(block), serializeHeaderBlock(headers), `block ${i} inflates in the peer's stream`);
    assert.deepEqual(dec.decode(await compress(headers)), headers, `block ${i} from the peer decodes`);
  }
  assert.ok(plainBytes > 64 * 1024, 'the history passed the window');
  // hex text of random bytes still halves: the blocks are really compressed, not stored
  assert.ok(wireBytes < plainBytes * 0.7, `${wireBytes} of ${plainBytes}`);
  const small = serializeHeaderBlock({ streamtype: 'stdout' });
  assert.deepEqual(await inflate(enc.encode({ streamtype: 'stdout' })), small);
  const again = enc.encode({ streamtype: 'stdout' });
  assert.ok(again.length < 12, `a block seen just before costs a few bytes, not ${again.length}`);
  assert.deepEqual(await inflate(again), small);
});

test('a header block from another dictionary or not zlib at all is refused', () => {
  assert.throws(() => new HeaderDecoder().decode(Buffer.from('garbage!')), /zlib/);
  const otherDict = Buffer.from([0x78, 0xbb, 0, 0, 0, 1, 0, 0, 0, 0xff, 0xff]);
  assert.throws(() => new HeaderDecoder().decode(otherDict), /dictionary/);
});

async function openStream(conn: SpdyServerConnection, compress: (h: Record<string, string>) => Promise<Buffer>, id: number, headers: Record<string, string>) {
  conn.feed(control(1, 0, Buffer.concat([u32(id), u32(0), Buffer.from([0, 0]), await compress(headers)])));
}

const dataFrames = (sent: Buffer[], id: number) => sent.filter((f) => (f[0] & 0x80) === 0 && f.readUInt32BE(0) === id);
const windowUpdate = (id: number, delta: number) => control(9, 0, Buffer.concat([u32(id), u32(delta)]));

test('flow control: a peer that never speaks of windows (Go spdystream) gets everything at once', async () => {
  const sent: Buffer[] = [];
  const conn = new SpdyServerConnection((f) => sent.push(f), () => {});
  let stream: SpdyStream | undefined;
  conn.onStream((s) => (stream = s));
  await openStream(conn, clientCompressor(), 1, { streamtype: 'stdout' });
  stream!.write(Buffer.alloc(300_000, 1));
  stream!.end();
  const frames = dataFrames(sent, 1);
  assert.equal(frames.reduce((n, f) => n + f.length - 8, 0), 300_000);
  assert.ok(frames.every((f) => f.length - 8 <= 32 * 1024), 'frames of at most 32 KiB');
  assert.equal(frames[frames.length - 1][4], 1, 'FIN last');
});

test('flow control: a peer that keeps windows gets no more than its window, and the rest as it grants more', async () => {
  const sent: Buffer[] = [];
  let closed = false;
  const conn = new SpdyServerConnection((f) => sent.push(f), () => (closed = true));
  const streams: SpdyStream[] = [];
  conn.onStream((s) => streams.push(s));
  const compress = clientCompressor();
  // a small initial window from SETTINGS: id 7 INITIAL_WINDOW_SIZE
  conn.feed(control(4, 0, Buffer.concat([u32(1), u32(7), u32(10_000)])));
  await openStream(conn, compress, 1, { streamtype: 'stdout' });
  await openStream(conn, compress, 3, { streamtype: 'stderr' });
  const sentOn = (id: number) => dataFrames(sent, id).reduce((n, f) => n + f.length - 8, 0);
  streams[0].write(Buffer.alloc(25_000, 1));
  streams[0].end();
  assert.equal(sentOn(1), 10_000, 'held at the stream window');
  assert.equal(streams[0].queued, 15_000);
  conn.end(); // asked to finish: waits for the queued bytes
  assert.equal(closed, false);
  conn.feed(windowUpdate(1, 10_000));
  assert.equal(sentOn(1), 20_000);
  // the session window (64 KiB) is shared: stream 3 may use its own 10 000
  streams[1].write(Buffer.alloc(12_000, 2));
  assert.equal(sentOn(3), 10_000);
  conn.feed(windowUpdate(1, 100_000));
  assert.equal(sentOn(1), 25_000);
  assert.equal(dataFrames(sent, 1).at(-1)![4], 1, 'FIN after the last byte');
  assert.equal(closed, false, 'stream 3 still holds bytes back');
  conn.feed(windowUpdate(3, 5_000));
  assert.equal(sentOn(3), 12_000);
  assert.ok(closed, 'GOAWAY once nothing is queued');
  assert.equal(sent.at(-1)!.readUInt16BE(2), 7);
});

test('flow control: the session window holds every stream', async () => {
  const sent: Buffer[] = [];
  const conn = new SpdyServerConnection((f) => sent.push(f), () => {});
  const streams: SpdyStream[] = [];
  conn.onStream((s) => streams.push(s));
  await openStream(conn, clientCompressor(), 1, { streamtype: 'stdout' });
  conn.feed(windowUpdate(1, 1_000_000)); // the stream may take a lot; the session still has 64 KiB
  streams[0].write(Buffer.alloc(100_000));
  assert.equal(dataFrames(sent, 1).reduce((n, f) => n + f.length - 8, 0), 64 * 1024);
  conn.feed(windowUpdate(0, 40_000));
  assert.equal(dataFrames(sent, 1).reduce((n, f) => n + f.length - 8, 0), 100_000);
});

test('flow control: what the peer sends is credited back by WINDOW_UPDATE, per stream and for the session', async () => {
  const sent: Buffer[] = [];
  const conn = new SpdyServerConnection((f) => sent.push(f), () => {});
  let got = 0;
  conn.onStream((s) => s.onData((d) => (got += d.length)));
  await openStream(conn, clientCompressor(), 1, { streamtype: 'stdin' });
  for (let i = 0; i < 8; i++) conn.feed(Buffer.concat([u32(1), u32(8192), Buffer.alloc(8192)]));
  assert.equal(got, 65_536);
  const updates = sent.filter((f) => f[0] & 0x80 && f.readUInt16BE(2) === 9).map((f) => [f.readUInt32BE(8), f.readUInt32BE(12)]);
  const credited = (id: number) => updates.filter(([i]) => i === id).reduce((n, [, d]) => n + d, 0);
  assert.equal(credited(1), 65_536, 'the stream window is given back');
  assert.equal(credited(0), 65_536, 'and the session window');
});

test('RST_STREAM from the peer resets the stream; PING with an even id is not echoed; bad WINDOW_UPDATE is a protocol error', async () => {
  const sent: Buffer[] = [];
  let closed = false;
  const conn = new SpdyServerConnection((f) => sent.push(f), () => (closed = true));
  let reset = false;
  conn.onStream((s) => s.onReset(() => (reset = true)));
  await openStream(conn, clientCompressor(), 1, { streamtype: 'data', port: '80', requestid: '0' });
  conn.feed(control(3, 0, Buffer.concat([u32(1), u32(5)])));
  assert.ok(reset);
  const before = sent.length;
  conn.feed(control(6, 0, u32(2)));
  assert.equal(sent.length, before, 'an even PING id would answer a ping of ours');
  conn.feed(windowUpdate(0, 0));
  assert.ok(closed);
  assert.equal(sent.at(-1)!.readUInt16BE(2), 7, 'GOAWAY');
  assert.equal(sent.at(-1)!.readUInt32BE(12), 1, 'PROTOCOL_ERROR');
});

test('flow control: a stream held back by its window says when it has drained', async () => {
  const sent: Buffer[] = [];
  const conn = new SpdyServerConnection((f) => sent.push(f), () => {});
  let stream: SpdyStream | undefined;
  conn.onStream((s) => (stream = s));
  await openStream(conn, clientCompressor(), 1, { streamtype: 'data', port: '80', requestid: '0' });
  let drained = 0;
  stream!.onDrain(() => drained++);
  conn.feed(windowUpdate(1, 1)); // the peer keeps windows: the stream may send 64 KiB + 1, the session 64 KiB
  stream!.write(Buffer.alloc(1000));
  assert.equal(drained, 0, 'what goes out at once never was held');
  stream!.write(Buffer.alloc(99_000));
  assert.equal(stream!.queued, 100_000 - 65_536);
  assert.equal(drained, 0);
  conn.feed(windowUpdate(1, 20_000));
  conn.feed(windowUpdate(0, 20_000));
  assert.equal(drained, 0, 'still held');
  conn.feed(windowUpdate(1, 20_000));
  conn.feed(windowUpdate(0, 20_000));
  assert.equal(stream!.queued, 0);
  assert.equal(drained, 1);
});
