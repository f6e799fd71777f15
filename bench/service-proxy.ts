// Service proxy figures on a 3-node cluster of real nodes (network namespaces
// made here, as the e2e tests do; root needed):
// 1. HTTP throughput and latency to one busybox httpd pod, direct to its pod IP
//    and through its ClusterIP (nftables DNAT), from a host outside the cluster
//    routed through node 0, in the same run;
// 2. how long a new Service takes to be programmed on all three nodes (from the
//    API create request to its ClusterIP in every node's nftables map, seen by
//    `nft monitor`), and how long an endpoint change takes, broken down
//    (endpoint-propagation.ts);
// 3. requests failing during a rolling update (`kubectl set image`) of the
//    Deployment behind a Service, under constant traffic, without and with a
//    preStop sleep, side by side, each failure traced to its cause (rollout-failures.ts).
// Run: node --import tsx bench/service-proxy.ts [requests=2000] [concurrency=16] [services=20] [endpoint changes=40]
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { k } from '../test/e2e/harness.js';
import { startCluster } from '../test/e2e/cluster-harness.js';
import { runTraffic } from '../test/e2e/http-traffic.js';
import { apiFromNode0, nftMonitor } from './cluster-probes.js';
import { endpointPropagation } from './endpoint-propagation.js';
import { rollingUpdate } from './rollout-failures.js';

const requests = Number(process.argv[2] ?? 2000);
const concurrency = Number(process.argv[3] ?? 16);
const serviceCount = Number(process.argv[4] ?? 20);
const changeCount = Number(process.argv[5] ?? 40);

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};

const c = await startCluster('bsp', 3);
try {
  const node0 = c.nodes[0]!;
  for (const cidr of ['10.42.0.0/16', '10.43.0.0/16']) execFileSync('ip', ['-n', c.client.netns, 'route', 'add', cidr, 'via', node0.ip]);
  k(c.s, ['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', labels: { app: 'web' } }, spec: { nodeName: c.nodes[1]!.name, terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', 'mkdir -p /www && echo ok > /www/index.html && exec httpd -f -p 8080 -h /www'], ports: [{ containerPort: 8080 }] }] } }));
  k(c.s, ['wait', '--for=condition=Ready', 'pod/web', '--timeout=60s']);
  k(c.s, ['expose', 'pod', 'web', '--port', '80', '--target-port', '8080']);
  const podIP = JSON.parse(k(c.s, ['get', 'pod', 'web', '-o', 'json'])).status.podIP as string;
  const clusterIP = JSON.parse(k(c.s, ['get', 'svc', 'web', '-o', 'json'])).spec.clusterIP as string;
  const load = (ip: string, port: number) => runTraffic(c.client.netns, ip, port, requests, concurrency);
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

  // propagation: a client inside node 0 creates Services through the API (no kubectl start-up in
  // the figure) for the running pod; `nft monitor` on every node (no polling load) says when the
  // Service's ClusterIP entered that node's map. Each Service means a new EndpointSlice too.
  const api = apiFromNode0(c);
  const seenAt = new Map<string, number>(); // node/ip -> when its element appeared
  const monitors = c.nodes.map((n) =>
    nftMonitor(n.netns, (t, line) => {
      const hit = /add element ip skiff service-ips \{ ([0-9.]+) \. tcp \. 80 : goto svc-/.exec(line);
      if (hit && !seenAt.has(`${n.netns}/${hit[1]}`)) seenAt.set(`${n.netns}/${hit[1]}`, t);
    }),
  );
  await new Promise((r) => setTimeout(r, 500));
  const times: number[] = [];
  const writeMs: number[] = [];
  for (let i = 0; i < serviceCount; i++) {
    const r = await api.call('POST', '/api/v1/namespaces/default/services', { apiVersion: 'v1', kind: 'Service', metadata: { name: `prop-${i}` }, spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] } });
    writeMs.push(r.end - r.start);
    const keys = c.nodes.map((n) => `${n.netns}/${r.out.spec.clusterIP}`);
    for (let w = 0; w < 3000 && !keys.every((key) => seenAt.has(key)); w++) await new Promise((res) => setTimeout(res, 10));
    if (!keys.every((key) => seenAt.has(key))) throw new Error(`Service prop-${i} (${r.out.spec.clusterIP}) not programmed on every node within 30 s`);
    times.push(Math.max(...keys.map((key) => seenAt.get(key)!)) - r.start);
    await new Promise((res) => setTimeout(res, 200)); // one change at a time, as a user makes them
  }
  api.close();
  for (const stop of monitors) stop();
  // node 0's proxy logs, per change it applied, the time from the first watch event to the rules in place
  const applied = c.s.output().split('\n').filter((l) => l.includes('"service rules applied"')).slice(-serviceCount * 2).map((l) => JSON.parse(l).ms as number);
  console.log(`endpoint propagation, ${serviceCount} new Services with a ready pod, to all 3 nodes' nftables (API write, EndpointSlice controller, watch, nft):`);
  console.log(`  from the create request: p50 ${pct(times, 50)} ms, p99 ${pct(times, 99)} ms, max ${Math.max(...times)} ms (the create request alone: p50 ${pct(writeMs, 50)} ms)`);
  console.log(`  node 0's proxy, from a watch event to its rules applied: p50 ${pct(applied, 50)} ms, p99 ${pct(applied, 99)} ms over ${applied.length} applies`);
  for (const line of await endpointPropagation(c, changeCount)) console.log(line);

  // rolling update (kubectl set image) of the Deployment behind a Service under constant traffic
  // through its ClusterIP; without and with a preStop sleep (the old pod keeps serving while its
  // endpoint leaves every node's rules)
  // kubectl on a loaded machine now and then fails to reach the server (TLS handshake timeout): retried,
  // as is a rollout status whose watch ended early
  const kRetry = (args: string[], input?: string) => {
    for (let i = 0; ; i++) {
      try {
        return k(c.s, args, input);
      } catch (e) {
        // rollout status also gives up when its watch breaks, before its own timeout
        const transient = /Unable to connect|handshake timeout|connection refused/i.test(String(e)) || (args[0] === 'rollout' && !/timed out waiting/.test(String(e)));
        if (i >= 4 || !transient) throw e;
      }
    }
  };
  // the app stops at once on SIGTERM, as most servers do; every failed request is traced to its
  // backend and put in a class (rollout-failures.ts)
  const rows: string[] = [];
  for (const preStop of [false, true]) rows.push(await rollingUpdate(c, preStop, kRetry));
  console.log('rolling update (kubectl set image, maxSurge 1, maxUnavailable 0) of 3 replicas under constant traffic, 4 at a time, httpGet readiness probe:');
  for (const r of rows) console.log(r);
} finally {
  // SKIFF_BENCH_TRACE=DIR (see rollout-failures.ts): the server's log too
  if (process.env.SKIFF_BENCH_TRACE) writeFileSync(join(process.env.SKIFF_BENCH_TRACE, 'server.log'), c.s.output());
  await c.stop();
}
