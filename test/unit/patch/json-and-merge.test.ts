import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyJsonPatch, MAX_JSON_PATCH_OPERATIONS } from '../../../src/api/patch/json-patch.js';
import { applyMergePatch } from '../../../src/api/patch/merge-patch.js';

test('json patch operations', () => {
  const doc = { a: { b: [1, 2, 3] }, 'x/y': 1, 't~': 2 };
  const out: any = applyJsonPatch(doc, [
    { op: 'add', path: '/a/b/1', value: 9 },
    { op: 'remove', path: '/a/b/0' },
    { op: 'replace', path: '/x~1y', value: 5 },
    { op: 'copy', from: '/t~0', path: '/c' },
    { op: 'move', from: '/c', path: '/d' },
    { op: 'add', path: '/a/b/-', value: 7 },
    { op: 'test', path: '/d', value: 2 },
  ]);
  assert.deepEqual(out, { a: { b: [9, 2, 3, 7] }, 'x/y': 5, 't~': 2, d: 2 });
  assert.deepEqual(doc.a.b, [1, 2, 3], 'input not mutated');
});

test('json patch failures: test fails 422, missing path 422, malformed 400, too many ops 413', () => {
  assert.throws(() => applyJsonPatch({ a: 1 }, [{ op: 'test', path: '/a', value: 2 }]), (e: any) => e.code === 422);
  assert.throws(() => applyJsonPatch({ a: 1 }, [{ op: 'replace', path: '/b/c', value: 2 }]), (e: any) => e.code === 422);
  assert.throws(() => applyJsonPatch({ a: 1 }, { op: 'add' }), (e: any) => e.code === 400);
  assert.throws(() => applyJsonPatch({ a: 1 }, [{ op: 'frob', path: '/a' }]), (e: any) => e.code === 400);
  const many = Array.from({ length: MAX_JSON_PATCH_OPERATIONS + 1 }, () => ({ op: 'test', path: '/a', value: 1 }));
  assert.throws(() => applyJsonPatch({ a: 1 }, many), (e: any) => e.code === 413);
});

test('merge patch (RFC 7386)', () => {
  assert.deepEqual(applyMergePatch({ a: 'b', c: { d: 'e', f: 'g' } }, { a: 'z', c: { f: null } }), { a: 'z', c: { d: 'e' } });
  assert.deepEqual(applyMergePatch({ a: [1, 2] }, { a: [3] }), { a: [3] });
  assert.deepEqual(applyMergePatch({ a: 1 }, { b: { c: null } }), { a: 1, b: {} });
});
