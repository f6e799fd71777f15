// streamWatch hands the socket every event already queued in one write, and waits
// for 'drain' between writes: a watcher whose socket needs a turn to drain must not
// fall a thousand events behind (and be ended) only because each turn took 16 KiB.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { KubeObject } from '../../../src/api/object.js';
import { findResource } from '../../../src/api/kinds/resources.js';
import { streamWatch } from '../../../src/apiserver/handlers/watch-stream.js';
import { CacheWatcher } from '../../../src/storage/cache-watcher.js';

/** A response whose write() always asks for 'drain', which comes a timer later. */
class FakeResponse extends EventEmitter {
  writes: string[] = [];
  writableEnded = false;
  writeHead(): this {
    return this;
  }
  flushHeaders(): void {}
  write(chunk: Buffer | string): boolean {
    this.writes.push(String(chunk));
    setTimeout(() => this.emit('drain'), 1);
    return false;
  }
  end(): void {
    this.writableEnded = true;
  }
}

function pod(i: number): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: `p${i}`, namespace: 'default', resourceVersion: String(i) } };
}

function lines(res: FakeResponse): Array<{ type: string; object: KubeObject }> {
  return res.writes
    .join('')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

async function run(w: CacheWatcher, render: (o: KubeObject) => unknown = (o) => o) {
  const req = new EventEmitter() as unknown as IncomingMessage;
  const res = new FakeResponse();
  const done = streamWatch(req, res as unknown as ServerResponse, w, { render, encodingKey: () => 'k', timeoutSeconds: 60, info: findResource('', 'pods')!, version: 'v1' });
  return { res, done };
}

test('queued events go out in one write, in order, and later ones after the drain', async () => {
  const w = new CacheWatcher({ prefix: '/registry/pods/', allowBookmarks: false, capacity: 1000, onEnd: () => {} });
  w.start([]);
  for (let i = 1; i <= 500; i++) w.push({ type: 'ADDED', object: pod(i) });
  const { res, done } = await run(w);
  await new Promise((r) => setTimeout(r, 20));
  // one write for the 500 queued (the old loop wrote one event per drain)
  assert.equal(res.writes.length, 1);
  for (let i = 501; i <= 510; i++) w.push({ type: 'MODIFIED', object: pod(i) });
  w.finish();
  await done;
  const got = lines(res);
  assert.equal(got.length, 510);
  assert.deepEqual(
    got.map((e) => e.object.metadata.name),
    Array.from({ length: 510 }, (_, i) => `p${i + 1}`),
  );
  assert.equal(got[509].type, 'MODIFIED');
  assert.ok(res.writes.length <= 3, `writes ${res.writes.length}`);
  assert.ok(res.writableEnded);
});

test('events encoded before a render failure go out ahead of the ERROR', async () => {
  const w = new CacheWatcher({ prefix: '/registry/pods/', allowBookmarks: false, capacity: 1000, onEnd: () => {} });
  w.start([]);
  for (let i = 1; i <= 3; i++) w.push({ type: 'ADDED', object: pod(i) });
  const { res, done } = await run(w, (o) => {
    if (o.metadata.name === 'p3') throw new Error('cannot render p3');
    return o;
  });
  await done;
  const got = lines(res);
  assert.deepEqual(
    got.map((e) => e.type),
    ['ADDED', 'ADDED', 'ERROR'],
  );
  assert.match(JSON.stringify(got[2].object), /cannot render p3/);
});
