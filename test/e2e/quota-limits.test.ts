// ResourceQuota and LimitRange through the real kubectl against a control plane
// without nodes (pods only need to be created): quota status Used/Hard, refusals
// with upstream's 403 messages, a ReplicaSet stopped at the quota with
// FailedCreate events, LimitRange defaults on created pods and its bounds, and
// two creates racing for a quota's last slot.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { k, kubectl, startServer, type ServerHandle, until } from './harness.js';


const pod = (name: string, resources?: object) =>
  JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'c', image: 'busybox', ...(resources ? { resources } : {}) }] } });

/** kubectl create in a child process, so several can run at once */
function createAsync(s: ServerHandle, ns: string, manifest: string): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn('kubectl', ['-n', ns, 'create', '-f', '-'], { env: { ...process.env, KUBECONFIG: s.kubeconfig } });
    let stderr = '';
    p.stderr.on('data', (d) => (stderr += d));
    p.on('close', (code) => resolve({ code: code ?? -1, stderr }));
    p.stdin.end(manifest);
  });
}

describe('ResourceQuota and LimitRange', () => {
  let s: ServerHandle;
  before(async () => {
    s = await startServer();
  });
  after(async () => {
    await s?.stop();
    s?.cleanup();
  });

  const used = (ns: string, name: string) => JSON.parse(k(s, ['-n', ns, 'get', 'quota', name, '-o', 'json'])).status?.used ?? {};

  test('kubectl create quota; describe shows Used/Hard; a pod over the count is refused with 403', async () => {
    k(s, ['create', 'namespace', 'q1']);
    // invalid specs are 422 before anything counts them
    const bad = kubectl(s, ['-n', 'q1', 'create', 'quota', 'bad', '--hard=pods=1500m,requests.cpu=-1']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /is invalid: \[spec.hard\[pods\]: Invalid value: "1500m": must be an integer, spec.hard\[requests.cpu\]: Invalid value: "-1": must be greater than or equal to 0\]/);
    k(s, ['-n', 'q1', 'create', 'quota', 'counts', '--hard=pods=2,configmaps=3,services=1,count/deployments.apps=1']);
    // the controller counts what exists: the namespace's root CA config map is one
    const first = await until('quota status', () => {
      const u = used('q1', 'counts');
      return u.pods === '0' && u.services === '0' ? u : undefined;
    });
    assert.equal(first['count/deployments.apps'], '0');
    k(s, ['-n', 'q1', 'create', '-f', '-'], pod('a'));
    k(s, ['-n', 'q1', 'create', '-f', '-'], pod('b'));
    const third = kubectl(s, ['-n', 'q1', 'create', '-f', '-'], pod('c'));
    assert.notEqual(third.code, 0);
    assert.match(third.stderr, /pods "c" is forbidden: exceeded quota: counts, requested: pods=1, used: pods=2, limited: pods=2/);
    const raw = kubectl(s, ['-n', 'q1', 'create', '-f', '-', '-v=6'], pod('c'));
    assert.match(raw.stderr, /Response Status: 403|403 Forbidden/);
    k(s, ['-n', 'q1', 'create', 'service', 'clusterip', 'one', '--tcp=80']);
    assert.match(kubectl(s, ['-n', 'q1', 'create', 'service', 'clusterip', 'two', '--tcp=80']).stderr, /services "two" is forbidden: exceeded quota: counts, requested: services=1, used: services=1, limited: services=1/);
    const d = await until('describe with Used/Hard', () => {
      const text = k(s, ['-n', 'q1', 'describe', 'quota', 'counts']);
      return /pods\s+2\s+2/.test(text) ? text : undefined;
    });
    assert.match(d, /Resource\s+Used\s+Hard/);
    assert.match(d, /services\s+1\s+1/);
    assert.match(d, /count\/deployments.apps\s+0\s+1/);
    // deleting a pod gives its slot back
    k(s, ['-n', 'q1', 'delete', 'pod', 'a', '--grace-period=0', '--force']);
    await until('pods used back to 1', () => used('q1', 'counts').pods === '1');
    k(s, ['-n', 'q1', 'create', '-f', '-'], pod('c'));
  });

  test('compute quota: pods must state requests and limits; sums are tracked; a Deployment stops at the quota with FailedCreate', async () => {
    k(s, ['create', 'namespace', 'q2']);
    k(s, ['-n', 'q2', 'create', 'quota', 'compute', '--hard=requests.cpu=1,requests.memory=1Gi,limits.cpu=2,limits.memory=2Gi,pods=10']);
    await until('quota status', () => used('q2', 'compute')['requests.cpu'] === '0');
    const bare = kubectl(s, ['-n', 'q2', 'create', '-f', '-'], pod('bare'));
    assert.match(bare.stderr, /pods "bare" is forbidden: failed quota: compute: \[must specify limits.cpu for: c, must specify limits.memory for: c, must specify requests.cpu for: c, must specify requests.memory for: c\]/);
    const r = { requests: { cpu: '300m', memory: '256Mi' }, limits: { cpu: '500m', memory: '512Mi' } };
    k(s, ['-n', 'q2', 'create', '-f', '-'], pod('p1', r));
    const u = await until('usage of p1', () => {
      const x = used('q2', 'compute');
      return x['requests.cpu'] === '300m' ? x : undefined;
    });
    assert.deepEqual(u, { 'limits.cpu': '500m', 'limits.memory': '512Mi', pods: '1', 'requests.cpu': '300m', 'requests.memory': '256Mi' });
    // a Deployment of 4 such pods: two more fit (900m of 1), a third would make 1200m
    k(s, ['-n', 'q2', 'create', '-f', '-'], JSON.stringify({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' },
      spec: { replicas: 4, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'busybox', resources: r }] } } },
    }));
    const events = await until('FailedCreate on the ReplicaSet', () => {
      const e = k(s, ['-n', 'q2', 'get', 'events', '--field-selector', 'reason=FailedCreate', '-o', 'jsonpath={.items[*].message}']);
      return e.includes('exceeded quota') ? e : undefined;
    });
    assert.match(events, /Error creating: pods "web-[a-z0-9]+-[a-z0-9]+" is forbidden: exceeded quota: compute, requested: requests.cpu=300m, used: requests.cpu=900m, limited: requests.cpu=1/);
    assert.equal(JSON.parse(k(s, ['-n', 'q2', 'get', 'pods', '-l', 'app=web', '-o', 'json'])).items.length, 2);
    const d = k(s, ['-n', 'q2', 'describe', 'quota', 'compute']);
    assert.match(d, /requests.cpu\s+900m\s+1\b/);
    assert.match(d, /pods\s+3\s+10/);
  });

  test('LimitRange: defaults land in the created pod; min, max and ratio are enforced with 403', () => {
    k(s, ['create', 'namespace', 'l1']);
    const disordered = kubectl(s, ['-n', 'l1', 'create', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'LimitRange', metadata: { name: 'upside-down' }, spec: { limits: [{ type: 'Container', min: { memory: '2Gi' }, max: { memory: '1Gi' } }] } }));
    assert.match(disordered.stderr, /LimitRange "upside-down" is invalid: spec.limits\[0\].min\[memory\]: Invalid value: "2Gi": min value 2Gi is greater than max value 1Gi/);
    k(s, ['-n', 'l1', 'create', '-f', '-'], JSON.stringify({
      apiVersion: 'v1',
      kind: 'LimitRange',
      metadata: { name: 'bounds' },
      spec: {
        limits: [
          { type: 'Container', default: { cpu: '500m', memory: '128Mi' }, defaultRequest: { cpu: '200m' }, max: { cpu: '1' }, min: { cpu: '100m' }, maxLimitRequestRatio: { cpu: '4' } },
          { type: 'Pod', max: { memory: '1Gi' } },
        ],
      },
    }));
    // the range itself gets upstream's defaults: the memory request follows the default limit
    const lr = JSON.parse(k(s, ['-n', 'l1', 'get', 'limits', 'bounds', '-o', 'json']));
    assert.deepEqual(lr.spec.limits[0].defaultRequest, { cpu: '200m', memory: '128Mi' });
    k(s, ['-n', 'l1', 'create', '-f', '-'], pod('plain'));
    const p = JSON.parse(k(s, ['-n', 'l1', 'get', 'pod', 'plain', '-o', 'json']));
    assert.deepEqual(p.spec.containers[0].resources, { requests: { cpu: '200m', memory: '128Mi' }, limits: { cpu: '500m', memory: '128Mi' } });
    assert.equal(p.metadata.annotations['kubernetes.io/limit-ranger'], 'LimitRanger plugin set: cpu, memory request for container c; cpu, memory limit for container c');
    const big = kubectl(s, ['-n', 'l1', 'create', '-f', '-'], pod('big', { limits: { cpu: '2' } }));
    assert.notEqual(big.code, 0);
    assert.match(big.stderr, /pods "big" is forbidden: \[maximum cpu usage per Container is 1, but limit is 2, cpu max limit to request ratio per Container is 4, but provided ratio is 10\.000000\]/);
    const small = kubectl(s, ['-n', 'l1', 'create', '-f', '-'], pod('small', { requests: { cpu: '50m' }, limits: { cpu: '100m' } }));
    assert.match(small.stderr, /pods "small" is forbidden: minimum cpu usage per Container is 100m, but request is 50m/);
    const heavy = kubectl(s, ['-n', 'l1', 'create', '-f', '-'], pod('heavy', { limits: { memory: '2Gi' } }));
    assert.match(heavy.stderr, /pods "heavy" is forbidden: maximum memory usage per Pod is 1Gi, but limit is 2Gi/);
  });

  // the tight race (admits interleaved in one process) is in test/unit/apiserver/quota-admission.test.ts;
  // this is the same through kubectl
  test('creates racing for the last slots: only as many pass as there are free', async () => {
    k(s, ['create', 'namespace', 'q3']);
    k(s, ['-n', 'q3', 'create', 'quota', 'one', '--hard=configmaps=2']);
    // the namespace's kube-root-ca.crt may or may not be counted yet: wait for the controller
    const start = await until('quota status', () => used('q3', 'one').configmaps);
    const free = 2 - Number(start);
    assert.ok(free >= 1, `configmaps used ${start}`);
    const cm = (n: number) => JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm${n}` } });
    const results = await Promise.all([0, 1, 2, 3, 4, 5].map((n) => createAsync(s, 'q3', cm(n))));
    const passed = results.filter((r) => r.code === 0).length;
    assert.equal(passed, free, results.map((r) => r.stderr).join('\n'));
    for (const r of results.filter((x) => x.code !== 0)) assert.match(r.stderr, /exceeded quota: one, requested: configmaps=1, used: configmaps=2, limited: configmaps=2/);
    assert.equal(used('q3', 'one').configmaps, '2');
  });

  test('an update is charged what it adds: a Service turned NodePort past services.nodeports is refused', async () => {
    k(s, ['create', 'namespace', 'q4']);
    k(s, ['-n', 'q4', 'create', 'quota', 'ports', '--hard=services.nodeports=1']);
    await until('quota status', () => used('q4', 'ports')['services.nodeports'] === '0');
    k(s, ['-n', 'q4', 'create', 'service', 'clusterip', 'a', '--tcp=80']);
    k(s, ['-n', 'q4', 'create', 'service', 'clusterip', 'b', '--tcp=80']);
    k(s, ['-n', 'q4', 'patch', 'service', 'a', '-p', '{"spec":{"type":"NodePort"}}']);
    assert.equal(used('q4', 'ports')['services.nodeports'], '1');
    const refused = kubectl(s, ['-n', 'q4', 'patch', 'service', 'b', '-p', '{"spec":{"type":"NodePort"}}']);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /services "b" is forbidden: exceeded quota: ports, requested: services.nodeports=1, used: services.nodeports=1, limited: services.nodeports=1/);
    assert.equal(k(s, ['-n', 'q4', 'get', 'service', 'b', '-o', 'jsonpath={.spec.type}']), 'ClusterIP', 'nothing was written');
  });
});
