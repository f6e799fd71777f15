// API latency and throughput: create/get/update/list with N concurrent clients,
// and mutating p99 at a paced 500 writes/s. Run: node --import tsx bench/api-latency.ts
import { startServer } from '../test/e2e/harness.js';
import { adminClient, summary } from './lib.js';

const base = '/api/v1/namespaces/default/configmaps';

async function closedLoop(client: ReturnType<typeof adminClient>, clients: number, perClient: number, prefix: string) {
  const lat: Record<string, number[]> = { create: [], get: [], update: [], list: [] };
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      for (let i = 0; i < perClient; i++) {
        const name = `${prefix}-${c}-${i}`;
        let t = performance.now();
        const cr = await client.request('POST', base, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { i: String(i) } });
        lat.create.push(performance.now() - t);
        if (cr.code !== 201) throw new Error(`create ${cr.code} ${cr.body}`);
        t = performance.now();
        const got = await client.request('GET', `${base}/${name}`);
        lat.get.push(performance.now() - t);
        const obj = JSON.parse(got.body);
        obj.data.i = `${i}-u`;
        t = performance.now();
        const up = await client.request('PUT', `${base}/${name}`, obj);
        lat.update.push(performance.now() - t);
        if (up.code !== 200) throw new Error(`update ${up.code} ${up.body}`);
        if (i % 10 === 0) {
          t = performance.now();
          await client.request('GET', `${base}?limit=100`);
          lat.list.push(performance.now() - t);
        }
      }
    }),
  );
  const wall = performance.now() - t0;
  const ops = lat.create.length + lat.get.length + lat.update.length + lat.list.length;
  console.log(`-- ${clients} concurrent clients: ${ops} requests in ${(wall / 1000).toFixed(2)}s = ${(ops / (wall / 1000)).toFixed(0)} req/s`);
  for (const [k, v] of Object.entries(lat)) console.log('  ' + summary(k, v));
}

async function paced(client: ReturnType<typeof adminClient>, ratePerSec: number, seconds: number) {
  const lat: number[] = [];
  const total = ratePerSec * seconds;
  const interval = 1000 / ratePerSec;
  const t0 = performance.now();
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = t0 + i * interval;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    inflight.push(
      (async () => {
        const t = performance.now();
        const r = await client.request('POST', base, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `paced-${i}` }, data: { i: String(i) } });
        lat.push(performance.now() - t);
        if (r.code !== 201) throw new Error(`create ${r.code}`);
      })(),
    );
  }
  await Promise.all(inflight);
  const wall = performance.now() - t0;
  console.log(`-- paced writes at ${ratePerSec}/s for ${seconds}s`);
  console.log('  ' + summary('create (paced)', lat, wall));
}

const s = await startServer();
try {
  const client = adminClient(s.kubeconfig, s.port);
  for (const c of [1, 8, 32]) await closedLoop(client, c, c === 1 ? 300 : Math.ceil(1200 / c), `c${c}`);
  await paced(client, 500, 10);
} finally {
  await s.stop();
  s.cleanup();
}
