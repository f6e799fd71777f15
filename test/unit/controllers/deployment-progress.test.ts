// The Deployment's Progressing condition over a fake clock, and proportional
// scaling of the active ReplicaSets when a rollout is resized.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../../src/api/object.js';
import { progressingCondition } from '../../../src/controllers/deployment/progress.js';
import { isScalingEvent, proportionalSizes } from '../../../src/controllers/deployment/proportional-scaling.js';

const T0 = Date.parse('2024-05-01T10:00:00Z');
const iso = (t: number) => new Date(t).toISOString().replace('.000Z', 'Z');

describe('Progressing condition', () => {
  const base = { paused: false, complete: false, newRsName: 'web-abc', deadlineSeconds: 60 };

  test('a new rollout progresses, stalls, then exceeds its deadline', () => {
    const first = progressingCondition({ ...base, prev: {}, next: { replicas: 1 }, now: T0 });
    assert.equal(first.condition.reason, 'ReplicaSetUpdated');
    assert.equal(first.condition.lastUpdateTime, iso(T0));
    assert.equal(first.recheckInMs, 61_000);
    const prev = { replicas: 1, conditions: [first.condition] };
    const stalled = progressingCondition({ ...base, prev, next: { replicas: 1 }, now: T0 + 30_000 });
    assert.equal(stalled.condition.lastUpdateTime, iso(T0), 'no progress keeps the old update time');
    const late = progressingCondition({ ...base, prev, next: { replicas: 1 }, now: T0 + 61_000 });
    assert.equal(late.condition.status, 'False');
    assert.equal(late.condition.reason, 'ProgressDeadlineExceeded');
    assert.equal(late.condition.message, 'ReplicaSet "web-abc" has timed out progressing.');
    // stays exceeded for the same set without progress, lifts with progress
    const still = progressingCondition({ ...base, prev: { replicas: 1, conditions: [late.condition] }, next: { replicas: 1 }, now: T0 + 90_000 });
    assert.equal(still.condition.reason, 'ProgressDeadlineExceeded');
    const moved = progressingCondition({ ...base, prev: { replicas: 1, conditions: [late.condition] }, next: { replicas: 1, readyReplicas: 1 }, now: T0 + 91_000 });
    assert.equal(moved.condition.reason, 'ReplicaSetUpdated');
    assert.equal(moved.condition.status, 'True');
    // a new template (another set) starts a fresh deadline
    const next = progressingCondition({ ...base, newRsName: 'web-def', prev: { replicas: 1, conditions: [late.condition] }, next: { replicas: 1 }, now: T0 + 92_000 });
    assert.equal(next.condition.reason, 'ReplicaSetUpdated');
  });

  test('progress refreshes the update time; completion and pause are reported', () => {
    const prev = { replicas: 2, updatedReplicas: 1, conditions: [progressingCondition({ ...base, prev: {}, next: {}, now: T0 }).condition] };
    const p = progressingCondition({ ...base, prev, next: { replicas: 2, updatedReplicas: 2 }, now: T0 + 50_000 });
    assert.equal(p.condition.lastUpdateTime, iso(T0 + 50_000));
    assert.equal(progressingCondition({ ...base, complete: true, prev, next: {}, now: T0 }).condition.reason, 'NewReplicaSetAvailable');
    const paused = progressingCondition({ ...base, paused: true, prev, next: {}, now: T0 + 1000 });
    assert.deepEqual([paused.condition.status, paused.condition.reason], ['Unknown', 'DeploymentPaused']);
    const resumed = progressingCondition({ ...base, prev: { conditions: [paused.condition] }, next: {}, now: T0 + 2000 });
    assert.deepEqual([resumed.condition.status, resumed.condition.reason], ['True', 'DeploymentResumed']);
    assert.equal(progressingCondition({ ...base, deadlineSeconds: 2147483647, prev: {}, next: {}, now: T0 }).recheckInMs, undefined, 'the maximum disables the deadline');
  });
});

describe('proportional scaling', () => {
  const rs = (name: string, replicas: number, desired: number, max: number, revision: number): KubeObject => ({
    metadata: { name, annotations: { 'deployment.kubernetes.io/desired-replicas': String(desired), 'deployment.kubernetes.io/max-replicas': String(max), 'deployment.kubernetes.io/revision': String(revision) } },
    spec: { replicas },
  });
  const age = (r: KubeObject) => Number(r.metadata.annotations!['deployment.kubernetes.io/revision']);
  const sizes = (m: Map<KubeObject, number>) => Object.fromEntries([...m].map(([r, n]) => [r.metadata.name, n]));

  test('a resize mid-rollout is spread by size', () => {
    const old = rs('old', 8, 10, 13, 1);
    const neu = rs('new', 5, 10, 13, 2);
    assert.ok(isScalingEvent(20, [old, neu]));
    assert.ok(!isScalingEvent(10, [old, neu]));
    assert.deepEqual(sizes(proportionalSizes(20, 5, [old, neu], age)), { old: 15, new: 10 });
    // scaling down: 10 -> 5 (+2 surge = 7)
    assert.deepEqual(sizes(proportionalSizes(5, 2, [old, neu], age)), { old: 4, new: 3 });
    // to zero: everything goes
    assert.deepEqual(sizes(proportionalSizes(0, 0, [old, neu], age)), { old: 0, new: 0 });
  });

  test('rounding leftovers go to the largest set, newest first on ties', () => {
    const a = rs('a', 3, 6, 7, 1);
    const b = rs('b', 3, 6, 7, 2);
    const out = sizes(proportionalSizes(7, 1, [a, b], age));
    assert.equal(out.a + out.b, 8);
    assert.ok(out.b >= out.a, JSON.stringify(out));
  });
});
