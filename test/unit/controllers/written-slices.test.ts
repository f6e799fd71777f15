// The EndpointSlice controller's memory of its own writes that its informer has not
// delivered yet (written-slices.ts): what the next sync works from.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../../src/api/object.js';
import { WrittenSlices } from '../../../src/controllers/endpointslice/written-slices.js';

const slice = (name: string, rv: string, ns = 'default'): KubeObject => ({ apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name, namespace: ns, resourceVersion: rv } }) as KubeObject;
const names = (xs: KubeObject[]) => xs.map((s) => `${s.metadata.name}@${s.metadata.resourceVersion}`).sort();

test('a written slice stands in for the cached copy until the informer delivers that version', () => {
  const w = new WrittenSlices();
  w.wrote(slice('a', '7'));
  assert.deepEqual(names(w.overlay('default', [slice('a', '5'), slice('b', '3')])), ['a@7', 'b@3']);
  w.seen(slice('a', '6')); // an older event: still ahead of the cache
  assert.deepEqual(names(w.overlay('default', [slice('a', '6')])), ['a@7']);
  w.seen(slice('a', '7'));
  // caught up: from now on the cache speaks, also for later writes by others
  assert.deepEqual(names(w.overlay('default', [slice('a', '9')])), ['a@9']);
});

test('a created slice is listed before the cache has it; a deleted one is gone before the cache says so', () => {
  const w = new WrittenSlices();
  w.wrote(slice('new', '4'));
  w.deleted('default', 'old');
  assert.deepEqual(names(w.overlay('default', [slice('old', '2')])), ['new@4']);
  assert.deepEqual(names(w.overlay('other', [slice('x', '1', 'other')])), ['x@1'], 'other namespaces are left alone');
  w.seen(slice('old', '2'), true);
  assert.deepEqual(names(w.overlay('default', [slice('old', '2')])), ['new@4', 'old@2'], 'after the delete event the cache is trusted again');
});

test('forget drops what was written (after a conflict the cache is the better guess)', () => {
  const w = new WrittenSlices();
  w.wrote(slice('a', '7'));
  w.forget('default', ['a']);
  assert.deepEqual(names(w.overlay('default', [slice('a', '8')])), ['a@8']);
});
