// Preemption on plain objects: victims only of lower priority, as few and as
// unimportant as possible; Never and unresolvable reasons are honoured.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findFeasible, preFilter } from '../../../src/scheduler/framework.js';
import { findPreemption, selectVictims } from '../../../src/scheduler/preemption.js';
import type { ClusterView } from '../../../src/scheduler/framework.js';
import type { KubeObject } from '../../../src/api/object.js';
import { info, node, pod, view } from './objects.js';

function preempt(p: KubeObject, v: ClusterView) {
  const state = preFilter(p, v);
  const r = findFeasible(p, state, v.nodes, { strategy: 'LeastAllocated' });
  assert.equal(r.feasible.length, 0, 'the pod must fit nowhere for these cases');
  return findPreemption(p, v, r.rejected, state);
}

test('evicts only lower-priority pods, and only as many as needed', () => {
  const n = info(node('n1', { cpu: '2' }), pod('low1', { cpu: '500m', priority: 1 }), pod('low2', { cpu: '500m', priority: 2 }), pod('same', { cpu: '1', priority: 10 }));
  const p = pod('high', { cpu: '500m', priority: 10 });
  const r = preempt(p, view([n]));
  assert.ok(r.candidate);
  // one of the two low pods is enough; the higher of them is reprieved
  assert.deepEqual(r.candidate.victims.map((v) => v.metadata.name), ['low1']);
});

test('no candidates when every pod is as important', () => {
  const n = info(node('n1', { cpu: '1' }), pod('a', { cpu: '1', priority: 5 }));
  const r = preempt(pod('p', { cpu: '1', priority: 5 }), view([n]));
  assert.equal(r.candidate, undefined);
  assert.equal(r.message, 'preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.');
});

test('picks the node whose most important victim matters least, then the fewest victims', () => {
  const a = info(node('a', { cpu: '1' }), pod('a1', { cpu: '1', priority: 5 }));
  const b = info(node('b', { cpu: '1' }), pod('b1', { cpu: '500m', priority: 1 }), pod('b2', { cpu: '500m', priority: 1 }));
  const c = info(node('c', { cpu: '1' }), pod('c1', { cpu: '1', priority: 1 }));
  const r = preempt(pod('p', { cpu: '1', priority: 10 }), view([a, b, c]));
  assert.equal(r.candidate?.node.node.metadata.name, 'c');
});

test('preemptionPolicy Never, and nodes preemption cannot help', () => {
  const n = info(node('n1', { cpu: '1' }), pod('low', { cpu: '1', priority: 0 }));
  const never = preempt(pod('p', { cpu: '1', priority: 10, spec: { preemptionPolicy: 'Never' } }), view([n]));
  assert.equal(never.message, 'preemption: not eligible due to preemptionPolicy=Never.');
  const tainted = info(node('t', { cpu: '8', taints: [{ key: 'k', effect: 'NoSchedule' }] }));
  const r = preempt(pod('p', { cpu: '1', priority: 10 }), view([tainted]));
  assert.equal(r.message, 'preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.');
});

test('anti-affinity can be resolved by evicting the lower-priority pod it conflicts with', () => {
  const anti = { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { app: 'x' } } }] } } };
  const n = info(node('n1'), pod('old', { labels: { app: 'x' }, priority: 1 }), pod('keep', { priority: 100 }));
  const p = pod('new', { labels: { app: 'x' }, priority: 10, spec: anti });
  const v = view([n]);
  const victims = selectVictims(p, n, preFilter(p, v), v);
  assert.deepEqual(victims?.map((x) => x.metadata.name), ['old']);
});

test('a nominated pod waits while its victims terminate', () => {
  const leaving = { ...pod('low', { cpu: '1', priority: 0 }), metadata: { ...pod('low').metadata, deletionTimestamp: '2024-01-01T00:00:00Z' } };
  const n = info(node('n1', { cpu: '1' }), leaving);
  const p = { ...pod('p', { cpu: '1', priority: 10 }), status: { nominatedNodeName: 'n1' } };
  assert.equal(preempt(p, view([n])).message, 'preemption: not eligible due to a terminating pod on the nominated node.');
});

test('space freed for a nominated pod is not taken by a pod of lower priority', () => {
  const n = info(node('n1', { cpu: '1' }));
  const nominated = { ...pod('boss', { cpu: '1', priority: 100 }), status: { nominatedNodeName: 'n1' } };
  const v = { ...view([n]), nominated: new Map([['n1', [nominated]]]) };
  const low = pod('low', { cpu: '1', priority: 1 });
  assert.equal(findFeasible(low, preFilter(low, v), v.nodes, { strategy: 'LeastAllocated' }, v.nominated).feasible.length, 0);
  const higher = pod('higher', { cpu: '1', priority: 1000 });
  assert.equal(findFeasible(higher, preFilter(higher, v), v.nodes, { strategy: 'LeastAllocated' }, v.nominated).feasible.length, 1);
  // the nominated pod itself fits there
  assert.equal(findFeasible(nominated, preFilter(nominated, v), v.nodes, { strategy: 'LeastAllocated' }, v.nominated).feasible.length, 1);
});
