// Filter plugins on plain objects: each rule alone, with upstream's reason text.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { filterNode, fitErrorMessage, findFeasible, numFeasibleNodesToFind, preFilter } from '../../../src/scheduler/framework.js';
import { info, node, pod, view } from './objects.js';

const reason = (p: ReturnType<typeof pod>, target: ReturnType<typeof info>, all = [target]) => filterNode(p, preFilter(p, view(all)), target);

test('resources: cpu, memory, ephemeral-storage and the pod count', () => {
  const n = node('n1', { cpu: '1', memory: '1Gi', pods: '2' });
  assert.equal(reason(pod('a', { cpu: '500m' }), info(n, pod('b', { cpu: '400m' }))), undefined);
  assert.equal(reason(pod('a', { cpu: '700m' }), info(n, pod('b', { cpu: '400m' }))), 'Insufficient cpu');
  assert.equal(reason(pod('a', { memory: '2Gi' }), info(n)), 'Insufficient memory');
  assert.equal(reason(pod('a', { storage: '11Gi' }), info(n)), 'Insufficient ephemeral-storage');
  assert.equal(reason(pod('a', { storage: '1Gi' }), info(n)), undefined);
  assert.equal(reason(pod('a'), info(n, pod('b'), pod('c'))), 'Too many pods');
});

test('taints: NoSchedule and NoExecute reject unless tolerated; PreferNoSchedule does not', () => {
  for (const effect of ['NoSchedule', 'NoExecute']) {
    const n = node('n1', { taints: [{ key: 'k', value: 'v', effect }] });
    assert.equal(reason(pod('a'), info(n)), 'node(s) had untolerated taint {k: v}');
    assert.equal(reason(pod('a', { spec: { tolerations: [{ key: 'k', operator: 'Equal', value: 'v', effect }] } }), info(n)), undefined);
    assert.equal(reason(pod('a', { spec: { tolerations: [{ operator: 'Exists' }] } }), info(n)), undefined);
  }
  // a NoSchedule toleration does not cover a NoExecute taint
  assert.equal(reason(pod('a', { spec: { tolerations: [{ key: 'k', operator: 'Exists', effect: 'NoSchedule' }] } }), info(node('n1', { taints: [{ key: 'k', effect: 'NoExecute' }] }))), 'node(s) had untolerated taint {k: }');
  assert.equal(reason(pod('a'), info(node('n1', { taints: [{ key: 'k', effect: 'PreferNoSchedule' }] }))), undefined);
  assert.equal(reason(pod('a'), info(node('n1', { unschedulable: true }))), 'node(s) were unschedulable');
  assert.equal(reason(pod('a'), info(node('n1', { ready: false }))), 'node(s) had untolerated taint {node.kubernetes.io/not-ready: }');
});

test('nodeSelector and required node affinity', () => {
  const n = node('n1', { labels: { zone: 'a' } });
  assert.equal(reason(pod('a', { spec: { nodeSelector: { zone: 'b' } } }), info(n)), "node(s) didn't match Pod's node affinity/selector");
  const aff = (op: string, values: string[]) => ({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: op, values }] }] } } } });
  assert.equal(reason(pod('a', { spec: aff('In', ['a']) }), info(n)), undefined);
  assert.equal(reason(pod('a', { spec: aff('NotIn', ['a']) }), info(n)), "node(s) didn't match Pod's node affinity/selector");
});

test('pod anti-affinity: one per hostname, and the existing pod\'s anti-affinity binds too', () => {
  const anti = { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { app: 'web' } } }] } } };
  const n1 = info(node('n1'), pod('w1', { labels: { app: 'web' }, spec: anti }));
  const n2 = info(node('n2'));
  const incoming = pod('w2', { labels: { app: 'web' }, spec: anti });
  assert.equal(reason(incoming, n1, [n1, n2]), "node(s) didn't match pod anti-affinity rules");
  assert.equal(reason(incoming, n2, [n1, n2]), undefined);
  // a plain pod matching an existing pod's anti-affinity is kept away from it
  assert.equal(reason(pod('plain', { labels: { app: 'web' } }), n1, [n1, n2]), "node(s) didn't satisfy existing pods anti-affinity rules");
  assert.equal(reason(pod('other', { labels: { app: 'db' } }), n1, [n1, n2]), undefined);
  // other namespaces are not looked at unless the term says so
  assert.equal(reason(pod('w3', { labels: { app: 'web' }, namespace: 'other', spec: anti }), n1, [n1, n2]), undefined);
});

test('pod affinity: with a zone, the first pod of a group, namespaceSelector', () => {
  const aff = (extra = {}) => ({ affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'zone', labelSelector: { matchLabels: { app: 'db' } }, ...extra }] } } });
  const a = info(node('a1', { labels: { zone: 'a' } }), pod('db', { labels: { app: 'db' }, namespace: 'data' }));
  const b = info(node('b1', { labels: { zone: 'b' } }));
  const c = info(node('c1'));
  const p = pod('web', { spec: aff({ namespaces: ['data'] }) });
  assert.equal(reason(p, a, [a, b, c]), undefined);
  assert.equal(reason(p, b, [a, b, c]), "node(s) didn't match pod affinity rules");
  assert.equal(reason(p, c, [a, b, c]), "node(s) didn't match pod affinity rules");
  // same namespace only by default: no db pod there
  assert.equal(reason(pod('web', { spec: aff() }), a, [a, b]), "node(s) didn't match pod affinity rules");
  // namespaceSelector picks namespaces by their labels
  const sel = pod('web', { spec: aff({ namespaceSelector: { matchLabels: { team: 'data' } } }) });
  assert.equal(filterNode(sel, preFilter(sel, view([a, b], { data: { team: 'data' } })), a), undefined);
  // a pod matching its own affinity may start the group anywhere with the label
  const self = pod('db2', { labels: { app: 'db' }, spec: aff() });
  assert.equal(reason(self, b, [b]), undefined);
});

test('topology spread DoNotSchedule: maxSkew, minDomains, missing label, nodeAffinityPolicy', () => {
  const spread = (extra = {}) => ({ topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'web' } }, ...extra }] });
  const web = (n: string) => pod(n, { labels: { app: 'web' } });
  const a = info(node('a1', { labels: { zone: 'a' } }), web('w1'), web('w2'));
  const b = info(node('b1', { labels: { zone: 'b' } }), web('w3'));
  const nolabel = info(node('x1'));
  const p = pod('new', { labels: { app: 'web' }, spec: spread() });
  assert.equal(reason(p, a, [a, b, nolabel]), "node(s) didn't match pod topology spread constraints");
  assert.equal(reason(p, b, [a, b, nolabel]), undefined);
  assert.equal(reason(p, nolabel, [a, b, nolabel]), "node(s) didn't match pod topology spread constraints (missing required label)");
  // three domains wanted, two exist: the global minimum is 0, so zone b (1 pod) is at skew 2
  assert.equal(reason(pod('new', { labels: { app: 'web' }, spec: spread({ minDomains: 3 }) }), b, [a, b]), "node(s) didn't match pod topology spread constraints");
  // nodes the pod may not go to do not count as domains (nodeAffinityPolicy Honor) unless Ignore
  const c = info(node('c1', { labels: { zone: 'c', pool: 'x' } }));
  const sel = { nodeSelector: { pool: 'y' } };
  const pa = { ...spread(), ...sel };
  assert.equal(filterNode(pod('n', { labels: { app: 'web' }, spec: pa }), preFilter(pod('n', { labels: { app: 'web' }, spec: pa }), view([a, b, c])), b), "node(s) didn't match Pod's node affinity/selector");
  const bb = info(node('b1', { labels: { zone: 'b', pool: 'y' } }), web('w3'));
  const aa = info(node('a1', { labels: { zone: 'a', pool: 'y' } }), web('w1'));
  const honor = pod('n', { labels: { app: 'web' }, spec: pa });
  // c (0 pods) is not a domain: min is 1, b is fine
  assert.equal(filterNode(honor, preFilter(honor, view([aa, bb, c])), bb), undefined);
  const ignore = pod('n', { labels: { app: 'web' }, spec: { ...spread({ nodeAffinityPolicy: 'Ignore' }), ...sel } });
  assert.equal(filterNode(ignore, preFilter(ignore, view([aa, bb, c])), bb), "node(s) didn't match pod topology spread constraints");
});

test('host ports clash', () => {
  const withPort = (n: string) => pod(n, { spec: { containers: [{ name: 'c', image: 'x', ports: [{ containerPort: 80, hostPort: 8080 }] }] } });
  assert.equal(reason(withPort('a'), info(node('n1'), withPort('b'))), "node(s) didn't have free ports for the requested pod ports");
});

test('the FailedScheduling message counts reasons as upstream, sorted', () => {
  const nodes = [info(node('a', { cpu: '1' })), info(node('b', { unschedulable: true })), info(node('c', { cpu: '1' }))];
  const p = pod('big', { cpu: '2' });
  const r = findFeasible(p, preFilter(p, view(nodes)), nodes, { strategy: 'LeastAllocated' });
  assert.equal(r.feasible.length, 0);
  assert.equal(fitErrorMessage(3, r.rejected), '0/3 nodes are available: 1 node(s) were unschedulable, 2 Insufficient cpu.');
});

test('percentageOfNodesToScore: all below 100 nodes, adaptive above', () => {
  assert.equal(numFeasibleNodesToFind(50), 50);
  assert.equal(numFeasibleNodesToFind(1000), 420);
  assert.equal(numFeasibleNodesToFind(5000), 500);
  assert.equal(numFeasibleNodesToFind(5000, 100), 5000);
});
