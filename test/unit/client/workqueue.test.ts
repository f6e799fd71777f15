import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WorkQueue, runWorkers } from '../../../src/client/workqueue.js';

test('a key queued many times is processed once, and never by two workers at once', async () => {
  const q = new WorkQueue();
  for (let i = 0; i < 5; i++) q.add('a');
  q.add('b');
  assert.equal(q.length, 2);
  let concurrent = 0;
  let maxConcurrent = 0;
  const seen: string[] = [];
  const workers = runWorkers(
    q,
    4,
    async (key) => {
      seen.push(key);
      if (key === 'a') {
        concurrent++;
        maxConcurrent = Math.max(maxConcurrent, concurrent);
        if (seen.filter((k) => k === 'a').length === 1) q.add('a'); // re-added while processing
        await new Promise((r) => setTimeout(r, 20));
        concurrent--;
      }
    },
    () => {},
  );
  await new Promise((r) => setTimeout(r, 100));
  q.shutDown();
  await workers;
  assert.deepEqual(seen.filter((k) => k === 'a').length, 2, 'processed again after done, not concurrently');
  assert.equal(maxConcurrent, 1);
});

test('failures come back with growing back-off and forget resets it', async () => {
  const q = new WorkQueue(10, 1000);
  const times: number[] = [];
  const start = Date.now();
  const workers = runWorkers(
    q,
    1,
    async () => {
      times.push(Date.now() - start);
      if (times.length < 4) throw new Error('fail');
    },
    () => {},
  );
  q.add('x');
  await new Promise((r) => setTimeout(r, 300));
  q.shutDown();
  await workers;
  assert.equal(times.length, 4);
  const gaps = times.slice(1).map((t, i) => t - times[i]);
  assert.ok(gaps[0] >= 9 && gaps[1] >= 19 && gaps[2] >= 39, `gaps ${gaps}`);
  assert.equal(q.retries('x'), 0);
});
