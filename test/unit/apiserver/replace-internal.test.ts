// replaceInternal (the pods/binding write) over the real registry and SQLite
// storage: it may take the current object from the watch cache when the cache
// holds the version the caller wrote against; a stale version is still a 409,
// and the cache's own object is never changed by the write.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../../../src/api/errors.js';
import type { KubeObject } from '../../../src/api/object.js';
import type { GenericRegistry } from '../../../src/apiserver/registry/generic-registry.js';
import type { CachedStorage } from '../../../src/storage/index.js';
import { openSqliteRegistry, PODS, W, type SqliteRegistry } from './sqlite-registry.js';

const KEY = '/registry/core/pods/default/p';

let db: SqliteRegistry;
let storage: CachedStorage;
let reg: GenericRegistry;

before(async () => {
  db = await openSqliteRegistry('skiff-replace-');
  ({ storage, reg } = db);
  // the watch cache fills on its first list, as an informer's list does in the server
  await storage.resource('/registry/core/pods/').list('/registry/core/pods/');
});
after(() => db.close());

/** The watch cache's copy once it shows resourceVersion rv (the feed is asynchronous). */
async function cachedAt(rv: string): Promise<KubeObject> {
  const store = storage.resource('/registry/core/pods/');
  const deadline = Date.now() + 5000;
  while (store.getCached(KEY)?.metadata.resourceVersion !== rv && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  const o = store.getCached(KEY);
  assert.equal(o?.metadata.resourceVersion, rv, 'the cache caught up');
  return o!;
}

const bound = (cur: KubeObject, node: string): KubeObject => ({ ...cur, spec: { ...(cur.spec as object), nodeName: node } });

test('a write against the cached version lands and leaves the cached object as it was', async () => {
  const created = await reg.create(PODS, 'v1', 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } }, W());
  const cached = await cachedAt(created.metadata.resourceVersion!);
  const before = structuredClone(cached);
  const out = await reg.replaceInternal(PODS, bound(cached, 'n1'), W());
  assert.equal((out.spec as { nodeName?: string }).nodeName, 'n1');
  assert.notEqual(out.metadata.resourceVersion, created.metadata.resourceVersion);
  assert.deepEqual(cached, before);
  assert.equal(((await reg.get(PODS, 'v1', 'default', 'p')).spec as { nodeName?: string }).nodeName, 'n1');
});

test('a write against an older version is a conflict, whether or not the cache has caught up', async () => {
  const cur = await reg.get(PODS, 'v1', 'default', 'p');
  const stale = bound(cur, 'n2');
  const newer = await reg.update(PODS, 'v1', 'default', 'p', { ...cur, metadata: { ...cur.metadata, labels: { x: '1' } } }, W());
  // at once (the cache may still hold the old version: the storage write refuses it)
  const first = await reg.replaceInternal(PODS, stale, W()).then(() => undefined, (e: unknown) => e);
  assert.ok(first instanceof ApiError && first.code === 409, `409, got ${String(first)}`);
  // and after the cache has the new version (the versions differ: refused before writing)
  await cachedAt(newer.metadata.resourceVersion!);
  const second = await reg.replaceInternal(PODS, stale, W()).then(() => undefined, (e: unknown) => e);
  assert.ok(second instanceof ApiError && second.code === 409, `409, got ${String(second)}`);
  assert.equal(((await reg.get(PODS, 'v1', 'default', 'p')).spec as { nodeName?: string }).nodeName, 'n1');
});
