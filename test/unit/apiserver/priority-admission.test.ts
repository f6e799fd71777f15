// Priority admission on plain objects over a tiny in-memory stand-in for storage.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findResource } from '../../../src/api/kinds/resources.js';
import type { KubeObject } from '../../../src/api/object.js';
import { PriorityAdmission } from '../../../src/apiserver/registry/priority-admission.js';
import { StorageError, type Storage } from '../../../src/storage/store.js';

function storageWith(classes: KubeObject[]): Storage {
  const byKey = new Map(classes.map((c) => [`/registry/scheduling.k8s.io/priorityclasses/${c.metadata.name}`, c]));
  const resource = {
    watch: () => ({
      async *[Symbol.asyncIterator]() {
        for (const c of classes) yield { type: 'ADDED', object: c };
      },
      stop() {},
    }),
    get: async (key: string) => {
      const hit = byKey.get(key);
      if (!hit) throw new StorageError('KeyNotFound', key);
      return hit;
    },
  };
  return { resource: () => resource } as unknown as Storage;
}

const pc = (name: string, value: number, extra: Record<string, unknown> = {}): KubeObject => ({ metadata: { name }, value, ...extra });
const PODS = findResource('', 'pods')!;
const pod = (spec: Record<string, unknown> = {}): KubeObject => ({ metadata: { name: 'p', namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'x' }], ...spec } });

async function admission(classes: KubeObject[]): Promise<PriorityAdmission> {
  const a = new PriorityAdmission(storageWith(classes));
  a.start();
  await new Promise((r) => setImmediate(r));
  return a;
}

test('a named class gives its value and preemption policy', async () => {
  const a = await admission([pc('high', 1000, { preemptionPolicy: 'Never' })]);
  const p = pod({ priorityClassName: 'high' });
  await a.admit(PODS, p);
  assert.equal((p.spec as any).priority, 1000);
  assert.equal((p.spec as any).preemptionPolicy, 'Never');
});

test('unknown classes and forged values are Forbidden', async () => {
  const a = await admission([pc('low', 10)]);
  await assert.rejects(a.admit(PODS, pod({ priorityClassName: 'nope' })), (e: any) => e.code === 403 && /no PriorityClass with name nope was found/.test(e.message));
  await assert.rejects(a.admit(PODS, pod({ priorityClassName: 'low', priority: 99 })), (e: any) => e.code === 403 && /the integer value of priority \(99\) must not be provided/.test(e.message));
  await assert.rejects(a.admit(PODS, pod({ priority: 5 })), (e: any) => e.code === 403);
});

test('the system classes are known even before they are stored', async () => {
  const a = await admission([]);
  const p = pod({ priorityClassName: 'system-node-critical' });
  await a.admit(PODS, p);
  assert.equal((p.spec as any).priority, 2000001000);
});

test('no class: the lowest global default, else 0', async () => {
  const none = await admission([pc('x', 50)]);
  const p0 = pod();
  await none.admit(PODS, p0);
  assert.equal((p0.spec as any).priority, 0);
  const a = await admission([pc('d1', 100, { globalDefault: true }), pc('d2', 20, { globalDefault: true })]);
  const p = pod();
  await a.admit(PODS, p);
  assert.equal((p.spec as any).priority, 20);
  assert.equal((p.spec as any).priorityClassName, 'd2');
});

test('other kinds pass untouched', async () => {
  const a = await admission([]);
  const cm: KubeObject = { metadata: { name: 'c' }, data: {} };
  await a.admit(findResource('', 'configmaps')!, cm);
  assert.deepEqual(cm, { metadata: { name: 'c' }, data: {} });
});
