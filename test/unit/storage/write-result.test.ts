// What create and update return: the stored object stamped with its revision,
// equal to a storage read of it, and the caller's own (changing it leaves the
// watch cache's copy alone), whether the cache is filled or not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createStorage } from '../../../src/storage/index.js';
import { obj, tempDir } from './helpers.js';

test('create and update return the stored object, not the cache copy', async (t) => {
  const storage = await createStorage({ dataDir: tempDir(t) });
  t.after(() => storage.close());
  const store = storage.resource('/registry/configmaps/');
  const key = '/registry/configmaps/default/a';
  // before the cache is filled by a list, and after
  const early = await store.create('/registry/configmaps/default/early', obj('early', { data: { v: '0', gone: undefined } }));
  assert.deepEqual(early, await store.get('/registry/configmaps/default/early'));
  assert.equal('gone' in (early.data as object), false, 'stored as JSON: undefined members are dropped');
  await store.list('/registry/configmaps/');

  const created = await store.create(key, obj('a', { data: { v: '1', gone: undefined } }));
  assert.deepEqual(created, await store.get(key));
  assert.equal('gone' in (created.data as object), false);
  (created.data as Record<string, string>).v = 'changed by the caller';
  assert.deepEqual(store.getCached(key)?.data, { v: '1' });

  const updated = await store.update(key, { ...created, data: { v: '2' } }, { resourceVersion: created.metadata.resourceVersion });
  assert.notEqual(updated.metadata.resourceVersion, created.metadata.resourceVersion);
  assert.deepEqual(updated, await store.get(key));
  updated.metadata.labels = { x: 'y' };
  assert.equal(store.getCached(key)?.metadata.labels, undefined);
  assert.equal(store.getCached(key)?.metadata.resourceVersion, updated.metadata.resourceVersion);
});
