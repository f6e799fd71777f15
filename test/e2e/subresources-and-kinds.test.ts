// pods/binding and pods/eviction, delete preconditions, watch timeouts, OpenAPI
// documents, and kubectl get/describe across every served resource.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { k, kubectl, startServer, type ServerHandle } from './harness.js';
import { adminClient } from '../../bench/lib.js';

const POD = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'busybox:1.36' }] } };

describe('subresources and every kind', () => {
  let s: ServerHandle;
  let api: ReturnType<typeof adminClient>;
  before(async () => {
    s = await startServer();
    api = adminClient(s.kubeconfig, s.port);
  });
  after(() => s?.cleanup());

  test('binding assigns a node once; eviction deletes gracefully', async () => {
    const created = await api.request('POST', '/api/v1/namespaces/default/pods', POD);
    assert.equal(created.code, 201, created.body);
    const pod = JSON.parse(created.body);
    assert.equal(pod.status.phase, 'Pending');
    assert.equal(pod.status.qosClass, 'BestEffort');
    assert.equal(pod.spec.terminationGracePeriodSeconds, 30);
    const bind = await api.request('POST', '/api/v1/namespaces/default/pods/p/binding', { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'p' }, target: { apiVersion: 'v1', kind: 'Node', name: 'node-a' } });
    assert.equal(bind.code, 201, bind.body);
    const bound = JSON.parse((await api.request('GET', '/api/v1/namespaces/default/pods/p')).body);
    assert.equal(bound.spec.nodeName, 'node-a');
    assert.ok(bound.status.conditions.some((c: any) => c.type === 'PodScheduled' && c.status === 'True'));
    const again = await api.request('POST', '/api/v1/namespaces/default/pods/p/binding', { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'p' }, target: { kind: 'Node', name: 'node-b' } });
    assert.equal(again.code, 409, again.body);
    assert.match(k(s, ['get', 'pods', '--field-selector', 'spec.nodeName=node-a', '-o', 'name']), /pod\/p/);

    const evict = await api.request('POST', '/api/v1/namespaces/default/pods/p/eviction', { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'p' } });
    assert.equal(evict.code, 201, evict.body);
    const evicted = JSON.parse((await api.request('GET', '/api/v1/namespaces/default/pods/p')).body);
    assert.ok(evicted.metadata.deletionTimestamp, 'a bound pod is deleted gracefully');
    assert.equal(evicted.metadata.deletionGracePeriodSeconds, 30);
    assert.match(k(s, ['get', 'pod', 'p']), /Terminating/);
    const gone = await api.request('DELETE', '/api/v1/namespaces/default/pods/p', { kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: 0 });
    assert.equal(gone.code, 200, gone.body);
    assert.equal((await api.request('GET', '/api/v1/namespaces/default/pods/p')).code, 404);
  });

  test('delete preconditions and pod spec immutability', async () => {
    const pod = JSON.parse((await api.request('POST', '/api/v1/namespaces/default/pods', { ...POD, metadata: { name: 'q' } })).body);
    const wrongUid = await api.request('DELETE', '/api/v1/namespaces/default/pods/q', { kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { uid: 'not-it' } });
    assert.equal(wrongUid.code, 409, wrongUid.body);
    const changed = await api.request('PATCH', '/api/v1/namespaces/default/pods/q', { spec: { restartPolicy: 'Never' } }, 'application/merge-patch+json');
    assert.equal(changed.code, 422, changed.body);
    assert.match(JSON.parse(changed.body).message, /pod updates may not change fields/);
    const image = await api.request('PATCH', '/api/v1/namespaces/default/pods/q', { spec: { containers: [{ name: 'c', image: 'busybox:1.37' }] } }, 'application/strategic-merge-patch+json');
    assert.equal(image.code, 200, image.body);
    const ok = await api.request('DELETE', '/api/v1/namespaces/default/pods/q', { kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { uid: pod.metadata.uid } });
    assert.equal(ok.code, 200, ok.body);
  });

  test('a watch ends after timeoutSeconds', async () => {
    const t0 = Date.now();
    const r = await api.request('GET', '/api/v1/namespaces/default/configmaps?watch=1&timeoutSeconds=1');
    assert.equal(r.code, 200);
    assert.ok(Date.now() - t0 >= 900 && Date.now() - t0 < 5000);
  });

  test('OpenAPI v2 and v3 documents carry kinds and patch metadata', async () => {
    const v2 = JSON.parse((await api.request('GET', '/openapi/v2')).body);
    const dep = Object.values<any>(v2.definitions).find((d) => d['x-kubernetes-group-version-kind']?.some((g: any) => g.kind === 'Deployment' && g.group === 'apps'));
    assert.ok(dep, 'Deployment definition');
    const podSpec = v2.definitions.V1PodSpec;
    assert.equal(podSpec.properties.containers['x-kubernetes-patch-merge-key'], 'name');
    assert.equal(podSpec.properties.containers['x-kubernetes-patch-strategy'], 'merge');
    const index = JSON.parse((await api.request('GET', '/openapi/v3')).body);
    assert.match(index.paths['apis/apps/v1'].serverRelativeURL, /^\/openapi\/v3\/apis\/apps\/v1\?hash=/);
    const apps = JSON.parse((await api.request('GET', index.paths['apis/apps/v1'].serverRelativeURL)).body);
    assert.ok(apps.components.schemas.V1Deployment);
    assert.ok(apps.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'].get);
  });

  test('kubectl auth whoami and can-i', () => {
    const who = k(s, ['auth', 'whoami']);
    assert.match(who, /Username\s+system:admin/);
    assert.match(who, /Groups\s+\[system:masters system:authenticated\]/);
    assert.equal(k(s, ['auth', 'can-i', 'create', 'deployments']).trim(), 'yes');
    assert.equal(k(s, ['auth', 'can-i', 'get', '/healthz']).trim(), 'yes');
    assert.match(k(s, ['auth', 'can-i', '--list']), /\*\.\*/);
  });

  test('health endpoints: verbose lists the checks, one check by name, unknown ones 404', () => {
    assert.match(k(s, ['get', '--raw', '/readyz?verbose']), /^\[\+\]ping ok\n[\s\S]*\[\+\]etcd ok\n[\s\S]*readyz check passed\n$/);
    assert.match(k(s, ['get', '--raw', '/livez?verbose&exclude=etcd']), /\[\+\]etcd excluded: ok\nlivez check passed/);
    assert.equal(k(s, ['get', '--raw', '/readyz/etcd']), 'ok');
    assert.notEqual(kubectl(s, ['get', '--raw', '/readyz/nothing']).code, 0);
  });

  test('kubectl get and describe answer for every served resource', () => {
    const names = k(s, ['api-resources', '-o', 'name', '--verbs=list']).split('\n').filter(Boolean);
    assert.ok(names.length >= 35, `${names.length} resources`);
    for (const r of names) {
      const got = kubectl(s, ['get', r, '-A']);
      assert.equal(got.code, 0, `get ${r}: ${got.stderr}`);
      const wide = kubectl(s, ['get', r, '-A', '-o', 'wide']);
      assert.equal(wide.code, 0, `get ${r} -o wide: ${wide.stderr}`);
      const desc = kubectl(s, ['describe', r, '-A']);
      assert.equal(desc.code, 0, `describe ${r}: ${desc.stderr}`);
    }
    assert.match(k(s, ['describe', 'ns', 'default']), /Name:\s+default/);
  });
});
