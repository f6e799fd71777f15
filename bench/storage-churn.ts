// The store stays proportional to live data under churn: 100 objects updated
// 100,000 times with compaction running, printing the database and WAL sizes
// as it goes and at the end, and the write latency.
// Run: node --import tsx bench/storage-churn.ts [updates]
import { mkdtempSync, rmSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStorage } from '../src/storage/index.js';
import type { KubeObject } from '../src/api/object.js';
import { summary } from './lib.js';

const UPDATES = Number(process.argv[2] ?? 100_000);
const OBJECTS = 100;
const dir = mkdtempSync(join(tmpdir(), 'skiff-churn-'));
const storage = await createStorage({ dataDir: dir, compactIntervalMs: 1000, compactMinRetain: 1000 });
const store = storage.resource('/registry/core/configmaps/');
const dbPath = join(dir, 'db', 'state.db');
const mb = (p: string) => (existsSync(p) ? statSync(p).size / 1e6 : 0);
const sizes = () => `db ${mb(dbPath).toFixed(2)} MB, wal ${mb(`${dbPath}-wal`).toFixed(2)} MB`;

const key = (i: number) => `/registry/core/configmaps/default/cm-${i}`;
const objects: KubeObject[] = [];
for (let i = 0; i < OBJECTS; i++) {
  objects.push(await store.create(key(i), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}`, namespace: 'default' }, data: { v: '0', pad: 'x'.repeat(256) } }));
}
console.log(`created ${OBJECTS} objects: ${sizes()}`);

const lat: number[] = [];
const t0 = performance.now();
const CONCURRENCY = 16;
let next = 0;
await Promise.all(
  Array.from({ length: CONCURRENCY }, async () => {
    for (;;) {
      const n = next++;
      if (n >= UPDATES) return;
      const i = n % OBJECTS;
      const cur = objects[i];
      const t = performance.now();
      try {
        objects[i] = await store.update(key(i), { ...cur, data: { ...(cur.data as object), v: String(n) } }, { resourceVersion: cur.metadata.resourceVersion });
      } catch {
        objects[i] = await store.get(key(i));
        continue;
      }
      lat.push(performance.now() - t);
      if (n > 0 && n % 20_000 === 0) console.log(`after ${n} updates: ${sizes()}`);
    }
  }),
);
const wall = performance.now() - t0;
console.log(summary(`${UPDATES} updates, ${CONCURRENCY} writers`, lat, wall));
// two compaction intervals so the last round of churn is compacted and checkpointed
await new Promise((r) => setTimeout(r, 2500));
console.log(`end: ${sizes()} (live data: ${OBJECTS} objects of ~0.4 kB)`);
await storage.close();
rmSync(dir, { recursive: true, force: true });
