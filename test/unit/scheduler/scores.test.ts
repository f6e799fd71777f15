// Score plugins on plain objects, and the weighted choice between nodes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { scoreNodes, schedulePod, selectHost } from '../../../src/scheduler/framework.js';
import { balancedAllocationScore, nodeAffinityScore, normalize, resourceFitScore, taintTolerationScore } from '../../../src/scheduler/scores.js';
import { info, node, pod, view } from './objects.js';

const pick = (p: ReturnType<typeof pod>, nodes: ReturnType<typeof info>[], strategy: 'LeastAllocated' | 'MostAllocated' = 'LeastAllocated') => {
  const r = schedulePod(p, view(nodes), { strategy });
  return r.node?.node.metadata.name;
};

test('LeastAllocated spreads, MostAllocated packs', () => {
  const busy = info(node('busy', { cpu: '4', memory: '8Gi' }), pod('x', { cpu: '2', memory: '4Gi' }));
  const idle = info(node('idle', { cpu: '4', memory: '8Gi' }));
  const p = pod('p', { cpu: '1', memory: '1Gi' });
  assert.equal(resourceFitScore(p, idle, 'LeastAllocated'), Math.floor(((3 / 4) * 100 + (7 / 8) * 100) / 2));
  assert.equal(resourceFitScore(p, busy, 'MostAllocated'), Math.floor(((3 / 4) * 100 + (5 / 8) * 100) / 2));
  assert.equal(pick(p, [busy, idle]), 'idle');
  assert.equal(pick(p, [busy, idle], 'MostAllocated'), 'busy');
});

test('pods without requests still spread (non-zero defaults for scoring)', () => {
  const a = info(node('a'), pod('x1'), pod('x2'));
  const b = info(node('b'));
  assert.ok(resourceFitScore(pod('p'), b, 'LeastAllocated') > resourceFitScore(pod('p'), a, 'LeastAllocated'));
  assert.equal(pick(pod('p'), [a, b]), 'b');
});

test('balanced allocation prefers equal cpu and memory fractions', () => {
  const cpuHeavy = info(node('c', { cpu: '4', memory: '4Gi' }), pod('x', { cpu: '3' }));
  const even = info(node('e', { cpu: '4', memory: '4Gi' }), pod('y', { cpu: '1', memory: '1Gi' }));
  const p = pod('p', { cpu: '1', memory: '1Gi' });
  assert.equal(balancedAllocationScore(p, even), 100);
  assert.equal(balancedAllocationScore(p, cpuHeavy), Math.floor((1 - Math.abs(1 - 0.25) / 2) * 100));
});

test('preferred node affinity: summed weights, normalised to 100', () => {
  const p = pod('p', { spec: { affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [
    { weight: 10, preference: { matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] } },
    { weight: 30, preference: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] } },
  ] } } } });
  const ssd = node('ssd', { labels: { disk: 'ssd' } });
  const zoneA = node('za', { labels: { zone: 'a' } });
  assert.equal(nodeAffinityScore(p, ssd), 10);
  assert.equal(nodeAffinityScore(p, zoneA), 30);
  assert.equal(pick(p, [info(ssd), info(zoneA), info(node('plain'))]), 'za');
});

test('PreferNoSchedule taints: fewer untolerated is better, reversed normalisation', () => {
  const tainted = node('t', { taints: [{ key: 'k', effect: 'PreferNoSchedule' }] });
  assert.equal(taintTolerationScore(pod('p'), tainted), 1);
  assert.equal(taintTolerationScore(pod('p', { spec: { tolerations: [{ key: 'k', operator: 'Exists' }] } }), tainted), 0);
  const s = [0, 1, 2];
  normalize(s, true);
  assert.deepEqual(s, [100, 50, 0]);
  assert.equal(pick(pod('p'), [info(tainted), info(node('clean'))]), 'clean');
});

test('preferred pod affinity draws pods together; preferred anti-affinity pushes apart', () => {
  const term = { weight: 100, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { app: 'cache' } } } };
  const withCache = info(node('a'), pod('cache', { labels: { app: 'cache' } }));
  const empty = info(node('b'));
  assert.equal(pick(pod('p', { spec: { affinity: { podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [term] } } } }), [withCache, empty]), 'a');
  assert.equal(pick(pod('p', { spec: { affinity: { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [term] } } } }), [withCache, empty]), 'b');
});

test('topology spread ScheduleAnyway prefers the emptier domain without filtering', () => {
  const spread = { topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: { app: 'web' } } }] };
  const web = (n: string) => pod(n, { labels: { app: 'web' }, cpu: '10m' });
  // zone a's node is emptier by resources but holds the web pods
  const a = info(node('a1', { labels: { zone: 'a' }, cpu: '64' }), web('w1'), web('w2'), web('w3'));
  const b = info(node('b1', { labels: { zone: 'b' }, cpu: '4' }));
  const p = pod('new', { labels: { app: 'web' }, spec: spread, cpu: '10m' });
  const scores = scoreNodes(p, [a, b], view([a, b]), 'LeastAllocated');
  assert.ok(scores[1] > scores[0], `zone b should win: ${scores}`);
});

test('ties are broken at random among the best', () => {
  const nodes = [info(node('a')), info(node('b')), info(node('c'))];
  const seen = new Set<string>();
  let i = 0;
  const rand = () => [0.9, 0.1, 0.9, 0.9][i++ % 4];
  for (let k = 0; k < 4; k++) seen.add(selectHost(nodes, [5, 5, 5], rand).node.metadata.name!);
  assert.ok(seen.size > 1);
  assert.equal(selectHost(nodes, [1, 7, 3]).node.metadata.name, 'b');
});
