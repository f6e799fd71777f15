import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyStrategicMergePatch } from '../../../src/api/patch/strategic-merge.js';
import { schemaRegistry } from '../../../src/api/schema/registry.js';

const reg = schemaRegistry();
const deploy = () => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'd', labels: { a: '1', b: '2' }, finalizers: ['x'] },
  spec: {
    replicas: 1,
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } },
    template: {
      spec: {
        containers: [
          { name: 'a', image: 'a:1', env: [{ name: 'X', value: '1' }], ports: [{ containerPort: 80 }] },
          { name: 'b', image: 'b:1' },
        ],
        volumes: [{ name: 'v', emptyDir: {} }],
        tolerations: [{ key: 't1' }],
      },
    },
  },
});

test('containers merge by name, other fields kept', () => {
  const out: any = applyStrategicMergePatch(deploy(), { spec: { template: { spec: { containers: [{ name: 'b', image: 'b:2' }, { name: 'c', image: 'c:1' }] } } } }, reg, 'V1Deployment');
  assert.deepEqual(out.spec.template.spec.containers.map((c: any) => `${c.name}=${c.image}`), ['a=a:1', 'b=b:2', 'c=c:1']);
  assert.equal(out.spec.template.spec.containers[0].env[0].value, '1');
});

test('atomic lists are replaced, null deletes a key, maps merge', () => {
  const out: any = applyStrategicMergePatch(deploy(), { metadata: { labels: { a: null, c: '3' } }, spec: { template: { spec: { tolerations: [{ key: 't2' }] } } } }, reg, 'V1Deployment');
  assert.deepEqual(out.metadata.labels, { b: '2', c: '3' });
  assert.deepEqual(out.spec.template.spec.tolerations, [{ key: 't2' }]);
});

test('$patch delete removes a keyed item, $patch replace replaces a map', () => {
  const out: any = applyStrategicMergePatch(deploy(), { spec: { template: { spec: { containers: [{ name: 'a', $patch: 'delete' }] } } } }, reg, 'V1Deployment');
  assert.deepEqual(out.spec.template.spec.containers.map((c: any) => c.name), ['b']);
  const rep: any = applyStrategicMergePatch(deploy(), { metadata: { labels: { $patch: 'replace', z: '9' } } }, reg, 'V1Deployment');
  assert.deepEqual(rep.metadata.labels, { z: '9' });
});

test('primitive merge lists are sets; $deleteFromPrimitiveList removes', () => {
  const out: any = applyStrategicMergePatch(deploy(), { metadata: { finalizers: ['y', 'x'] } }, reg, 'V1Deployment');
  assert.deepEqual(out.metadata.finalizers, ['x', 'y']);
  const del: any = applyStrategicMergePatch(out, { metadata: { '$deleteFromPrimitiveList/finalizers': ['x'] } }, reg, 'V1Deployment');
  assert.deepEqual(del.metadata.finalizers, ['y']);
});

test('$setElementOrder orders a merged list and $retainKeys drops the rest', () => {
  const out: any = applyStrategicMergePatch(deploy(), { spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'b' }, { name: 'a' }], containers: [{ name: 'a', image: 'a:2' }] } } } }, reg, 'V1Deployment');
  assert.deepEqual(out.spec.template.spec.containers.map((c: any) => c.name), ['b', 'a']);
  const rk: any = applyStrategicMergePatch(deploy(), { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } }, reg, 'V1Deployment');
  assert.deepEqual(rk.spec.strategy, { type: 'Recreate' });
});

test('ports merge by containerPort; env by name', () => {
  const out: any = applyStrategicMergePatch(deploy(), { spec: { template: { spec: { containers: [{ name: 'a', env: [{ name: 'Y', value: '2' }], ports: [{ containerPort: 80, name: 'http' }] }] } } } }, reg, 'V1Deployment');
  const a = out.spec.template.spec.containers[0];
  assert.deepEqual(a.env.map((e: any) => e.name), ['X', 'Y']);
  assert.deepEqual(a.ports, [{ containerPort: 80, name: 'http' }]);
});

test('malformed patches are 400s', () => {
  assert.throws(() => applyStrategicMergePatch(deploy(), [1, 2] as any, reg, 'V1Deployment'), (e: any) => e.code === 400);
  assert.throws(() => applyStrategicMergePatch(deploy(), { spec: { template: { spec: { containers: [{ image: 'no-name' }] } } } }, reg, 'V1Deployment'), (e: any) => e.code === 400);
  assert.throws(() => applyStrategicMergePatch(deploy(), { $patch: 'bogus' }, reg, 'V1Deployment'), (e: any) => e.code === 400);
});
