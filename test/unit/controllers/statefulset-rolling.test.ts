// StatefulSet RollingUpdate with maxUnavailable (upstream's MaxUnavailableStatefulSet):
// which pods the controller replaces in one sync, and the API's defaults and 422s.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../../src/api/object.js';
import { maxUnavailableOf, podsToUpdate, type RollingInput } from '../../../src/controllers/statefulset/rolling-update.js';
import { defaultStatefulSetUpdateStrategy, validateStatefulSetUpdateStrategy } from '../../../src/api/kinds/statefulset-rules.js';

type Obj = Record<string, any>;
const NOW = Date.parse('2024-05-01T10:00:00Z');

function pod(ord: number, revision: string, opts: { ready?: boolean; readySince?: number; deleting?: boolean } = {}): KubeObject {
  const ready = opts.ready ?? true;
  return {
    metadata: { name: `web-${ord}`, labels: { 'controller-revision-hash': revision }, ...(opts.deleting ? { deletionTimestamp: '2024-05-01T09:59:00Z' } : {}) },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: new Date(opts.readySince ?? NOW - 60_000).toISOString() }] },
  } as unknown as KubeObject;
}

const set = (pods: KubeObject[], extra: Partial<RollingInput> = {}): RollingInput => ({
  slots: new Map(pods.map((p, i) => [i, p])),
  start: 0,
  replicas: pods.length,
  partition: 0,
  updateRevision: 'new',
  maxUnavailable: 1,
  minReadySeconds: 0,
  now: NOW,
  ...extra,
});
const names = (ps: KubeObject[]) => ps.map((p) => p.metadata.name);

test('maxUnavailable as a count: int, percent of replicas rounded up, at least 1', () => {
  assert.equal(maxUnavailableOf(undefined, 5), 1);
  assert.equal(maxUnavailableOf(3, 5), 3);
  assert.equal(maxUnavailableOf('40%', 5), 2);
  assert.equal(maxUnavailableOf('50%', 5), 3, 'rounded up');
  assert.equal(maxUnavailableOf('1%', 5), 1);
  assert.equal(maxUnavailableOf('100%', 4), 4);
});

test('up to maxUnavailable outdated pods at once, from the highest ordinal', () => {
  const old = [0, 1, 2, 3, 4].map((i) => pod(i, 'old'));
  assert.deepEqual(names(podsToUpdate(set(old))), ['web-4'], 'default 1: one at a time');
  assert.deepEqual(names(podsToUpdate(set(old, { maxUnavailable: 2 }))), ['web-4', 'web-3']);
  assert.deepEqual(names(podsToUpdate(set(old, { maxUnavailable: 3, partition: 3 }))), ['web-4', 'web-3'], 'never below the partition');
  assert.deepEqual(names(podsToUpdate(set(old, { maxUnavailable: 5 }))), ['web-4', 'web-3', 'web-2', 'web-1', 'web-0']);
});

test('pods already unavailable use up the budget; outdated ones among them are replaced anyway', () => {
  // web-4 updated but not ready yet, web-3 terminating: two unavailable
  const pods = [pod(0, 'old'), pod(1, 'old'), pod(2, 'old'), pod(3, 'old', { deleting: true }), pod(4, 'new', { ready: false })];
  assert.deepEqual(names(podsToUpdate(set(pods, { maxUnavailable: 2 }))), [], 'budget spent: wait');
  assert.deepEqual(names(podsToUpdate(set(pods, { maxUnavailable: 3 }))), ['web-2']);
  // ready but inside minReadySeconds is still unavailable
  const fresh = [pod(0, 'old'), pod(1, 'old'), pod(2, 'new', { readySince: NOW - 1000 })];
  assert.deepEqual(names(podsToUpdate(set(fresh, { minReadySeconds: 5 }))), []);
  assert.deepEqual(names(podsToUpdate(set(fresh, { minReadySeconds: 5, now: NOW + 5000 }))), ['web-1']);
  // a missing ordinal counts as unavailable too
  const gap = set([pod(0, 'old'), pod(1, 'old'), pod(2, 'old')]);
  gap.slots.delete(2);
  assert.deepEqual(names(podsToUpdate(gap)), []);
  // an outdated pod that is itself broken is replaced without waiting (it cannot lower availability)
  const broken = [pod(0, 'old'), pod(1, 'old'), pod(2, 'old', { ready: false })];
  assert.deepEqual(names(podsToUpdate(set(broken))), ['web-2']);
  assert.deepEqual(names(podsToUpdate(set(broken, { maxUnavailable: 2 }))), ['web-2', 'web-1'], 'the broken one costs nothing extra');
});

test('API: RollingUpdate defaults partition 0 and maxUnavailable 1; maxUnavailable > 0 and <= 100%', () => {
  const spec: Obj = {};
  defaultStatefulSetUpdateStrategy(spec);
  assert.deepEqual(spec.updateStrategy, { type: 'RollingUpdate', rollingUpdate: { partition: 0, maxUnavailable: 1 } });
  const given: Obj = { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '50%' } } };
  defaultStatefulSetUpdateStrategy(given);
  assert.deepEqual(given.updateStrategy.rollingUpdate, { maxUnavailable: '50%', partition: 0 });
  const onDelete: Obj = { updateStrategy: { type: 'OnDelete' } };
  defaultStatefulSetUpdateStrategy(onDelete);
  assert.deepEqual(onDelete.updateStrategy, { type: 'OnDelete' });

  const causes = (rollingUpdate: Obj, type = 'RollingUpdate') => validateStatefulSetUpdateStrategy({ updateStrategy: { type, rollingUpdate } }).map((c) => `${c.field}: ${c.message}`);
  const path = 'spec.updateStrategy.rollingUpdate';
  assert.deepEqual(causes({ partition: 0, maxUnavailable: 2 }), []);
  assert.deepEqual(causes({ maxUnavailable: '100%' }), []);
  assert.deepEqual(causes({ maxUnavailable: 0 }), [`${path}.maxUnavailable: Invalid value: 0: cannot be 0`]);
  assert.deepEqual(causes({ maxUnavailable: '0%' }), [`${path}.maxUnavailable: Invalid value: 0%: cannot be 0`]);
  assert.deepEqual(causes({ maxUnavailable: -1 }), [`${path}.maxUnavailable: Invalid value: -1: must be greater than or equal to 0`]);
  assert.deepEqual(causes({ maxUnavailable: '150%' }), [`${path}.maxUnavailable: Invalid value: 150%: must not be greater than 100%`]);
  assert.match(causes({ maxUnavailable: 'half' })[0], /maxUnavailable: Invalid value: half: a valid percent string must be a numeric string followed by an ending '%'/);
  assert.deepEqual(causes({ partition: -1 }), [`${path}.partition: Invalid value: -1: must be greater than or equal to 0`]);
  assert.deepEqual(causes({ partition: 0 }, 'OnDelete'), [`${path}: Invalid value: {"partition":0}: only allowed for updateStrategy 'RollingUpdate'`]);
  assert.deepEqual(validateStatefulSetUpdateStrategy({ updateStrategy: { type: 'Sometimes' } }).map((c) => `${c.field}: ${c.message}`), [`spec.updateStrategy: Invalid value: {"type":"Sometimes"}: must be 'RollingUpdate' or 'OnDelete'`]);
});

test('an outdated pod below one waiting for budget waits its turn (highest ordinal first)', () => {
  // web-0 just turned ready (inside minReadySeconds): web-2 waits for budget, and web-0 must not jump ahead of it
  const low = [pod(0, 'old', { readySince: NOW - 500 }), pod(1, 'old'), pod(2, 'old')];
  assert.deepEqual(names(podsToUpdate(set(low, { minReadySeconds: 1 }))), []);
  assert.deepEqual(names(podsToUpdate(set(low, { minReadySeconds: 1, now: NOW + 1000 }))), ['web-2']);
});
