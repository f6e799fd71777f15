// Service proxy figures on a 3-node cluster of real nodes (network namespaces
// made here, as the e2e tests do; root needed):
// 1. HTTP throughput and latency to one busybox httpd pod, direct to its pod IP
//    and through its ClusterIP (nftables DNAT), from a host outside the cluster
//    routed through node 0, in the same run;
// 2. how long a new Service takes to be programmed on all three nodes (from the
//    create request to its ClusterIP in every node's nftables map).
// Run: node --import tsx bench/service-proxy.ts [requests=2000] [concurrency=16] [services=20]
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { k } from '../test/e2e/harness.js';
import { startCluster } from '../test/e2e/cluster-harness.js';

const requests = Number(process.argv[2] ?? 2000);
const concurrency = Number(process.argv[3] ?? 16);
const serviceCount = Number(process.argv[4] ?? 20);

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};

// the load generator runs in the outside host's namespace: N HTTP/1.0 requests, C at a time
const LOADGEN = `
const net = require('net');
const [ip, port, n, c] = process.argv.slice(2); let left = Number(n); const lat = []; let failed = 0;
const one = () => new Promise((resolve) => { const t = process.hrtime.bigint(); const s = net.connect(Number(port), ip); let got = '';
  s.setTimeout(5000, () => s.destroy(new Error('timeout')));
  s.on('connect', () => s.write('GET / HTTP/1.0\\r\\n\\r\\n')); s.on('data', (d) => (got += d));
  s.on('close', () => { if (got.startsWith('HTTP/1.0 200') || got.startsWith('HTTP/1.1 200')) lat.push(Number(process.hrtime.bigint() - t) / 1e6); else failed++; resolve(); });
  s.on('error', () => {}); });
const worker = async () => { while (left-- > 0) await one(); };
const t0 = Date.now();
Promise.all(Array.from({ length: Number(c) }, worker)).then(() => { const ms = Date.now() - t0; lat.sort((a, b) => a - b);
  console.log(JSON.stringify({ ok: lat.length, failed, rps: lat.length / (ms / 1000), p50: lat[Math.floor(lat.length / 2)], p99: lat[Math.floor(lat.length * 0.99)] })); });
`;

const c = await startCluster('bsp', 3);
try {
  const script = join(tmpdir(), `skiff-loadgen-${process.pid}.cjs`);
  writeFileSync(script, LOADGEN);
  const node0 = c.nodes[0]!;
  for (const cidr of ['10.42.0.0/16', '10.43.0.0/16']) execFileSync('ip', ['-n', c.client.netns, 'route', 'add', cidr, 'via', node0.ip]);
  k(c.s, ['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', labels: { app: 'web' } }, spec: { nodeName: c.nodes[1]!.name, terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', 'mkdir -p /www && echo ok > /www/index.html && exec httpd -f -p 8080 -h /www'], ports: [{ containerPort: 8080 }] }] } }));
  k(c.s, ['wait', '--for=condition=Ready', 'pod/web', '--timeout=60s']);
  k(c.s, ['expose', 'pod', 'web', '--port', '80', '--target-port', '8080']);
  const podIP = JSON.parse(k(c.s, ['get', 'pod', 'web', '-o', 'json'])).status.podIP as string;
  const clusterIP = JSON.parse(k(c.s, ['get', 'svc', 'web', '-o', 'json'])).spec.clusterIP as string;
  const load = (ip: string, port: number) => JSON.parse(execFileSync('nsenter', [`--net=/var/run/netns/${c.client.netns}`, process.execPath, script, ip, String(port), String(requests), String(concurrency)], { encoding: 'utf8', timeout: 600_000 }));
  load(podIP, 8080); // warm up
  const direct = load(podIP, 8080);
  const viaService = load(clusterIP, 80);
  const direct2 = load(podIP, 8080);
  console.log(`throughput, ${requests} HTTP/1.0 requests, ${concurrency} at a time, outside host -> node 0 -> pod on node 1:`);
  console.log(`  direct to pod IP   ${direct.rps.toFixed(0)} req/s, p50 ${direct.p50.toFixed(2)} ms, p99 ${direct.p99.toFixed(2)} ms, failed ${direct.failed}`);
  console.log(`  through ClusterIP  ${viaService.rps.toFixed(0)} req/s, p50 ${viaService.p50.toFixed(2)} ms, p99 ${viaService.p99.toFixed(2)} ms, failed ${viaService.failed}`);
  console.log(`  direct again       ${direct2.rps.toFixed(0)} req/s, p50 ${direct2.p50.toFixed(2)} ms, p99 ${direct2.p99.toFixed(2)} ms`);
  const directRps = (direct.rps + direct2.rps) / 2;
  console.log(`  proxy overhead: ${(((directRps - viaService.rps) / directRps) * 100).toFixed(1)}% of direct throughput`);

  // propagation: create a Service for the running pod (one kubectl apply), wait for its ClusterIP in
  // every node's map; a kubectl call's own time is measured alone and reported beside it
  const kubectlMs: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t = Date.now();
    k(c.s, ['get', 'svc', 'web', '-o', 'name']);
    kubectlMs.push(Date.now() - t);
  }
  const times: number[] = [];
  for (let i = 0; i < serviceCount; i++) {
    const name = `prop-${i}`;
    const t0 = Date.now();
    const svc = JSON.parse(k(c.s, ['apply', '-o', 'json', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] } })));
    const ip = svc.spec.clusterIP as string;
    const pending = new Set(c.nodes.map((n) => n.netns));
    while (pending.size) {
      for (const ns of [...pending]) {
        const r = spawnSync('nsenter', [`--net=/var/run/netns/${ns}`, 'nft', 'list', 'map', 'ip', 'skiff', 'service-ips'], { encoding: 'utf8' });
        if (r.stdout.includes(`${ip} . tcp . 80 : goto svc-`)) pending.delete(ns);
      }
    }
    times.push(Date.now() - t0);
  }
  const base = pct(kubectlMs, 50);
  console.log(`endpoint propagation, ${serviceCount} new Services with a ready pod, to all 3 nodes' nftables (EndpointSlice controller, watch, nft -f):`);
  console.log(`  from kubectl apply start: p50 ${pct(times, 50)} ms, p99 ${pct(times, 99)} ms; one kubectl call alone takes ${base} ms (p50), so the cluster's part is about p50 ${pct(times, 50) - base} ms, p99 ${pct(times, 99) - base} ms`);
} finally {
  await c.stop();
}
