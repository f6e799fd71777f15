// The namespace controller, the garbage collector and the pod garbage collector
// inside `skiff server`, driven by the real kubectl. The pod-gc test binds pods to
// a Node object without an agent (no kubelet is needed to show what PodGC does).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { k, kubectl, startServer, type ServerHandle, until } from './harness.js';

function ownedReplicaSet(name: string, owner: { name: string; uid: string }, block = true): string {
  return JSON.stringify({
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name, labels: { app: owner.name }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: owner.name, uid: owner.uid, controller: true, blockOwnerDeletion: block }] },
    spec: { replicas: 0, selector: { matchLabels: { app: owner.name } }, template: { metadata: { labels: { app: owner.name } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } },
  });
}

describe('controllers', () => {
  let s: ServerHandle;
  before(async () => {
    // pod gc every 300 ms, a node missing for 1 s counts as gone (upstream: 20 s, 40 s)
    s = await startServer({ env: { SKIFF_PODGC_PERIOD_MS: '300', SKIFF_PODGC_QUARANTINE_MS: '1000', SKIFF_TERMINATED_POD_GC_THRESHOLD: '2' } });
  });
  after(() => s?.cleanup());

  test('kubectl delete namespace removes its contents and then the namespace', () => {
    k(s, ['create', 'namespace', 'doomed']);
    k(s, ['-n', 'doomed', 'create', 'configmap', 'a']);
    k(s, ['-n', 'doomed', 'create', 'secret', 'generic', 'b', '--from-literal=x=y']);
    k(s, ['-n', 'doomed', 'create', 'deployment', 'd', '--image=busybox']);
    const out = k(s, ['delete', 'namespace', 'doomed', '--timeout=30s']);
    assert.match(out, /namespace "doomed" deleted/);
    assert.equal(kubectl(s, ['get', 'namespace', 'doomed']).code, 1);
    k(s, ['create', 'namespace', 'doomed']);
    assert.equal(k(s, ['-n', 'doomed', 'get', 'cm', 'a', '--ignore-not-found', '-o', 'name']), '', 'contents went with it');
  });

  test('every namespace gets a default service account, and keeps it', async () => {
    k(s, ['create', 'namespace', 'accounts']);
    await until('the default service account', () => kubectl(s, ['-n', 'accounts', 'get', 'sa', 'default']).code === 0);
    assert.equal(kubectl(s, ['-n', 'kube-system', 'get', 'sa', 'default']).code, 0);
    k(s, ['-n', 'accounts', 'delete', 'sa', 'default']);
    await until('the default service account back', () => kubectl(s, ['-n', 'accounts', 'get', 'sa', 'default']).code === 0);
  });

  function deployment(ns: string, name: string): { name: string; uid: string } {
    k(s, ['-n', ns, 'create', 'deployment', name, '--image=busybox']);
    return { name, uid: k(s, ['-n', ns, 'get', 'deploy', name, '-o', 'jsonpath={.metadata.uid}']) };
  }

  test('background deletion removes dependents after their owner', async () => {
    k(s, ['create', 'namespace', 'gc-bg']);
    const owner = deployment('gc-bg', 'web');
    k(s, ['-n', 'gc-bg', 'create', '-f', '-'], ownedReplicaSet('web-1', owner));
    k(s, ['-n', 'gc-bg', 'delete', 'deployment', 'web']);
    await until('the dependent gone', () => kubectl(s, ['-n', 'gc-bg', 'get', 'rs', 'web-1']).code === 1);
  });

  test('foreground deletion removes dependents first', async () => {
    k(s, ['create', 'namespace', 'gc-fg']);
    const owner = deployment('gc-fg', 'web');
    k(s, ['-n', 'gc-fg', 'create', '-f', '-'], ownedReplicaSet('web-1', owner));
    const out = k(s, ['-n', 'gc-fg', 'delete', 'deployment', 'web', '--cascade=foreground', '--timeout=30s']);
    assert.match(out, /deleted/);
    assert.equal(kubectl(s, ['-n', 'gc-fg', 'get', 'rs', 'web-1']).code, 1, 'dependent gone');
    assert.equal(kubectl(s, ['-n', 'gc-fg', 'get', 'deploy', 'web']).code, 1, 'owner gone');
  });

  test('orphan deletion keeps dependents without the ownerReference', async () => {
    k(s, ['create', 'namespace', 'gc-or']);
    const owner = deployment('gc-or', 'web');
    k(s, ['-n', 'gc-or', 'create', '-f', '-'], ownedReplicaSet('web-1', owner));
    k(s, ['-n', 'gc-or', 'delete', 'deployment', 'web', '--cascade=orphan', '--timeout=30s']);
    await until('the owner gone', () => kubectl(s, ['-n', 'gc-or', 'get', 'deploy', 'web']).code === 1);
    const rs = JSON.parse(k(s, ['-n', 'gc-or', 'get', 'rs', 'web-1', '-o', 'json']));
    assert.equal(rs.metadata.ownerReferences, undefined);
  });

  test('pod gc: pods of a deleted node are failed and removed; finished pods over the threshold go oldest first', async () => {
    k(s, ['create', 'namespace', 'pgc']);
    k(s, ['create', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'ghost' } }));
    const pod = (name: string, node: string) => JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { nodeName: node, containers: [{ name: 'c', image: 'busybox' }] } });
    k(s, ['-n', 'pgc', 'create', '-f', '-'], pod('stranded', 'ghost'));
    await new Promise((r) => setTimeout(r, 2000));
    assert.equal(kubectl(s, ['-n', 'pgc', 'get', 'pod', 'stranded']).code, 0, 'a pod of an existing node stays');
    // watch the pod's last state on its way out
    const seen: string[] = [];
    k(s, ['delete', 'node', 'ghost']);
    await until('the stranded pod gone', () => {
      const r = kubectl(s, ['-n', 'pgc', 'get', 'pod', 'stranded', '-o', 'json']);
      if (r.code !== 0) return true;
      const st = JSON.parse(r.stdout).status;
      if (st.phase === 'Failed') seen.push(JSON.stringify(st.conditions.find((c: any) => c.type === 'DisruptionTarget')));
      return false;
    }, 20_000);
    if (seen.length) assert.match(seen[0]!, /DeletionByPodGC/, 'marked Failed by PodGC before the delete');

    // three finished pods, threshold two: the oldest goes
    k(s, ['create', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'keeper' } }));
    for (const name of ['done-1', 'done-2', 'done-3']) {
      k(s, ['-n', 'pgc', 'create', '-f', '-'], pod(name, 'keeper'));
      const p = JSON.parse(k(s, ['-n', 'pgc', 'get', 'pod', name, '-o', 'json']));
      k(s, ['-n', 'pgc', 'replace', '--subresource=status', '-f', '-'], JSON.stringify({ ...p, status: { phase: 'Succeeded' } }));
      await new Promise((r) => setTimeout(r, 1100)); // creationTimestamps a second apart
    }
    await until('the oldest finished pod gone', () => kubectl(s, ['-n', 'pgc', 'get', 'pod', 'done-1']).code === 1, 20_000);
    assert.equal(kubectl(s, ['-n', 'pgc', 'get', 'pod', 'done-2']).code, 0);
    assert.equal(kubectl(s, ['-n', 'pgc', 'get', 'pod', 'done-3']).code, 0);
    k(s, ['delete', 'node', 'keeper']);
  });
});
