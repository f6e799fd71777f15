// Watch delivery: time from a write's acknowledgement-start to its event at 1, 100
// and 1000 concurrent watchers. Run: node --import tsx bench/watch-fanout.ts
import { startServer } from '../test/e2e/harness.js';
import { adminClient, summary } from './lib.js';

const base = '/api/v1/namespaces/default/configmaps';

const s = await startServer();
try {
  const client = adminClient(s.kubeconfig, s.port);
  for (const watchers of [1, 100, 1000]) {
    const sent = new Map<string, number>();
    const latencies: number[] = [];
    let expected = 0;
    const stops: Array<() => void> = [];
    const list = JSON.parse((await client.request('GET', base)).body);
    const rv = list.metadata.resourceVersion;
    for (let w = 0; w < watchers; w++) {
      stops.push(
        await client.watch(`${base}?watch=1&resourceVersion=${rv}`, (line) => {
          const ev = JSON.parse(line);
          const t0 = sent.get(ev.object?.metadata?.name);
          if (t0 !== undefined && ev.type === 'ADDED') latencies.push(performance.now() - t0);
        }),
      );
    }
    const writes = 50;
    expected = writes * watchers;
    for (let i = 0; i < writes; i++) {
      const name = `w${watchers}-${i}`;
      sent.set(name, performance.now());
      await client.request('POST', base, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name } });
      await new Promise((r) => setTimeout(r, 20));
    }
    const deadline = Date.now() + 30_000;
    while (latencies.length < expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    console.log(summary(`${watchers} watchers (${latencies.length}/${expected} events)`, latencies));
    for (const stop of stops) stop();
  }
} finally {
  await s.stop();
  s.cleanup();
}
