// The node's rule writers' loop: changes coalesce, passes never overlap, and a
// pass asked for during one runs once after it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApplyLoop } from '../../../src/network/apply-loop.js';

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

test('changes scheduled before the timer fires make one pass', async () => {
  let passes = 0;
  const loop = new ApplyLoop(async () => {
    passes++;
  });
  for (let i = 0; i < 5; i++) loop.schedule(5);
  await tick(30);
  assert.equal(passes, 1);
  loop.schedule(0);
  await tick(10);
  assert.equal(passes, 2);
});

test('runs asked for during a pass become exactly one more pass, never a second at once', async () => {
  let running = 0;
  let most = 0;
  let passes = 0;
  let release!: () => void;
  const loop = new ApplyLoop(async () => {
    passes++;
    running++;
    most = Math.max(most, running);
    if (passes === 1) await new Promise<void>((r) => (release = r));
    running--;
  });
  const first = loop.run();
  assert.equal(loop.busy, true);
  await loop.run();
  await loop.run();
  release();
  await first;
  assert.equal(passes, 2);
  assert.equal(most, 1);
  assert.equal(loop.busy, false);
});

test('skipRerun drops the extra pass; stop cancels the timer and refuses new ones', async () => {
  let passes = 0;
  let release!: () => void;
  const loop = new ApplyLoop(async () => {
    passes++;
    await new Promise<void>((r) => (release = r));
    loop.skipRerun();
  });
  const first = loop.run();
  void loop.run();
  release();
  await first;
  assert.equal(passes, 1);
  loop.schedule(5);
  loop.stop();
  loop.schedule(0);
  await tick(20);
  assert.equal(passes, 1);
  assert.equal(loop.isStopped, true);
});

test('a pass that throws rejects run() and leaves the loop usable', async () => {
  let fail = true;
  let passes = 0;
  const loop = new ApplyLoop(async () => {
    passes++;
    if (fail) throw new Error('boom');
  });
  await assert.rejects(loop.run(), /boom/);
  fail = false;
  await loop.run();
  assert.equal(passes, 2);
  assert.equal(loop.busy, false);
});
