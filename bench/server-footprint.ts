// Cold start to /readyz, RSS idle and with 10,000 ConfigMaps stored.
// Run: npm run build && SKIFF_USE_DIST=1 node --import tsx bench/server-footprint.ts
import { readFileSync } from 'node:fs';
import { startServer } from '../test/e2e/harness.js';
import { adminClient } from './lib.js';

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /VmRSS:\s+(\d+) kB/.exec(status);
  return m ? Number(m[1]) / 1024 : NaN;
}

// cold start: spawn to "ready" line, measured over 5 fresh data dirs
const starts: number[] = [];
for (let i = 0; i < 5; i++) {
  const t = performance.now();
  const s = await startServer();
  starts.push(performance.now() - t);
  await s.stop();
  s.cleanup();
}
starts.sort((a, b) => a - b);
console.log(`cold start to ready (process spawn to 'ready' line): median ${starts[2].toFixed(0)} ms, min ${starts[0].toFixed(0)} ms`);

const s = await startServer();
try {
  const pid = s.proc.pid!;
  await new Promise((r) => setTimeout(r, 2000));
  console.log(`RSS idle: ${rssMb(pid).toFixed(1)} MB`);
  const client = adminClient(s.kubeconfig, s.port, 16);
  const data = { payload: 'x'.repeat(512) };
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < 10_000) {
        const i = next++;
        const r = await client.request('POST', '/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}` }, data });
        if (r.code !== 201) throw new Error(`create ${r.code}: ${r.body}`);
      }
    }),
  );
  const t = performance.now();
  const list = await client.request('GET', '/api/v1/configmaps');
  console.log(`list of 10,000 ConfigMaps: ${(performance.now() - t).toFixed(0)} ms, ${(list.body.length / 1e6).toFixed(1)} MB`);
  await new Promise((r) => setTimeout(r, 2000));
  console.log(`RSS with 10,000 ConfigMaps: ${rssMb(pid).toFixed(1)} MB`);
} finally {
  await s.stop();
  s.cleanup();
}
