import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serverSideApply } from '../../../src/api/patch/apply.js';
import { updateManagedFields } from '../../../src/api/patch/managed-fields.js';
import { decodeFieldsV1, pathKey } from '../../../src/api/patch/field-set.js';
import { schemaRegistry } from '../../../src/api/schema/registry.js';
import type { KubeObject } from '../../../src/api/object.js';

const registry = schemaRegistry();
const ctx = (manager: string, force = false) => ({ registry, model: 'V1Deployment', apiVersion: 'apps/v1', manager, force });
const cfg = (replicas: number, images: Record<string, string>, labels: Record<string, string> = { app: 'x' }): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'd', labels },
  spec: {
    replicas,
    selector: { matchLabels: { app: 'x' } },
    template: { metadata: { labels: { app: 'x' } }, spec: { containers: Object.entries(images).map(([name, image]) => ({ name, image })) } },
  },
});
const empty = (): KubeObject => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' } });

test('apply creates ownership and merges containers by name', () => {
  const a = serverSideApply(empty(), cfg(2, { web: 'w:1' }), ctx('alice'));
  assert.equal((a.spec as any).replicas, 2);
  const entry = a.metadata.managedFields!.find((m) => m.manager === 'alice')!;
  assert.equal(entry.operation, 'Apply');
  const paths = decodeFieldsV1(entry.fieldsV1).map(pathKey);
  assert.ok(paths.some((p) => p.includes('k:{"name":"web"}')), JSON.stringify(entry.fieldsV1));
  // bob applies another container into the same list: both remain
  const b = serverSideApply(a, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, spec: { template: { spec: { containers: [{ name: 'side', image: 's:1' }] } } } }, ctx('bob'));
  assert.deepEqual((b.spec as any).template.spec.containers.map((c: any) => c.name), ['web', 'side']);
});

test('conflicting values conflict unless forced; equal values are shared', () => {
  const a = serverSideApply(empty(), cfg(2, { web: 'w:1' }), ctx('alice'));
  assert.throws(() => serverSideApply(a, cfg(3, { web: 'w:1' }), ctx('bob')), (e: any) => {
    assert.equal(e.code, 409);
    assert.match(e.message, /conflict with "alice"/);
    assert.ok(e.details.causes.some((c: any) => c.field === '.spec.replicas' && c.reason === 'FieldManagerConflict'));
    return true;
  });
  const shared = serverSideApply(a, cfg(2, { web: 'w:1' }), ctx('bob'));
  assert.equal(shared.metadata.managedFields!.length, 2);
  const forced = serverSideApply(a, cfg(3, { web: 'w:1' }), ctx('bob', true));
  assert.equal((forced.spec as any).replicas, 3);
  const alice = forced.metadata.managedFields!.find((m) => m.manager === 'alice')!;
  assert.ok(!decodeFieldsV1(alice.fieldsV1).map(pathKey).some((p) => p.endsWith('f:replicas')), 'alice lost replicas');
});

test('fields dropped from an apply are removed unless someone else owns them', () => {
  const a = serverSideApply(empty(), cfg(2, { web: 'w:1', side: 's:1' }, { app: 'x', tier: 'fe' }), ctx('alice'));
  const b = serverSideApply(a, cfg(2, { web: 'w:1' }), ctx('alice'));
  assert.deepEqual((b.spec as any).template.spec.containers.map((c: any) => c.name), ['web']);
  assert.deepEqual(b.metadata.labels, { app: 'x' });
});

test('updates take ownership of the fields they change', () => {
  const a = serverSideApply(empty(), cfg(2, { web: 'w:1' }), ctx('alice'));
  const changed = structuredClone(a);
  (changed.spec as any).replicas = 7;
  const u = updateManagedFields(a, changed, 'kubectl-scale', { registry, model: 'V1Deployment', apiVersion: 'apps/v1' });
  const scaler = u.metadata.managedFields!.find((m) => m.manager === 'kubectl-scale')!;
  assert.equal(scaler.operation, 'Update');
  assert.deepEqual(decodeFieldsV1(scaler.fieldsV1).map(pathKey), [['f:spec', 'f:replicas'].join('\u0000')]);
  assert.throws(() => serverSideApply(u, cfg(5, { web: 'w:1' }), ctx('alice')), (e: any) => e.code === 409 && /kubectl-scale/.test(e.message));
});
