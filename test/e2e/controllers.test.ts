// The namespace controller and the garbage collector inside `skiff server`,
// driven by the real kubectl.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { k, kubectl, startServer, type ServerHandle } from './harness.js';

async function until(pred: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 100));
  }
}

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
    s = await startServer();
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
    await until(() => kubectl(s, ['-n', 'accounts', 'get', 'sa', 'default']).code === 0);
    assert.equal(kubectl(s, ['-n', 'kube-system', 'get', 'sa', 'default']).code, 0);
    k(s, ['-n', 'accounts', 'delete', 'sa', 'default']);
    await until(() => kubectl(s, ['-n', 'accounts', 'get', 'sa', 'default']).code === 0);
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
    await until(() => kubectl(s, ['-n', 'gc-bg', 'get', 'rs', 'web-1']).code === 1);
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
    await until(() => kubectl(s, ['-n', 'gc-or', 'get', 'deploy', 'web']).code === 1);
    const rs = JSON.parse(k(s, ['-n', 'gc-or', 'get', 'rs', 'web-1', '-o', 'json']));
    assert.equal(rs.metadata.ownerReferences, undefined);
  });
});
