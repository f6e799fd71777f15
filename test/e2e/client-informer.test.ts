// skiff's own client against a real server: an informer whose transform drops
// managedFields (as the node agent's do) caches objects without them, and a
// write of such an object keeps the ownership the server holds; pooled
// connections left idle are closed; the event recorder counts repeats inside
// its 10 minute window, writes anew past it and forgets what expired (a clock
// the test moves stands in for waiting).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type http from 'node:http';
import type { KubeObject } from '../../src/api/object.js';
import { EventRecorder } from '../../src/client/event-recorder.js';
import { Informer, stripManagedFields } from '../../src/client/informer.js';
import { loadKubeconfig } from '../../src/client/kubeconfig.js';
import { RestClient, type ResourceRef } from '../../src/client/rest-client.js';
import { k, startServer, until, type ServerHandle } from './harness.js';

const CONFIGMAPS: ResourceRef = { group: '', version: 'v1', plural: 'configmaps', namespaced: true };

describe('skiff client: informer transform, idle connections, event recorder', () => {
  let s: ServerHandle;
  before(async () => {
    s = await startServer();
  });
  after(() => s?.cleanup());

  test('stripManagedFields: the cache holds no managedFields, an update of a cached object keeps the stored ones', async () => {
    const client = new RestClient(loadKubeconfig(s.kubeconfig));
    k(s, ['create', 'configmap', 'owned', '--from-literal=a=1']);
    const informer = new Informer(client, CONFIGMAPS, { namespace: 'default', transform: stripManagedFields });
    informer.start();
    await informer.waitForSync();
    try {
      const cached = informer.get('default/owned');
      assert.ok(cached, 'listed');
      assert.equal(cached.metadata.managedFields, undefined);
      const stored = JSON.parse(k(s, ['get', 'configmap', 'owned', '-o', 'json', '--show-managed-fields']));
      assert.ok(stored.metadata.managedFields.some((m: { manager: string }) => m.manager === 'kubectl-create'), 'the server keeps kubectl create\'s entry');

      // a watch event goes through the transform too
      k(s, ['label', 'configmap', 'owned', 'x=y']);
      const relabelled = await until('the label seen', () => (informer.get('default/owned')?.metadata.labels?.x === 'y' ? informer.get('default/owned') : undefined));
      assert.equal(relabelled.metadata.managedFields, undefined);

      // a field of its own: the fields the others own stay theirs
      const next = { ...relabelled, data: { ...(relabelled.data as object), b: '2' } } as KubeObject;
      await client.update(CONFIGMAPS, next);
      const after = JSON.parse(k(s, ['get', 'configmap', 'owned', '-o', 'json', '--show-managed-fields']));
      assert.deepEqual(after.data, { a: '1', b: '2' });
      const managers = after.metadata.managedFields.map((m: { manager: string }) => m.manager);
      assert.ok(managers.includes('kubectl-create'), `kubectl create's entry kept: ${managers}`);
      assert.ok(managers.includes('kubectl-label'), `kubectl label's entry kept: ${managers}`);
      const mine = after.metadata.managedFields.find((m: { manager: string }) => m.manager === 'skiff-controller-manager');
      assert.ok(mine && JSON.stringify(mine.fieldsV1).includes('f:b'), `the writer owns data.b: ${JSON.stringify(after.metadata.managedFields)}`);
    } finally {
      informer.stop();
    }
  });

  test('pooled connections left idle past idleSocketMs are closed', async () => {
    const client = new RestClient(loadKubeconfig(s.kubeconfig), { idleSocketMs: 300 });
    await Promise.all(Array.from({ length: 6 }, () => client.request('GET', '/api/v1/namespaces/default/configmaps')));
    const pool = (client as unknown as { agent: http.Agent }).agent;
    const free = () => Object.values(pool.freeSockets).reduce((n, list) => n + (list?.length ?? 0), 0);
    assert.ok(free() >= 2, `several connections pooled after parallel requests (${free()})`);
    await until('idle connections closed', () => free() === 0, 5000, 50);
    // and the client still works, on a new connection
    const list = await client.request<{ items: unknown[] }>('GET', '/api/v1/namespaces/default/configmaps');
    assert.ok(Array.isArray(list.items));
  });

  test('event recorder: repeats inside the window count up; past it they are new Events and the old entries are forgotten', async () => {
    let now = Date.now();
    const errors: unknown[] = [];
    const recorder = new EventRecorder(new RestClient(loadKubeconfig(s.kubeconfig)), { component: 'test' }, (e) => errors.push(e), () => now);
    const pod = (name: string) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', uid: `uid-${name}` } }) as KubeObject;
    const seen = () => (recorder as unknown as { seen: Map<string, unknown> }).seen;
    const events = (name: string) =>
      (JSON.parse(k(s, ['get', 'events', '--field-selector', `involvedObject.name=${name}`, '-o', 'json'])).items as Array<{ count: number }>).map((e) => e.count).sort();

    await recorder.eventAndWait(pod('a'), 'Normal', 'Started', 'Started container c');
    now += 60_000;
    await recorder.eventAndWait(pod('a'), 'Normal', 'Started', 'Started container c');
    assert.deepEqual(events('a'), [2], 'one Event, counted twice');
    await recorder.eventAndWait(pod('b'), 'Normal', 'Pulled', 'already present');
    assert.equal(seen().size, 2);

    now += 11 * 60_000; // past the window for both
    await recorder.eventAndWait(pod('a'), 'Normal', 'Started', 'Started container c');
    assert.deepEqual(events('a'), [1, 2], 'a new Event once the window passed');
    assert.equal(seen().size, 1, 'b\'s expired entry is gone, a\'s is the new one');
    assert.deepEqual(errors, []);
  });
});
