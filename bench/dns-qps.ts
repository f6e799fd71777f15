// Cluster DNS throughput and latency on loopback: ClusterDns in a child process
// over caches holding 2,000 Services (200 of them headless with 10 endpoints
// each), asked by many concurrent UDP clients for a mix of names (ClusterIP A,
// headless A, SRV, NXDOMAIN, PTR). Prints queries/s and p50/p99 per mix.
// Run: node --import tsx bench/dns-qps.ts [clients=64] [seconds=5]
import { fork } from 'node:child_process';
import dgram from 'node:dgram';
import { fileURLToPath } from 'node:url';
import * as dnsPacket from 'dns-packet';
import type { RecordType } from 'dns-packet';
import type { KubeObject } from '../src/api/object.js';
import type { Informer } from '../src/client/informer.js';
import { ClusterDns } from '../src/network/dns/cluster-dns.js';
import { summary } from './lib.js';

const SERVICES = 2000;
const HEADLESS_EVERY = 10;
const ENDPOINTS = 10;

/** An informer-shaped cache filled in memory (the server reads nothing else). */
function cache(items: KubeObject[]): Informer {
  const m = new Map(items.map((o) => [`${o.metadata.namespace}/${o.metadata.name}`, o]));
  return {
    get: (k: string) => m.get(k),
    list: (ns?: string) => [...m.values()].filter((o) => ns === undefined || o.metadata.namespace === ns),
    // a late handler sees the cache as adds, as the real informer does
    addHandlers: (h: { onAdd?: (o: KubeObject) => void }) => m.forEach((o) => h.onAdd?.(o)),
  } as unknown as Informer;
}

function world(): { services: KubeObject[]; slices: KubeObject[] } {
  const services: KubeObject[] = [];
  const slices: KubeObject[] = [];
  for (let i = 0; i < SERVICES; i++) {
    const headless = i % HEADLESS_EVERY === 0;
    const ns = `ns${i % 20}`;
    const name = `svc${i}`;
    services.push({ metadata: { name, namespace: ns }, spec: { clusterIP: headless ? 'None' : `10.43.${i >> 8}.${i & 255}`, ports: [{ name: 'http', port: 80, protocol: 'TCP' }] } });
    if (headless) {
      slices.push({
        metadata: { name: `${name}-x`, namespace: ns, labels: { 'kubernetes.io/service-name': name } },
        ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
        endpoints: Array.from({ length: ENDPOINTS }, (_, j) => ({ addresses: [`10.42.${i >> 4}.${(i & 15) * 16 + j}`], hostname: `p${j}`, conditions: { ready: true } })),
      });
    }
  }
  return { services, slices };
}

async function serve(): Promise<void> {
  const { services, slices } = world();
  const dns = new ClusterDns({ services: cache(services), endpointSlices: cache(slices), upstreams: [] });
  await dns.start({ addresses: ['127.0.0.1'], port: 0 });
  process.send!({ port: dns.addresses[0].port });
  process.on('message', () => void dns.stop().then(() => process.exit(0)));
}

type Query = { name: string; type: RecordType };

const MIXES: Record<string, (i: number) => Query> = {
  'ClusterIP A': (i) => {
    const n = (i % SERVICES) | 1; // odd indexes are never headless
    return { name: `svc${n}.ns${n % 20}.svc.cluster.local`, type: 'A' };
  },
  'headless A (10 endpoints)': (i) => {
    const n = (i * HEADLESS_EVERY) % SERVICES;
    return { name: `svc${n}.ns${n % 20}.svc.cluster.local`, type: 'A' };
  },
  'SRV _http._tcp': (i) => {
    const n = i % SERVICES;
    return { name: `_http._tcp.svc${n}.ns${n % 20}.svc.cluster.local`, type: 'SRV' };
  },
  NXDOMAIN: (i) => ({ name: `missing${i}.ns1.svc.cluster.local`, type: 'A' }),
  'PTR (Service IP)': (i) => {
    const n = (i % SERVICES) | 1;
    return { name: `${n & 255}.${n >> 8}.43.10.in-addr.arpa`, type: 'PTR' };
  },
};

/** `clients` sockets, each with one query in flight, for `seconds`. */
async function load(port: number, clients: number, seconds: number, next: (i: number) => Query): Promise<{ lat: number[]; wall: number; lost: number }> {
  const lat: number[] = [];
  let lost = 0;
  let counter = 0;
  const end = performance.now() + seconds * 1000;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      const sock = dgram.createSocket('udp4');
      await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
      let id = 0;
      while (performance.now() < end) {
        id = (id + 1) & 0xffff;
        const q = next(counter++);
        const msg = dnsPacket.encode({ id, type: 'query', flags: dnsPacket.RECURSION_DESIRED, questions: [q] });
        const t = performance.now();
        const ok = await new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => {
            sock.off('message', on);
            resolve(false);
          }, 1000);
          const on = (reply: Buffer) => {
            if (reply.readUInt16BE(0) !== id) return;
            clearTimeout(timer);
            sock.off('message', on);
            resolve(true);
          };
          sock.on('message', on);
          sock.send(msg, port, '127.0.0.1');
        });
        if (ok) lat.push(performance.now() - t);
        else lost++;
      }
      sock.close();
    }),
  );
  return { lat, wall: performance.now() - t0, lost };
}

async function main(): Promise<void> {
  const clients = Number(process.argv[2]) || 64;
  const seconds = Number(process.argv[3]) || 5;
  const child = fork(fileURLToPath(import.meta.url), ['--serve'], { execArgv: ['--import', 'tsx'] });
  const port = await new Promise<number>((resolve) => child.once('message', (m: { port: number }) => resolve(m.port)));
  console.log(`cluster DNS on 127.0.0.1:${port} (child process): ${SERVICES} Services, ${SERVICES / HEADLESS_EVERY} headless x ${ENDPOINTS} endpoints; ${clients} UDP clients, ${seconds} s per mix`);
  // warm up (JIT, the lazy index build)
  await load(port, clients, 1, MIXES['ClusterIP A']);
  for (const [name, next] of Object.entries(MIXES)) {
    const r = await load(port, clients, seconds, next);
    console.log(`${summary(name, r.lat, r.wall)}${r.lost ? `  lost=${r.lost}` : ''}`);
  }
  child.send('stop');
  await new Promise((r) => child.once('exit', r));
}

if (process.argv.includes('--serve')) void serve();
else void main();
