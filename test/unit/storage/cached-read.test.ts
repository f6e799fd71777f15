// getCached: the watch cache's copy of one object (what namespace admission and
// the binding's first read use instead of a storage read). It follows the
// writes through the feed; a key it does not have is undefined, never a guess.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../../src/api/object.js';
import { createStorage } from '../../../src/storage/index.js';
import type { ResourceStore } from '../../../src/storage/store.js';
import { obj, tempDir } from './helpers.js';

/** The feed is asynchronous: waits (bounded) until the cache shows what `ok` wants. */
async function cachedWhen(store: ResourceStore, key: string, ok: (o: KubeObject | undefined) => boolean): Promise<KubeObject | undefined> {
  const deadline = Date.now() + 5000;
  while (!ok(store.getCached(key)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  return store.getCached(key);
}

test('getCached follows create, update and delete; a missing key is undefined', async (t) => {
  const storage = await createStorage({ dataDir: tempDir(t) });
  t.after(() => storage.close());
  const store = storage.resource('/registry/configmaps/');
  const key = '/registry/configmaps/default/a';
  await store.list('/registry/configmaps/');
  assert.equal(store.getCached(key), undefined);

  const created = await store.create(key, obj('a', { data: { v: '1' } }));
  const c1 = await cachedWhen(store, key, (o) => o !== undefined);
  assert.equal(c1?.metadata.resourceVersion, created.metadata.resourceVersion);
  assert.deepEqual(c1?.data, { v: '1' });

  const updated = await store.update(key, { ...created, data: { v: '2' } });
  const c2 = await cachedWhen(store, key, (o) => o?.metadata.resourceVersion === updated.metadata.resourceVersion);
  assert.deepEqual(c2?.data, { v: '2' });

  await store.delete(key);
  assert.equal(await cachedWhen(store, key, (o) => o === undefined), undefined);
  assert.equal(store.getCached('/registry/configmaps/default/never'), undefined);
});
