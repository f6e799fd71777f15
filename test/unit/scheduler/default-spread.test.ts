// PodTopologySpread's system defaults (defaultingType: System): pods of a
// ReplicaSet, StatefulSet, ReplicationController or Service with no constraints
// of their own are scored as if they had ScheduleAnyway maxSkew 3 per node and
// 5 per zone over their owners' selectors, so replicas spread even when
// MostAllocated would pack them; pods nothing owns are left to the other scores.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubeObject } from '../../../src/api/object.js';
import { defaultSelector, systemDefaultConstraints, type SpreadOwners } from '../../../src/scheduler/default-spread.js';
import { schedulePod } from '../../../src/scheduler/framework.js';
import type { NodeInfo } from '../../../src/scheduler/fit.js';
import { info, node, pod, view } from './objects.js';

type Obj = Record<string, any>;

const rs = { metadata: { name: 'web-abc', namespace: 'default' }, spec: { selector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['front'] }] } } } as unknown as KubeObject;
const rc = { metadata: { name: 'old', namespace: 'default' }, spec: { selector: { app: 'legacy' } } } as unknown as KubeObject;
const sts = { metadata: { name: 'db', namespace: 'default' }, spec: { selector: { matchLabels: { app: 'db' } } } } as unknown as KubeObject;
const svc = (sel?: Record<string, string>, ns = 'default') => ({ metadata: { name: 's', namespace: ns }, spec: { selector: sel } }) as unknown as KubeObject;

function owners(services: KubeObject[] = []): SpreadOwners {
  const byKind: Record<string, KubeObject> = { ReplicaSet: rs, ReplicationController: rc, StatefulSet: sts };
  return {
    services: (ns) => services.filter((s) => s.metadata.namespace === ns),
    controller: (kind, ns, name) => (byKind[kind]?.metadata.name === name && ns === 'default' ? byKind[kind] : undefined),
  };
}

const owned = (name: string, kind: string, owner: string, labels: Record<string, string>, apiVersion = kind === 'ReplicationController' ? 'v1' : 'apps/v1'): KubeObject => {
  const p = pod(name, { labels, cpu: '100m', memory: '128Mi' });
  p.metadata.ownerReferences = [{ apiVersion, kind, name: owner, uid: `uid-${owner}`, controller: true }];
  return p;
};
const replica = (i: number) => owned(`web-abc-${i}`, 'ReplicaSet', 'web-abc', { app: 'web', tier: 'front' });

/** Schedules the pods one after another, each landing where the cycle says, as the scheduler's cache would. */
function placeAll(pods: KubeObject[], nodes: NodeInfo[], lookup?: SpreadOwners): string[] {
  return pods.map((p) => {
    const v = view(nodes);
    if (lookup) v.defaultSpread = (q) => systemDefaultConstraints(q, lookup);
    const r = schedulePod(p, v, { strategy: 'MostAllocated' });
    assert.ok(r.node, `${p.metadata.name} placed`);
    r.node.pods.push(p);
    return r.node.node.metadata.name!;
  });
}

test('the default selector: the controller owner (RS/StatefulSet/RC by apiVersion) merged with matching Services', () => {
  assert.deepEqual(defaultSelector(replica(0), owners()), { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['front'] }] });
  assert.deepEqual(defaultSelector(owned('db-0', 'StatefulSet', 'db', { app: 'db' }), owners()), { matchLabels: { app: 'db' } });
  assert.deepEqual(defaultSelector(owned('old-x', 'ReplicationController', 'old', { app: 'legacy', v: '1' }), owners([svc({ v: '1' })])), { matchLabels: { v: '1', app: 'legacy' } });
  assert.deepEqual(defaultSelector(pod('lone', { labels: { app: 'api' } }), owners([svc({ app: 'api' }), svc({ app: 'other' }), svc(undefined), svc({ app: 'api', x: 'y' }), svc({ app: 'api' }, 'elsewhere')])), { matchLabels: { app: 'api' } });
  assert.equal(defaultSelector(pod('lone', { labels: { app: 'api' } }), owners([svc(undefined), svc({})])), undefined, 'a Service without a selector selects nothing');
  assert.equal(defaultSelector(owned('j', 'Job', 'j', { app: 'web' }, 'batch/v1'), owners()), undefined, 'Jobs are not among the owners');
  assert.equal(defaultSelector(owned('x', 'ReplicaSet', 'web-abc', { app: 'web' }, 'extensions/v1beta1'), owners()), undefined, 'upstream matches the group too');

  const cs = systemDefaultConstraints(replica(0), owners());
  assert.deepEqual(cs.map((c) => [c.topologyKey, c.maxSkew, c.hard]), [['kubernetes.io/hostname', 3, false], ['topology.kubernetes.io/zone', 5, false]]);
  const own = replica(1);
  (own.spec as Obj).topologySpreadConstraints = [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'web' } } }];
  assert.deepEqual(systemDefaultConstraints(own, owners()), [], 'a pod with constraints of its own gets no defaults');
});

test('a ReplicaSet spreads over nodes under MostAllocated with the defaults, and packs without them', () => {
  const nodes = () => ['n1', 'n2', 'n3'].map((n) => info(node(n)));
  const spread = placeAll([0, 1, 2].map(replica), nodes(), owners());
  assert.equal(new Set(spread).size, 3, `one replica per node: ${spread}`);
  // the same pods with no owners to look up: MostAllocated piles them on one node
  const packed = placeAll([0, 1, 2].map(replica), nodes());
  assert.equal(new Set(packed).size, 1, `packed: ${packed}`);
  // a pod nothing owns is packed even with the defaults on
  const loners = placeAll(['a', 'b', 'c'].map((n) => pod(n, { labels: { app: 'web', tier: 'front' }, cpu: '100m', memory: '128Mi' })), nodes(), owners());
  assert.equal(new Set(loners).size, 1, `loners packed: ${loners}`);
});

test('zones count too, and nodes without a zone label are still scored', () => {
  const z = (n: string, zone?: string) => info(node(n, { labels: zone ? { 'topology.kubernetes.io/zone': zone } : {} }));
  // a1 and a2 in zone a hold two replicas between them; b1 in zone b is empty; c1 has no zone label
  const a1 = z('a1', 'a');
  const a2 = z('a2', 'a');
  a1.pods.push(replica(0));
  a2.pods.push(replica(1));
  const b1 = z('b1', 'b');
  const first = placeAll([replica(2)], [a1, a2, b1], owners());
  assert.deepEqual(first, ['b1'], 'the empty zone');
  const withUnlabelled = placeAll([replica(3)], [a1, a2, b1, z('c1')], owners());
  assert.deepEqual(withUnlabelled, ['c1'], 'an unlabelled empty node is not ignored (system defaults need no zone label)');
});
