// The official JavaScript client (@kubernetes/client-node) against skiff: list,
// watch and an informer that sees add, update and delete.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as kc from '@kubernetes/client-node';
import { startServer, type ServerHandle, until } from './harness.js';

describe('@kubernetes/client-node', () => {
  let s: ServerHandle;
  let config: kc.KubeConfig;
  let core: kc.CoreV1Api;
  before(async () => {
    s = await startServer();
    config = new kc.KubeConfig();
    config.loadFromFile(s.kubeconfig);
    core = config.makeApiClient(kc.CoreV1Api);
  });
  after(() => s?.cleanup());

  test('create and list', async () => {
    await core.createNamespace({ body: { metadata: { name: 'cn' } } });
    for (const name of ['a', 'b', 'c']) {
      await core.createNamespacedConfigMap({ namespace: 'cn', body: { metadata: { name }, data: { name } } });
    }
    // every namespace also gets kube-root-ca.crt (the root CA publisher), a moment after it is made
    const ours = (items: Array<{ metadata?: { name?: string } }>) => items.map((i) => i.metadata?.name).filter((n) => n !== 'kube-root-ca.crt');
    const list = await core.listNamespacedConfigMap({ namespace: 'cn' });
    assert.deepEqual(ours(list.items), ['a', 'b', 'c']);
    assert.ok(list.metadata?.resourceVersion);
    const page = await core.listNamespacedConfigMap({ namespace: 'cn', limit: 2 });
    assert.equal(page.items.length, 2);
    assert.ok(page.metadata?._continue);
    const rest = await core.listNamespacedConfigMap({ namespace: 'cn', limit: 2, _continue: page.metadata!._continue });
    assert.deepEqual(ours(rest.items), ['c']);
  });

  test('watch sees changes after a resourceVersion', async () => {
    const start = await core.listNamespacedConfigMap({ namespace: 'cn' });
    const seen: string[] = [];
    const watch = new kc.Watch(config);
    const ctl = await watch.watch(
      '/api/v1/namespaces/cn/configmaps',
      { resourceVersion: start.metadata!.resourceVersion, allowWatchBookmarks: true },
      (type, obj) => seen.push(`${type} ${obj.metadata?.name ?? ''}`),
      () => {},
    );
    await core.createNamespacedConfigMap({ namespace: 'cn', body: { metadata: { name: 'd' } } });
    await core.patchNamespacedConfigMap(
      { namespace: 'cn', name: 'd', body: { data: { k: 'v' } } },
      kc.setHeaderOptions('Content-Type', kc.PatchStrategy.MergePatch),
    );
    await core.deleteNamespacedConfigMap({ namespace: 'cn', name: 'd' });
    // only d's events: the root CA publisher may add the namespace's kube-root-ca.crt at any moment
    const ofD = () => seen.filter((e) => e.endsWith(' d'));
    await until('three watch events', () => ofD().length >= 3);
    ctl.abort();
    assert.deepEqual(ofD(), ['ADDED d', 'MODIFIED d', 'DELETED d']);
  });

  test('an informer sees add, update and delete', async () => {
    const informer = kc.makeInformer(config, '/api/v1/namespaces/cn/configmaps', () => core.listNamespacedConfigMap({ namespace: 'cn' }));
    const events: string[] = [];
    informer.on('add', (o) => events.push(`add ${o.metadata?.name}`));
    informer.on('update', (o) => events.push(`update ${o.metadata?.name}`));
    informer.on('delete', (o) => events.push(`delete ${o.metadata?.name}`));
    await informer.start();
    await until('the listed adds', () => ['a', 'b', 'c'].every((n) => events.includes(`add ${n}`)));
    await core.createNamespacedConfigMap({ namespace: 'cn', body: { metadata: { name: 'e' } } });
    await until('add e', () => events.includes('add e'));
    await core.replaceNamespacedConfigMap({ namespace: 'cn', name: 'e', body: { metadata: { name: 'e' }, data: { x: 'y' } } });
    await until('update e', () => events.includes('update e'));
    await core.deleteNamespacedConfigMap({ namespace: 'cn', name: 'e' });
    await until('delete e', () => events.includes('delete e'));
    assert.equal(informer.get('e', 'cn'), undefined);
    assert.ok(informer.get('a', 'cn'));
    await informer.stop();
  });

  test('errors arrive as ApiException with the Status body', async () => {
    await assert.rejects(core.readNamespacedConfigMap({ namespace: 'cn', name: 'missing' }), (e: any) => {
      assert.equal(e.code, 404);
      const body = typeof e.body === 'string' ? JSON.parse(e.body) : e.body;
      assert.equal(body.reason, 'NotFound');
      return true;
    });
  });
});
