// API semantics through the real kubectl and raw HTTPS: watch (kubectl get -w,
// bookmarks, 410), pagination, dry-run, deletecollection, generation,
// finalizers, terminating namespaces, subresources, describe and warnings.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { k, kubectl, startServer, type ServerHandle } from './harness.js';
import { adminClient } from '../../bench/lib.js';

describe('API semantics', () => {
  let s: ServerHandle;
  let api: ReturnType<typeof adminClient>;
  before(async () => {
    // API semantics only: the workload controllers would write the same objects concurrently
    s = await startServer({ env: { SKIFF_BOOKMARK_INTERVAL_MS: '200', SKIFF_COMPACT_INTERVAL_MS: '300', SKIFF_WATCH_HISTORY_EVENTS: '200' }, args: ['--disable-controller', 'deployment', '--disable-controller', 'replicaset'] });
    api = adminClient(s.kubeconfig, s.port);
    k(s, ['create', 'namespace', 'sem']);
  });
  after(() => s?.cleanup());

  test('kubectl get -w prints Table rows for changes', async () => {
    const w = spawn('kubectl', ['-n', 'sem', 'get', 'cm', '-w', '--request-timeout=0'], { env: { ...process.env, KUBECONFIG: s.kubeconfig } });
    let out = '';
    w.stdout.on('data', (d) => (out += d));
    await new Promise((r) => setTimeout(r, 700));
    k(s, ['-n', 'sem', 'create', 'cm', 'watched', '--from-literal=a=1']);
    const deadline = Date.now() + 10_000;
    while (!/watched\s+1\s+\d+s/.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    w.kill();
    assert.match(out, /watched\s+1\s+\d+s/);
  });

  test('watch from a resourceVersion, bookmarks, label-selected watches', async () => {
    const list = JSON.parse((await api.request('GET', '/api/v1/namespaces/sem/configmaps')).body);
    const events: any[] = [];
    const stop = await api.watch(`/api/v1/namespaces/sem/configmaps?watch=1&allowWatchBookmarks=true&resourceVersion=${list.metadata.resourceVersion}`, (l) => events.push(JSON.parse(l)));
    await api.request('POST', '/api/v1/namespaces/sem/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'w1', labels: { x: 'y' } } });
    await api.request('DELETE', '/api/v1/namespaces/sem/configmaps/w1');
    const deadline = Date.now() + 5000;
    while ((events.filter((e) => e.type !== 'BOOKMARK').length < 2 || !events.some((e) => e.type === 'BOOKMARK')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    stop();
    assert.deepEqual(events.filter((e) => e.type !== 'BOOKMARK').map((e) => `${e.type} ${e.object.metadata.name}`), ['ADDED w1', 'DELETED w1']);
    const bm = events.find((e) => e.type === 'BOOKMARK');
    assert.ok(bm, 'a bookmark arrived');
    assert.ok(Number(bm.object.metadata.resourceVersion) >= Number(list.metadata.resourceVersion));
    assert.equal(bm.object.kind, 'ConfigMap');

    // a Table watch (kubectl get -w) carries the columns in its first event only
    const tables: any[] = [];
    const stop3 = await api.watch('/api/v1/namespaces/sem/configmaps?watch=1', (l) => tables.push(JSON.parse(l)), 'application/json;as=Table;v=v1;g=meta.k8s.io');
    await api.request('POST', '/api/v1/namespaces/sem/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'tw1' } });
    await api.request('POST', '/api/v1/namespaces/sem/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'tw2' } });
    const d3 = Date.now() + 5000;
    while (!tables.some((e) => e.object?.rows?.[0]?.cells?.[0] === 'tw2') && Date.now() < d3) await new Promise((r) => setTimeout(r, 50));
    stop3();
    assert.equal(tables[0].object.kind, 'Table');
    assert.ok(tables[0].object.columnDefinitions.length > 0);
    assert.equal(tables[tables.length - 1].object.columnDefinitions, null);

    // a label-selected watch sees only matching objects
    const sel: any[] = [];
    const stop2 = await api.watch('/api/v1/namespaces/sem/configmaps?watch=1&labelSelector=pick%3Dme', (l) => sel.push(JSON.parse(l)));
    await api.request('POST', '/api/v1/namespaces/sem/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'nopick' } });
    await api.request('POST', '/api/v1/namespaces/sem/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'pick', labels: { pick: 'me' } } });
    const d2 = Date.now() + 5000;
    while (!sel.some((e) => e.object?.metadata?.name === 'pick') && Date.now() < d2) await new Promise((r) => setTimeout(r, 50));
    stop2();
    assert.deepEqual(sel.map((e) => e.object.metadata.name), ['pick']);
  });

  test('a watch from a resourceVersion older than the watch window gets 410 Expired', async () => {
    const first = JSON.parse((await api.request('POST', '/api/v1/namespaces/sem/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'old-0' } })).body);
    let next = 1;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next <= 1500) {
          const i = next++;
          await api.request('POST', '/api/v1/namespaces/sem/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `old-${i}` } });
        }
      }),
    );
    // two compaction intervals pass, so the first write's revision is compacted
    await new Promise((r) => setTimeout(r, 1000));
    const events: any[] = [];
    const stop = await api.watch(`/api/v1/namespaces/sem/configmaps?watch=1&resourceVersion=${first.metadata.resourceVersion}`, (l) => events.push(JSON.parse(l)));
    const deadline = Date.now() + 5000;
    while (events.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    stop();
    assert.equal(events[0]?.type, 'ERROR', JSON.stringify(events[0]).slice(0, 200));
    assert.equal(events[0].object.code, 410);
    await api.request('DELETE', '/api/v1/namespaces/sem/configmaps?labelSelector=');
  });

  test('pagination with limit and continue, and resourceVersionMatch', async () => {
    for (let i = 0; i < 7; i++) await api.request('POST', '/api/v1/namespaces/sem/secrets', { apiVersion: 'v1', kind: 'Secret', metadata: { name: `p${i}` }, stringData: { i: String(i) } });
    const names: string[] = [];
    let cont = '';
    let pages = 0;
    do {
      const r = JSON.parse((await api.request('GET', `/api/v1/namespaces/sem/secrets?limit=3${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`)).body);
      names.push(...r.items.map((i: any) => i.metadata.name));
      cont = r.metadata.continue ?? '';
      if (cont) assert.equal(typeof r.metadata.remainingItemCount, 'number');
      pages++;
    } while (cont);
    assert.equal(pages, 3);
    assert.deepEqual(names, ['p0', 'p1', 'p2', 'p3', 'p4', 'p5', 'p6']);
    const secret = JSON.parse((await api.request('GET', '/api/v1/namespaces/sem/secrets/p3')).body);
    assert.equal(Buffer.from(secret.data.i, 'base64').toString(), '3', 'stringData folded into data');
    const exact = await api.request('GET', `/api/v1/namespaces/sem/secrets?resourceVersion=${secret.metadata.resourceVersion}&resourceVersionMatch=Exact`);
    assert.equal(exact.code, 200, exact.body);
    assert.ok(JSON.parse(exact.body).items.some((i: any) => i.metadata.name === 'p3'));
    assert.match(k(s, ['-n', 'sem', 'get', 'secrets', '--chunk-size=2', '-o', 'name']), /secret\/p6/);
  });

  test('dry-run writes nothing; deletecollection deletes by selector', async () => {
    const dry = await api.request('POST', '/api/v1/namespaces/sem/configmaps?dryRun=All', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'dry' } });
    assert.equal(dry.code, 201);
    assert.equal((await api.request('GET', '/api/v1/namespaces/sem/configmaps/dry')).code, 404);
    assert.match(k(s, ['-n', 'sem', 'create', 'cm', 'dry2', '--dry-run=server', '-o', 'name']), /configmap\/dry2/);
    assert.equal(kubectl(s, ['-n', 'sem', 'get', 'cm', 'dry2']).code, 1);

    for (const n of ['d1', 'd2', 'keep']) await api.request('POST', '/api/v1/namespaces/sem/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: n, labels: { gone: n === 'keep' ? 'no' : 'yes' } } });
    const del = await api.request('DELETE', '/api/v1/namespaces/sem/configmaps?labelSelector=gone%3Dyes');
    assert.equal(del.code, 200, del.body);
    const left = JSON.parse((await api.request('GET', '/api/v1/namespaces/sem/configmaps?labelSelector=gone')).body).items.map((i: any) => i.metadata.name);
    assert.deepEqual(left, ['keep']);
  });

  test('generation moves on spec changes only; status and scale subresources', async () => {
    const dep = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'g' }, spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } } };
    const created = JSON.parse((await api.request('POST', '/apis/apps/v1/namespaces/sem/deployments', dep)).body);
    assert.equal(created.metadata.generation, 1);
    assert.equal(created.spec.replicas, 1, 'defaulted');
    assert.equal(created.spec.strategy.rollingUpdate.maxSurge, '25%');
    assert.equal(created.spec.template.spec.containers[0].imagePullPolicy, 'Always');
    const labelled = JSON.parse((await api.request('PATCH', '/apis/apps/v1/namespaces/sem/deployments/g', { metadata: { labels: { x: '1' } } }, 'application/merge-patch+json')).body);
    assert.equal(labelled.metadata.generation, 1);
    const status = await api.request('PUT', '/apis/apps/v1/namespaces/sem/deployments/g/status', { ...labelled, status: { replicas: 1, observedGeneration: 1 }, spec: { ...labelled.spec, replicas: 9 } });
    assert.equal(status.code, 200, status.body);
    const afterStatus = JSON.parse(status.body);
    assert.equal(afterStatus.status.replicas, 1);
    assert.equal(afterStatus.spec.replicas, 1, 'status writes cannot change spec');
    assert.equal(afterStatus.metadata.generation, 1);
    const scaled = JSON.parse((await api.request('PATCH', '/apis/apps/v1/namespaces/sem/deployments/g/scale', { spec: { replicas: 4 } }, 'application/merge-patch+json')).body);
    assert.equal(scaled.kind, 'Scale');
    assert.equal(scaled.spec.replicas, 4);
    assert.equal(scaled.status.selector, 'a=b');
    const now = JSON.parse((await api.request('GET', '/apis/apps/v1/namespaces/sem/deployments/g')).body);
    assert.equal(now.metadata.generation, 2);
    const bad = await api.request('PUT', '/apis/apps/v1/namespaces/sem/deployments/g', { ...now, spec: { ...now.spec, selector: { matchLabels: { a: 'c' } } } });
    assert.equal(bad.code, 422, bad.body);
  });

  test('finalizers hold a deletion; removing the last one deletes', async () => {
    await api.request('POST', '/api/v1/namespaces/sem/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'fin', finalizers: ['example.com/hold'] } });
    const del = await api.request('DELETE', '/api/v1/namespaces/sem/configmaps/fin');
    assert.equal(del.code, 202, del.body);
    const held = JSON.parse((await api.request('GET', '/api/v1/namespaces/sem/configmaps/fin')).body);
    assert.ok(held.metadata.deletionTimestamp);
    const added = await api.request('PATCH', '/api/v1/namespaces/sem/configmaps/fin', { metadata: { finalizers: ['example.com/hold', 'example.com/more'] } }, 'application/merge-patch+json');
    assert.equal(added.code, 422, 'no new finalizers on a deleting object');
    const cleared = await api.request('PATCH', '/api/v1/namespaces/sem/configmaps/fin', { metadata: { finalizers: null } }, 'application/merge-patch+json');
    assert.equal(cleared.code, 200, cleared.body);
    assert.equal((await api.request('GET', '/api/v1/namespaces/sem/configmaps/fin')).code, 404);
  });

  test('a terminating namespace refuses new content', async () => {
    k(s, ['create', 'namespace', 'ending']);
    // an object that holds on through a finalizer keeps the namespace terminating
    await api.request('POST', '/api/v1/namespaces/ending/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'held', finalizers: ['example.com/hold'] } });
    k(s, ['delete', 'namespace', 'ending', '--wait=false']);
    assert.match(k(s, ['get', 'ns', 'ending']), /ending\s+Terminating/);
    const r = kubectl(s, ['-n', 'ending', 'create', 'cm', 'late']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /because it is being terminated/);
    // releasing the finalizer lets the namespace controller finish
    await api.request('PATCH', '/api/v1/namespaces/ending/configmaps/held', { metadata: { finalizers: null } }, 'application/merge-patch+json');
    const end = Date.now() + 15_000;
    while (kubectl(s, ['get', 'ns', 'ending']).code === 0 && Date.now() < end) await new Promise((r2) => setTimeout(r2, 200));
    assert.equal(kubectl(s, ['get', 'ns', 'ending']).code, 1, 'namespace removed once empty');
  });

  test('describe works across kinds and Warn validation returns warnings', async () => {
    k(s, ['-n', 'sem', 'create', 'deployment', 'described', '--image=busybox:1.36']);
    assert.match(k(s, ['-n', 'sem', 'describe', 'deployment', 'described']), /Name:\s+described[\s\S]*Replicas:/);
    assert.match(k(s, ['describe', 'namespace', 'sem']), /Status:\s+Active/);
    k(s, ['-n', 'sem', 'create', 'service', 'clusterip', 'svc1', '--tcp=80:8080']);
    assert.match(k(s, ['-n', 'sem', 'describe', 'service', 'svc1']), /TargetPort:\s+8080\/TCP/);
    for (const kind of ['configmaps', 'secrets', 'serviceaccounts', 'roles', 'limitranges', 'resourcequotas', 'pdb', 'leases', 'ingresses', 'networkpolicies', 'jobs', 'cronjobs']) {
      const r = kubectl(s, ['-n', 'sem', 'describe', kind]);
      assert.equal(r.code, 0, `${kind}: ${r.stderr}`);
    }
    const warn = await new Promise<string>((resolve) => {
      const p = spawn('kubectl', ['-n', 'sem', 'apply', '--validate=warn', '-f', '-'], { env: { ...process.env, KUBECONFIG: s.kubeconfig } });
      let err = '';
      p.stderr.on('data', (d) => (err += d));
      p.on('close', () => resolve(err));
      p.stdin.end('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: warned\nbogus: 1\n');
    });
    assert.match(warn, /unknown field "bogus"/);
  });
});
