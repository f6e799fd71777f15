// The SQLite backend on a real database: revisions, compare-and-swap, MVCC reads at
// older revisions, compaction and restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteBackend } from '../../../src/storage/sqlite/sqlite-backend.js';
import { StorageError } from '../../../src/storage/store.js';
import { tempDir } from './helpers.js';

const P = '/registry/core/configmaps/';
const v = (s: string) => JSON.stringify({ metadata: { name: s, uid: `uid-${s}` }, data: { s } });

async function open(dir: string) {
  return SqliteBackend.open({ path: join(dir, 'db', 'state.db') });
}

function code(e: unknown): string | undefined {
  return e instanceof StorageError ? e.code : undefined;
}

test('create, update and delete each take the next global revision', async (t) => {
  const b = await open(tempDir(t));
  t.after(() => b.close());
  const c = await b.create(P + 'a', v('a1'));
  const d = await b.create(P + 'b', v('b1'));
  const u = await b.update(P + 'a', v('a2'));
  assert.deepEqual([c.revision, d.revision, u.revision], [1, 2, 3]);
  assert.equal(u.createRevision, 1);
  const got = await b.get(P + 'a');
  assert.deepEqual(got, { key: P + 'a', value: v('a2'), modRevision: 3, createRevision: 1 });
  const del = await b.delete(P + 'a');
  assert.equal(del.revision, 4);
  assert.equal(del.value, v('a2'), 'delete returns the last value');
  assert.equal(await b.get(P + 'a'), undefined);
  assert.equal(await b.currentRevision(), 4);
  // re-creating a deleted key starts a new life
  const again = await b.create(P + 'a', v('a3'));
  assert.deepEqual([again.revision, again.createRevision], [5, 5]);
});

test('preconditions: KeyExists, KeyNotFound, Conflict on revision and on uid', async (t) => {
  const b = await open(tempDir(t));
  t.after(() => b.close());
  const c = await b.create(P + 'a', v('a'));
  await assert.rejects(b.create(P + 'a', v('a')), (e) => code(e) === 'KeyExists');
  await assert.rejects(b.update(P + 'nope', v('x')), (e) => code(e) === 'KeyNotFound');
  await assert.rejects(b.delete(P + 'nope'), (e) => code(e) === 'KeyNotFound');
  const u = await b.update(P + 'a', v('a'), { modRevision: c.revision });
  await assert.rejects(b.update(P + 'a', v('a'), { modRevision: c.revision }), (e) => code(e) === 'Conflict');
  await assert.rejects(b.delete(P + 'a', { modRevision: c.revision }), (e) => code(e) === 'Conflict');
  await assert.rejects(b.delete(P + 'a', { uid: 'someone-else' }), (e) => code(e) === 'Conflict');
  const d = await b.delete(P + 'a', { uid: 'uid-a', modRevision: u.revision });
  assert.equal(d.revision, u.revision + 1);
  // a failed precondition consumed no revision
  assert.equal(await b.currentRevision(), d.revision);
});

test('concurrent compare-and-swap on one key: exactly one wins', async (t) => {
  const b = await open(tempDir(t));
  t.after(() => b.close());
  const c = await b.create(P + 'a', v('a'));
  const tries = await Promise.allSettled(Array.from({ length: 20 }, () => b.update(P + 'a', v('a'), { modRevision: c.revision })));
  assert.equal(tries.filter((r) => r.status === 'fulfilled').length, 1);
  assert.ok(tries.every((r) => r.status === 'fulfilled' || code(r.reason) === 'Conflict'));
});

test('writes in the same tick share one transaction (group commit)', async (t) => {
  const b = await open(tempDir(t));
  t.after(() => b.close());
  await Promise.all(Array.from({ length: 200 }, (_, i) => b.create(P + `k${i}`, v(`k${i}`))));
  assert.ok(b.batchSizes.length < 10, `200 writes took ${b.batchSizes.length} batches`);
  assert.equal(await b.count(P), 200);
});

test('range at an exact older revision sees the state of that revision', async (t) => {
  const b = await open(tempDir(t));
  t.after(() => b.close());
  await b.create(P + 'a', v('a1')); // 1
  await b.create(P + 'b', v('b1')); // 2
  await b.update(P + 'a', v('a2')); // 3
  await b.delete(P + 'b'); // 4
  await b.create(P + 'c', v('c1')); // 5
  const at2 = await b.range(P, { revision: 2 });
  assert.deepEqual(at2.kvs.map((k) => [k.key.slice(P.length), k.value, k.modRevision]), [
    ['a', v('a1'), 1],
    ['b', v('b1'), 2],
  ]);
  assert.equal(at2.revision, 2);
  const at4 = await b.range(P, { revision: 4 });
  assert.deepEqual(at4.kvs.map((k) => k.key.slice(P.length)), ['a']);
  const now = await b.range(P);
  assert.deepEqual(now.kvs.map((k) => k.key.slice(P.length)), ['a', 'c']);
  assert.equal(now.revision, 5);
  // paging at a revision, starting just after a key
  const page = await b.range(P, { revision: 2, limit: 1 });
  assert.equal(page.more, true);
  const next = await b.range(P, { revision: 2, startKey: page.kvs[0].key + '\u0000', limit: 1 });
  assert.deepEqual(next.kvs.map((k) => k.key.slice(P.length)), ['b']);
  assert.equal(next.more, false);
  assert.equal(await b.count(P, { revision: 2 }), 2);
  await assert.rejects(b.range(P, { revision: 99 }), (e) => code(e) === 'TooNew');
});

test('compaction: older revisions answer Compacted, newer ones still read; the log shrinks', async (t) => {
  const dir = tempDir(t);
  const b = await open(dir);
  t.after(() => b.close());
  await b.create(P + 'a', v('a0'));
  await b.create(P + 'gone', v('gone'));
  for (let i = 1; i <= 50; i++) await b.update(P + 'a', v(`a${i}`));
  await b.delete(P + 'gone');
  const mid = await b.currentRevision(); // 53
  for (let i = 51; i <= 60; i++) await b.update(P + 'a', v(`a${i}`));
  await b.compact(mid);
  assert.equal(await b.compactedRevision(), mid);
  await assert.rejects(b.range(P, { revision: mid - 1 }), (e) => code(e) === 'Compacted');
  await assert.rejects(b.count(P, { revision: 3 }), (e) => code(e) === 'Compacted');
  const atMid = await b.range(P, { revision: mid });
  assert.deepEqual(atMid.kvs.map((k) => k.value), [v('a50')]);
  const atMidPlus = await b.range(P, { revision: mid + 5 });
  assert.deepEqual(atMidPlus.kvs.map((k) => k.value), [v('a55')]);
  assert.throws(() => b.watch(P, mid - 1, { onEvents() {}, onError() {} }), (e) => code(e) === 'Compacted');
  const db = new Database(join(dir, 'db', 'state.db'), { readonly: true });
  const rows = db.prepare('SELECT COUNT(*) FROM kv').pluck().get() as number;
  db.close();
  // a's row at mid plus the ten later ones; the tombstone and superseded rows are gone
  assert.equal(rows, 11);
  assert.equal(statSync(join(dir, 'db', 'state.db-wal')).size, 0, 'the WAL is truncated after compaction');
});

test('watch replays the log after a revision, then streams new commits', async (t) => {
  const b = await open(tempDir(t));
  t.after(() => b.close());
  await b.create(P + 'a', v('a'));
  await b.create('/registry/core/secrets/s', v('s'));
  await b.update(P + 'a', v('a2'));
  const seen: string[] = [];
  const errors: unknown[] = [];
  let rev = 0;
  b.watch(P, 1, {
    onEvents(evs, r) {
      for (const e of evs) seen.push(`${e.type} ${e.key.slice(P.length)} ${e.revision}`);
      rev = r;
    },
    // closing the store ends its watchers with an error; only errors before that count
    onError(e) {
      errors.push(e);
    },
  });
  assert.deepEqual(seen, ['put a 3']);
  assert.equal(rev, 3);
  await b.delete(P + 'a');
  await b.create('/registry/core/secrets/t', v('t'));
  assert.deepEqual(seen, ['put a 3', 'delete a 4']);
  assert.equal(rev, 5, 'writes elsewhere still move the watcher along (progress)');
  assert.deepEqual(errors, []);
});

test('values over 1.5 MiB are refused with TooLarge before they reach the store', async (t) => {
  const { encodeObject } = await import('../../../src/storage/object-codec.js');
  assert.throws(
    () => encodeObject(P + 'big', { metadata: { name: 'big' }, data: { x: 'x'.repeat(1.6 * 1024 * 1024) } }),
    (e) => code(e) === 'TooLarge',
  );
  void t;
});

test('restart on the same directory keeps data, revision and compaction horizon', async (t) => {
  const dir = tempDir(t);
  let b = await open(dir);
  await b.create(P + 'a', v('a'));
  await b.create(P + 'b', v('b'));
  await b.delete(P + 'b');
  // compacting away the trailing tombstone must not let the revision go back
  await b.compact(3);
  await b.close();
  b = await open(dir);
  t.after(() => b.close());
  assert.equal(await b.currentRevision(), 3);
  assert.equal(await b.compactedRevision(), 3);
  assert.equal((await b.get(P + 'a'))?.value, v('a'));
  assert.equal(await b.get(P + 'b'), undefined);
  const c = await b.create(P + 'c', v('c'));
  assert.equal(c.revision, 4);
});
