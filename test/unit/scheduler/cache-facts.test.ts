// The scheduler cache derives each node's filter facts (ready, cordon, taints)
// once per node object; a node update must replace them, or cycles would keep
// filtering against the node as it was.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SchedulerCache } from '../../../src/scheduler/cache.js';
import { schedulePod } from '../../../src/scheduler/framework.js';
import { nodeFacts } from '../../../src/scheduler/fit.js';
import { node, pod } from './objects.js';

const cycle = (cache: SchedulerCache, p: ReturnType<typeof pod>) => schedulePod(p, cache.view(() => undefined), { strategy: 'LeastAllocated' });

test('node facts: readiness, cordon and taints split by effect', () => {
  const f = nodeFacts(node('n', { ready: false, unschedulable: true, taints: [{ key: 'a', effect: 'NoSchedule' }, { key: 'b', effect: 'PreferNoSchedule' }, { key: 'c', effect: 'NoExecute' }] }));
  assert.equal(f.ready, false);
  assert.equal(f.unschedulable, true);
  assert.deepEqual(f.hardTaints.map((t) => t.key), ['a', 'c']);
  assert.deepEqual(f.preferTaints.map((t) => t.key), ['b']);
});

test('a node cordoned, tainted or made ready after it was cached is filtered as it is now', () => {
  const cache = new SchedulerCache();
  cache.setNode(node('n1'));
  assert.equal(cycle(cache, pod('a')).node?.node.metadata.name, 'n1');

  cache.setNode(node('n1', { unschedulable: true }));
  const cordoned = cycle(cache, pod('b'));
  assert.equal(cordoned.node, undefined);
  assert.deepEqual(cordoned.node ? [] : [...cordoned.rejected.values()], ['node(s) were unschedulable']);

  cache.setNode(node('n1', { taints: [{ key: 'k', value: 'v', effect: 'NoExecute' }] }));
  const tainted = cycle(cache, pod('c'));
  assert.deepEqual(tainted.node ? [] : [...tainted.rejected.values()], ['node(s) had untolerated taint {k: v}']);
  assert.equal(cycle(cache, pod('d', { spec: { tolerations: [{ key: 'k', operator: 'Exists' }] } })).node?.node.metadata.name, 'n1');

  cache.setNode(node('n1', { ready: false }));
  assert.equal(cycle(cache, pod('e')).node, undefined);
  cache.setNode(node('n1'));
  assert.equal(cycle(cache, pod('f')).node?.node.metadata.name, 'n1');
});

test('PreferNoSchedule taints cached on the node steer scoring away from it', () => {
  const cache = new SchedulerCache();
  cache.setNode(node('n1'));
  cache.setNode(node('n2'));
  cache.setNode(node('n2', { taints: [{ key: 'slow', effect: 'PreferNoSchedule' }] }));
  for (let i = 0; i < 5; i++) assert.equal(cycle(cache, pod(`p${i}`)).node?.node.metadata.name, 'n1');
});
