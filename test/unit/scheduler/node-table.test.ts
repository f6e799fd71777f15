// The node table (packed per-node numbers in cycle order) is only a faster way to
// the same answers: over a mixed cluster (cordoned, not ready, tainted, full,
// extended resources, host ports) the feasible nodes, the rejection reasons and
// the scores must equal those of the filters and scores on the node objects.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SchedulerCache } from '../../../src/scheduler/cache.js';
import { findFeasible, preFilter, scoreNodes, type ClusterView } from '../../../src/scheduler/framework.js';
import type { KubeObject } from '../../../src/api/object.js';
import { node, pod } from './objects.js';

type Obj = Record<string, any>;

/** A small deterministic generator, so a failure can be replayed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function cluster(rand: () => number): SchedulerCache {
  const cache = new SchedulerCache();
  for (let i = 0; i < 150; i++) {
    const taints: Obj[] = [];
    if (rand() < 0.1) taints.push({ key: 'dedicated', value: 'db', effect: rand() < 0.5 ? 'NoSchedule' : 'NoExecute' });
    if (rand() < 0.2) taints.push({ key: 'spot', effect: 'PreferNoSchedule' });
    const n = node(`n${i}`, { cpu: String(1 + Math.floor(rand() * 4)), memory: `${1 + Math.floor(rand() * 4)}Gi`, pods: String(2 + Math.floor(rand() * 6)), taints, unschedulable: rand() < 0.05, ready: rand() > 0.05, labels: { zone: `z${i % 3}` } });
    if (rand() < 0.1) ((n.status as Obj).allocatable as Obj)['example.com/gpu'] = '1';
    cache.setNode(n);
  }
  for (let j = 0; j < 300; j++) {
    const target = `n${Math.floor(rand() * 150)}`;
    const p = pod(`existing-${j}`, { cpu: `${100 + Math.floor(rand() * 900)}m`, memory: `${64 + Math.floor(rand() * 900)}Mi`, node: target });
    cache.addPod(`default/existing-${j}`, p, target, false);
  }
  return cache;
}

function incoming(rand: () => number, i: number): KubeObject {
  const kind = rand();
  const base = { cpu: `${100 + Math.floor(rand() * 1500)}m`, memory: `${64 + Math.floor(rand() * 1500)}Mi` };
  if (kind < 0.15) return pod(`p${i}`, { ...base, spec: { tolerations: [{ key: 'dedicated', operator: 'Exists' }] } });
  if (kind < 0.25) return pod(`p${i}`, { ...base, spec: { tolerations: [{ key: 'spot', operator: 'Exists', effect: 'PreferNoSchedule' }] } });
  if (kind < 0.3) return pod(`p${i}`, { spec: { containers: [{ name: 'c', image: 'x', resources: { requests: { 'example.com/gpu': '1' } } }] } });
  if (kind < 0.35) return pod(`p${i}`, { ...base, spec: { nodeSelector: { zone: 'z1' } } });
  if (kind < 0.4) return pod(`p${i}`, { spec: { containers: [{ name: 'c', image: 'x', ports: [{ containerPort: 80, hostPort: 8080 }] }] } });
  if (kind < 0.45) return pod(`p${i}`, { spec: { tolerations: [{ operator: 'Exists' }] } });
  return pod(`p${i}`, base);
}

test('with and without the node table: the same feasible nodes, reasons and scores', () => {
  const rand = rng(42);
  const cache = cluster(rand);
  const withTable = cache.view(() => undefined);
  assert.ok(withTable.table, 'the cache view carries a table');
  const without: ClusterView = { ...withTable, table: undefined };
  let fastPassed = 0;
  for (let i = 0; i < 400; i++) {
    const p = incoming(rand, i);
    const start = Math.floor(rand() * 150);
    const pct = rand() < 0.5 ? 0 : 100;
    const a = findFeasible(p, preFilter(p, withTable), withTable.nodes, { strategy: 'LeastAllocated', startIndex: start, percentageOfNodesToScore: pct }, undefined, withTable.table);
    const b = findFeasible(p, preFilter(p, without), without.nodes, { strategy: 'LeastAllocated', startIndex: start, percentageOfNodesToScore: pct });
    const names = (l: { node: KubeObject }[]) => l.map((x) => x.node.metadata.name);
    assert.deepEqual(names(a.feasible), names(b.feasible), `pod ${i}: feasible`);
    assert.deepEqual([...a.rejected].map(([k, v]) => [k.node.metadata.name, v]), [...b.rejected].map(([k, v]) => [k.node.metadata.name, v]), `pod ${i}: reasons`);
    assert.equal(a.processed, b.processed);
    for (const strategy of ['LeastAllocated', 'MostAllocated'] as const) {
      assert.deepEqual(scoreNodes(p, a.feasible, withTable, strategy, a.rows), scoreNodes(p, b.feasible, without, strategy), `pod ${i}: ${strategy} scores`);
    }
    fastPassed += a.feasible.length;
    // place some of them, so the table's requested numbers have to follow
    if (a.feasible.length && rand() < 0.5) cache.addPod(`default/p${i}`, p, a.feasible[0].node.metadata.name!, true);
  }
  assert.ok(fastPassed > 0, 'some nodes were feasible');
});

test('the table follows pods leaving and node updates', () => {
  const cache = new SchedulerCache();
  cache.setNode(node('n1', { cpu: '1', pods: '110' }));
  const big = pod('big', { cpu: '800m' });
  const view = () => cache.view(() => undefined);
  const feasible = (p: KubeObject) => {
    const v = view();
    return findFeasible(p, preFilter(p, v), v.nodes, { strategy: 'LeastAllocated' }, undefined, v.table).feasible.length;
  };
  cache.addPod('default/a', pod('a', { cpu: '500m' }), 'n1', false);
  assert.equal(feasible(big), 0);
  cache.removePod('default/a');
  assert.equal(feasible(big), 1);
  cache.setNode(node('n1', { cpu: '1', taints: [{ key: 'k', effect: 'NoSchedule' }] }));
  assert.equal(feasible(big), 0);
  cache.setNode(node('n1', { cpu: '2' }));
  cache.addPod('default/a', pod('a', { cpu: '500m' }), 'n1', false);
  assert.equal(feasible(big), 1);
  // a second node arriving makes a new order and table
  cache.setNode(node('n2', { cpu: '1' }));
  cache.addPod('default/b', pod('b', { cpu: '900m' }), 'n2', false);
  assert.equal(feasible(big), 1);
});
