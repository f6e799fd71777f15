// A PodDisruptionBudget's numbers as upstream's disruption controller computes
// them: expected pods from the pod count (minAvailable integer) or from the
// controllers' scale (percentages, maxUnavailable), percentages rounded up,
// healthy pods = ready, not deleting, not just evicted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BudgetError, computeBudget, DELETION_TIMEOUT_MS, disruptionCondition, scaledValue } from '../../../src/controllers/disruption/budget.js';
import type { KubeObject } from '../../../src/api/object.js';

const NOW = Date.parse('2025-01-01T00:10:00Z');

function pdb(spec: Record<string, unknown>, status: Record<string, unknown> = {}): KubeObject {
  return { metadata: { name: 'b', namespace: 'd', generation: 1 }, spec: { selector: { matchLabels: { app: 'web' } }, ...spec }, status };
}

function pod(name: string, ready = true, extra: Record<string, unknown> = {}): KubeObject {
  return { metadata: { name, namespace: 'd', labels: { app: 'web' }, ...extra }, status: { phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] } };
}

const scaleOf = (n: number) => () => n;
const noScale = () => {
  throw new Error('the scale must not be asked for an integer minAvailable');
};

test('scaledValue: integers as they are, percentages of the total rounded up, anything else refused', () => {
  assert.equal(scaledValue(3, 10), 3);
  assert.equal(scaledValue('3', 10), 3);
  assert.equal(scaledValue('50%', 5), 3);
  assert.equal(scaledValue('34%', 3), 2);
  assert.equal(scaledValue('0%', 7), 0);
  assert.throws(() => scaledValue('half', 4), BudgetError);
  assert.throws(() => scaledValue(undefined, 4), BudgetError);
});

test('minAvailable integer: expected pods are the matching pods, the scale is not needed', () => {
  const b = computeBudget(pdb({ minAvailable: 2 }), [pod('a'), pod('b'), pod('c', false)], noScale, NOW);
  assert.deepEqual([b.expectedPods, b.desiredHealthy, b.currentHealthy, b.disruptionsAllowed], [3, 2, 2, 0]);
  const more = computeBudget(pdb({ minAvailable: 2 }), [pod('a'), pod('b'), pod('c')], noScale, NOW);
  assert.equal(more.disruptionsAllowed, 1);
});

test('minAvailable percent: desired healthy is the percent of the controllers\' scale, rounded up', () => {
  const b = computeBudget(pdb({ minAvailable: '50%' }), [pod('a'), pod('b'), pod('c')], scaleOf(5), NOW);
  assert.deepEqual([b.expectedPods, b.desiredHealthy, b.currentHealthy, b.disruptionsAllowed], [5, 3, 3, 0]);
});

test('maxUnavailable: desired = scale minus the (rounded up) unavailable count, never below 0', () => {
  const int = computeBudget(pdb({ maxUnavailable: 1 }), [pod('a'), pod('b'), pod('c')], scaleOf(3), NOW);
  assert.deepEqual([int.expectedPods, int.desiredHealthy, int.disruptionsAllowed], [3, 2, 1]);
  // 25% of 5 = 1.25 -> 2 may be unavailable -> 3 must stay healthy
  const pct = computeBudget(pdb({ maxUnavailable: '25%' }), [pod('a'), pod('b'), pod('c'), pod('d'), pod('e')], scaleOf(5), NOW);
  assert.deepEqual([pct.desiredHealthy, pct.disruptionsAllowed], [3, 2]);
  const all = computeBudget(pdb({ maxUnavailable: 10 }), [pod('a')], scaleOf(2), NOW);
  assert.deepEqual([all.desiredHealthy, all.disruptionsAllowed], [0, 1]);
  // fewer healthy pods than desired: no disruption allowed, not a negative number
  const short = computeBudget(pdb({ maxUnavailable: 0 }), [pod('a'), pod('b', false)], scaleOf(2), NOW);
  assert.deepEqual([short.desiredHealthy, short.currentHealthy, short.disruptionsAllowed], [2, 1, 0]);
});

test('neither field set: nothing expected, every healthy pod may be disrupted', () => {
  const b = computeBudget(pdb({}), [pod('a'), pod('b')], noScale, NOW);
  assert.deepEqual([b.expectedPods, b.desiredHealthy, b.currentHealthy, b.disruptionsAllowed], [0, 0, 2, 2]);
});

test('a missing controller scale is a BudgetError (the controller fails safe)', () => {
  const missing = () => {
    throw new BudgetError('found no controllers for pod "a"');
  };
  assert.throws(() => computeBudget(pdb({ maxUnavailable: 1 }), [pod('a')], missing, NOW), BudgetError);
  assert.throws(() => computeBudget(pdb({ minAvailable: 'lots' }), [pod('a')], noScale, NOW), BudgetError);
});

test('deleting pods and just-evicted pods are not healthy; evictions are forgotten once deleting, gone or 2 minutes old', () => {
  const recent = new Date(NOW - 30_000).toISOString();
  const old = new Date(NOW - DELETION_TIMEOUT_MS - 1000).toISOString();
  const status = { disruptedPods: { a: recent, b: recent, c: old, gone: recent } };
  const pods = [pod('a'), pod('b', true, { deletionTimestamp: recent }), pod('c'), pod('d')];
  const b = computeBudget(pdb({ minAvailable: 1 }, status), pods, noScale, NOW);
  // a: just evicted; b: deleting; c: its eviction expired, healthy again; d: healthy
  assert.equal(b.currentHealthy, 2);
  assert.equal(b.disruptionsAllowed, 1);
  assert.deepEqual(b.disruptedPods, { a: recent });
  assert.equal(b.recheckAt, Date.parse(recent) + DELETION_TIMEOUT_MS);
  const none = computeBudget(pdb({ minAvailable: 1 }), [pod('a')], noScale, NOW);
  assert.equal(none.recheckAt, undefined);
  assert.deepEqual(none.disruptedPods, {});
});

test('DisruptionAllowed condition: reason and status, lastTransitionTime kept while the status holds', () => {
  const first = disruptionCondition(undefined, true, 'SufficientPods', 3);
  assert.deepEqual({ ...first, lastTransitionTime: 'x' }, { type: 'DisruptionAllowed', status: 'True', observedGeneration: 3, lastTransitionTime: 'x', reason: 'SufficientPods', message: '' });
  const held = disruptionCondition([{ ...first, lastTransitionTime: '2020-01-01T00:00:00Z' }], true, 'SufficientPods', 4);
  assert.equal(held.lastTransitionTime, '2020-01-01T00:00:00Z');
  const flipped = disruptionCondition([{ ...first, lastTransitionTime: '2020-01-01T00:00:00Z' }], false, 'InsufficientPods', 4);
  assert.notEqual(flipped.lastTransitionTime, '2020-01-01T00:00:00Z');
  assert.equal(flipped.status, 'False');
});
