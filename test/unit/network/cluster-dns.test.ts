// ClusterDns over real sockets on 127.0.0.1, fed by in-memory informer-shaped
// caches whose changes arrive as informer events: answers follow the events,
// TCP carries several queries on one connection, malformed queries get FORMERR.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import * as dnsPacket from 'dns-packet';
import type { DecodedPacket, RecordType } from 'dns-packet';
import type { KubeObject } from '../../../src/api/object.js';
import type { Handlers, Informer } from '../../../src/client/informer.js';
import { ClusterDns } from '../../../src/network/dns/cluster-dns.js';

/** An informer-shaped cache whose set/remove raise the events a real informer would. */
class FakeInformer {
  private readonly m = new Map<string, KubeObject>();
  private readonly hs: Handlers<KubeObject>[] = [];
  get(k: string) {
    return this.m.get(k);
  }
  list(ns?: string) {
    return [...this.m.values()].filter((o) => ns === undefined || o.metadata.namespace === ns);
  }
  addHandlers(h: Handlers<KubeObject>) {
    this.hs.push(h);
    for (const o of this.m.values()) h.onAdd?.(o);
  }
  set(o: KubeObject) {
    const k = `${o.metadata.namespace}/${o.metadata.name}`;
    const old = this.m.get(k);
    this.m.set(k, o);
    for (const h of this.hs) {
      if (old) h.onUpdate?.(old, o);
      else h.onAdd?.(o);
    }
  }
  remove(ns: string, name: string) {
    const o = this.m.get(`${ns}/${name}`);
    if (!o) return;
    this.m.delete(`${ns}/${name}`);
    for (const h of this.hs) h.onDelete?.(o);
  }
}

const services = new FakeInformer();
const slices = new FakeInformer();
const pods = new FakeInformer();
let dns: ClusterDns;
let port: number;

function ask(name: string, type: RecordType = 'A'): Promise<DecodedPacket> {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket('udp4');
    const timer = setTimeout(() => {
      sock.close();
      reject(new Error(`no answer for ${name}`));
    }, 3000);
    sock.on('message', (m) => {
      clearTimeout(timer);
      sock.close();
      resolve(dnsPacket.decode(m));
    });
    sock.send(dnsPacket.encode({ id: 7, type: 'query', flags: dnsPacket.RECURSION_DESIRED, questions: [{ name, type }] }), port, '127.0.0.1');
  });
}

const rcode = (p: DecodedPacket) => (p.flags ?? 0) & 0xf;
const data = (p: DecodedPacket) => (p.answers ?? []).map((a) => (a as { data: unknown }).data);

before(async () => {
  services.set({ metadata: { name: 'web', namespace: 'a' }, spec: { clusterIP: '10.43.0.5', clusterIPs: ['10.43.0.5'], ports: [{ name: 'http', port: 80, protocol: 'TCP' }] } });
  dns = new ClusterDns({ services: services as unknown as Informer, endpointSlices: slices as unknown as Informer, pods: pods as unknown as Informer, upstreams: [] });
  await dns.start({ addresses: ['127.0.0.1'], port: 0 });
  port = dns.addresses[0].port;
});
after(() => dns.stop());

test('answers follow informer events: a Service added, re-addressed, deleted', async () => {
  assert.deepEqual(data(await ask('web.a.svc.cluster.local')), ['10.43.0.5']);
  services.set({ metadata: { name: 'api', namespace: 'a' }, spec: { clusterIP: '10.43.0.6', ports: [] } });
  assert.deepEqual(data(await ask('api.a.svc.cluster.local')), ['10.43.0.6']);
  assert.deepEqual(data(await ask('6.0.43.10.in-addr.arpa', 'PTR')), ['api.a.svc.cluster.local']);
  services.remove('a', 'api');
  const gone = await ask('api.a.svc.cluster.local');
  assert.equal(rcode(gone), 3, 'NXDOMAIN');
  assert.equal(gone.authorities?.[0]?.type, 'SOA');
  assert.equal(rcode(await ask('6.0.43.10.in-addr.arpa', 'PTR')), 2, 'not ours any more: forwarded, and no upstream -> SERVFAIL');
  services.remove('a', 'web');
  assert.equal(rcode(await ask('a.svc.cluster.local')), 3, 'a namespace without Services does not exist');
  services.set({ metadata: { name: 'web', namespace: 'a' }, spec: { clusterIP: '10.43.0.5', ports: [{ name: 'http', port: 80, protocol: 'TCP' }] } });
});

test('headless endpoints follow slice events; not-ready ones are left out; pods answer PTR', async () => {
  services.set({ metadata: { name: 'db', namespace: 'a' }, spec: { clusterIP: 'None', ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }] } });
  assert.equal(rcode(await ask('db.a.svc.cluster.local')), 0);
  assert.deepEqual(data(await ask('db.a.svc.cluster.local')), [], 'NODATA while there are no endpoints');
  const slice = (ready: boolean): KubeObject => ({
    metadata: { name: 'db-1', namespace: 'a', labels: { 'kubernetes.io/service-name': 'db' } },
    ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }],
    endpoints: [{ addresses: ['10.42.0.9'], hostname: 'db-0', conditions: { ready: true } }, { addresses: ['10.42.0.10'], conditions: { ready } }],
  });
  slices.set(slice(false));
  assert.deepEqual(data(await ask('db.a.svc.cluster.local')), ['10.42.0.9']);
  slices.set(slice(true));
  assert.deepEqual(data(await ask('db.a.svc.cluster.local')).sort(), ['10.42.0.10', '10.42.0.9']);
  assert.deepEqual(data(await ask('10-42-0-10.db.a.svc.cluster.local')), ['10.42.0.10']);
  assert.deepEqual(data(await ask('9.0.42.10.in-addr.arpa', 'PTR')), ['db-0.db.a.svc.cluster.local']);
  pods.set({ metadata: { name: 'lonely', namespace: 'b' }, spec: {}, status: { podIP: '10.42.3.3' } });
  assert.deepEqual(data(await ask('3.3.42.10.in-addr.arpa', 'PTR')), ['10-42-3-3.b.pod.cluster.local']);
  slices.remove('a', 'db-1');
  assert.deepEqual(data(await ask('db.a.svc.cluster.local')), []);
});

test('TCP: two queries on one connection, answered in order', async () => {
  const c = net.connect(port, '127.0.0.1');
  await new Promise((r) => c.once('connect', r));
  const frame = (id: number, name: string) => dnsPacket.streamEncode({ id, type: 'query', questions: [{ name, type: 'A' }] });
  c.write(Buffer.concat([frame(1, 'web.a.svc.cluster.local'), frame(2, 'nope.a.svc.cluster.local')]));
  let buf = Buffer.alloc(0);
  const replies: DecodedPacket[] = [];
  await new Promise<void>((resolve) => {
    c.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        replies.push(dnsPacket.decode(buf.subarray(2, 2 + buf.readUInt16BE(0))));
        buf = buf.subarray(2 + buf.readUInt16BE(0));
      }
      if (replies.length === 2) resolve();
    });
  });
  c.destroy();
  assert.deepEqual(replies.map((r) => [r.id, rcode(r)]), [[1, 0], [2, 3]]);
});

test('garbage gets FORMERR with the query ID; two questions are FORMERR too', async () => {
  const garbage = Buffer.from('abcdefghijklmnopqrstuvwxyz');
  const two = dnsPacket.encode({ id: 9, type: 'query', questions: [{ name: 'a.cluster.local', type: 'A' }, { name: 'b.cluster.local', type: 'A' }] });
  for (const msg of [garbage, two]) {
    const reply = await new Promise<Buffer>((resolve) => {
      const sock = dgram.createSocket('udp4');
      sock.on('message', (m) => {
        sock.close();
        resolve(m);
      });
      sock.send(msg, port, '127.0.0.1');
    });
    assert.equal(reply.readUInt16BE(0), msg.readUInt16BE(0));
    assert.equal(reply.readUInt16BE(2) & 0xf, 1);
  }
});

test('an address that cannot be bound fails start and lets go of the ones already bound', async () => {
  const other = new ClusterDns({ services: services as unknown as Informer, endpointSlices: slices as unknown as Informer, upstreams: [] });
  // 127.0.0.2:port is free, 127.0.0.1:port is the server above's
  await assert.rejects(other.start({ addresses: ['127.0.0.2', '127.0.0.1'], port }), /EADDRINUSE/);
  assert.deepEqual(other.addresses, []);
  const again = net.createServer();
  await new Promise<void>((resolve, reject) => {
    again.once('error', reject);
    again.listen(port, '127.0.0.2', () => resolve());
  });
  await new Promise((r) => again.close(r));
});
