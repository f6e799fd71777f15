// exec/attach over plain SPDY: protocol negotiation as upstream's handshake
// does it, the streams a session waits for, and the channel view the shared
// exec/attach code sees (stdin and its end, resize objects, output and the
// error stream per protocol version), over a real SpdyServerConnection fed
// frames a Go client would send.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { constants, createDeflate } from 'node:zlib';
import { SPDY3_DICTIONARY, serializeHeaderBlock } from '../../../src/kubelet/spdy-header-block.js';
import { SpdyServerConnection } from '../../../src/kubelet/spdy.js';
import { errorStreamBody, expectedStreams, remoteCommandStreams, resizeSplitter } from '../../../src/kubelet/spdy-remote-command.js';
import { negotiateProtocol } from '../../../src/kubelet/spdy-upgrade.js';

const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};

function clientCompressor() {
  const d = createDeflate({ dictionary: SPDY3_DICTIONARY });
  const out: Buffer[] = [];
  d.on('data', (c: Buffer) => out.push(c));
  return (h: Record<string, string>) => new Promise<Buffer>((resolve) => {
    d.write(serializeHeaderBlock(h));
    d.flush(constants.Z_SYNC_FLUSH, () => resolve(Buffer.concat(out.splice(0))));
  });
}

function control(type: number, data: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt16BE(0x8003);
  h.writeUInt16BE(type, 2);
  h.writeUInt32BE(data.length, 4);
  return Buffer.concat([h, data]);
}

const data = (id: number, body: string, fin = false) => {
  const h = Buffer.concat([u32(id), u32(Buffer.byteLength(body))]);
  if (fin) h[4] = 1;
  return Buffer.concat([h, Buffer.from(body)]);
};

test('the client order decides among the protocols both speak; none in common is none', () => {
  const ours = ['v4.channel.k8s.io', 'v3.channel.k8s.io', 'v2.channel.k8s.io'];
  assert.equal(negotiateProtocol(['v5.channel.k8s.io', 'v4.channel.k8s.io', 'v3.channel.k8s.io'], ours), 'v4.channel.k8s.io');
  assert.equal(negotiateProtocol(['v3.channel.k8s.io', 'v4.channel.k8s.io'], ours), 'v3.channel.k8s.io');
  assert.equal(negotiateProtocol(['channel.k8s.io'], ours), undefined);
});

test('the streams a session waits for follow the options and the version', () => {
  assert.deepEqual(expectedStreams('v4.channel.k8s.io', { stdin: true, stdout: true, stderr: true, tty: false }), ['error', 'stdin', 'stdout', 'stderr']);
  assert.deepEqual(expectedStreams('v4.channel.k8s.io', { stdin: true, stdout: true, stderr: true, tty: true }), ['error', 'stdin', 'stdout', 'resize']);
  assert.deepEqual(expectedStreams('v2.channel.k8s.io', { stdin: false, stdout: true, stderr: false, tty: true }), ['error', 'stdout']);
});

test('resize objects are cut out of the stream however it is split', () => {
  const got: string[] = [];
  const feed = resizeSplitter((j) => got.push(j));
  feed(Buffer.from('{"Width":80,"Hei'));
  feed(Buffer.from('ght":24}\n{"Width":100,"Height":40}\n{"Wi'));
  assert.deepEqual(got, ['{"Width":80,"Height":24}', '{"Width":100,"Height":40}']);
});

test('the error stream: the Status JSON in v4, only a failure message as text before', () => {
  const failure = Buffer.from(JSON.stringify({ status: 'Failure', message: 'command terminated with non-zero exit code: exit status 3' }));
  const success = Buffer.from(JSON.stringify({ status: 'Success' }));
  assert.equal(errorStreamBody('v4.channel.k8s.io', failure), failure);
  assert.equal(errorStreamBody('v3.channel.k8s.io', failure).toString(), 'command terminated with non-zero exit code: exit status 3');
  assert.equal(errorStreamBody('v3.channel.k8s.io', success).length, 0);
});

test('a session starts when every expected stream is open and maps channels to streams both ways', async () => {
  const sent: Buffer[] = [];
  let closed = false;
  const conn = new SpdyServerConnection((f) => sent.push(f), () => (closed = true));
  const ready = remoteCommandStreams(conn, 'v4.channel.k8s.io', { stdin: true, stdout: true, stderr: true, tty: false });
  let started = false;
  void ready.then(() => (started = true));
  const compress = clientCompressor();
  // client-go's order: error, stdin, stdout, stderr
  const ids = { error: 1, stdin: 3, stdout: 5, stderr: 7 };
  for (const [type, id] of Object.entries(ids)) {
    assert.equal(started, false, `not before ${type}`);
    conn.feed(control(1, Buffer.concat([u32(id), u32(0), Buffer.from([0, 0]), await compress({ streamtype: type })])));
    await new Promise((r) => setImmediate(r));
  }
  const view = (await ready)!;
  assert.ok(view && started);
  const messages: Buffer[] = [];
  conn.feed(data(ids.stdin, 'typed')); // before anyone listens: kept
  view.onMessage((m) => messages.push(m));
  conn.feed(data(ids.stdin, '', true));
  assert.deepEqual(messages.map((m) => [m[0], m.subarray(1).toString()]), [[0, 'typed'], [255, '\u0000']]);
  view.send(Buffer.concat([Buffer.from([1]), Buffer.from('out')]));
  view.send(Buffer.concat([Buffer.from([2]), Buffer.from('err')]));
  view.send(Buffer.concat([Buffer.from([3]), Buffer.from('{"status":"Success"}')]));
  view.close();
  const onStream = (id: number) => sent.filter((f) => (f[0] & 0x80) === 0 && f.readUInt32BE(0) === id);
  assert.equal(Buffer.concat(onStream(ids.stdout).map((f) => f.subarray(8))).toString(), 'out');
  assert.equal(Buffer.concat(onStream(ids.stderr).map((f) => f.subarray(8))).toString(), 'err');
  assert.equal(Buffer.concat(onStream(ids.error).map((f) => f.subarray(8))).toString(), '{"status":"Success"}');
  for (const id of [ids.stdout, ids.stderr, ids.error]) assert.equal(onStream(id).at(-1)![4], 1, `stream ${id} ends with FIN`);
  assert.ok(closed);
  assert.equal(sent.at(-1)!.readUInt16BE(2), 7, 'GOAWAY last');
});

test('a client that does not open its streams in time gets the session closed', async () => {
  let closed = false;
  const conn = new SpdyServerConnection(() => {}, () => (closed = true));
  const view = await remoteCommandStreams(conn, 'v4.channel.k8s.io', { stdin: false, stdout: true, stderr: false, tty: false }, 50);
  assert.equal(view, undefined);
  assert.ok(closed);
});
