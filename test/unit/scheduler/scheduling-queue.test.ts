// The scheduling queue: priority order, the unschedulable pool, moves during a cycle.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SchedulingQueue } from '../../../src/scheduler/scheduling-queue.js';

test('higher priority first, then first come first served', async () => {
  let t = 0;
  const q = new SchedulingQueue(() => t++);
  q.add('a', 0);
  q.add('b', 100);
  q.add('c', 0);
  q.add('d', 100);
  const order: string[] = [];
  for (let i = 0; i < 4; i++) {
    const p = (await q.pop())!;
    order.push(p.key);
    q.done(p);
  }
  assert.deepEqual(order, ['b', 'd', 'a', 'c']);
  q.close();
});

test('unschedulable pods wait for a move, then come back after their back-off', async () => {
  const q = new SchedulingQueue();
  q.add('a', 0);
  const p = (await q.pop())!;
  q.unschedulableNow(p);
  assert.equal(q.pending, 1);
  let got: string | undefined;
  void q.pop().then((x) => (got = x?.key));
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(got, undefined, 'no event, no retry');
  q.moveAllToActive();
  await new Promise((r) => setTimeout(r, 1200));
  assert.equal(got, 'a');
  q.close();
});

test('a move during the cycle sends the pod to back-off, not to the pool', async () => {
  const q = new SchedulingQueue();
  q.add('a', 0);
  const p = (await q.pop())!;
  q.moveAllToActive();
  q.unschedulableNow(p);
  const t0 = Date.now();
  // the queue's timers do not hold the process open; this does, for the test
  const hold = setInterval(() => {}, 100);
  const again = await q.pop();
  clearInterval(hold);
  assert.equal(again?.key, 'a');
  assert.ok(Date.now() - t0 >= 900);
  q.close();
});

test('deleted pods leave the queue', async () => {
  const q = new SchedulingQueue();
  q.add('a', 0);
  q.add('b', 0);
  q.delete('a');
  assert.equal((await q.pop())?.key, 'b');
  q.close();
});

test('a pod placed elsewhere moves only the pods that failed on other pods', async () => {
  const q = new SchedulingQueue();
  q.add('affinity', 0);
  q.add('cpu', 0);
  const a = (await q.pop())!;
  const b = (await q.pop())!;
  q.unschedulableNow(a, true);
  q.unschedulableNow(b, false);
  q.movePodsWaitingOnPods();
  const hold = setInterval(() => {}, 100);
  assert.equal((await q.pop())?.key, 'affinity');
  clearInterval(hold);
  assert.equal(q.pending, 1, 'the cpu-bound pod still waits');
  q.close();
});
