// SPDY/3.1 framing of the node's port-forward: the dictionary, header blocks
// through a real zlib inflater/deflater, and a stream's life (SYN_STREAM in,
// SYN_REPLY out, data both ways, half-close, ping echo, reset).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { constants, createDeflate, inflateSync } from 'node:zlib';
import { HeaderDecoder, HeaderEncoder, SPDY3_DICTIONARY, SpdyServerConnection, type SpdyStream } from '../../../src/kubelet/spdy.js';

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
