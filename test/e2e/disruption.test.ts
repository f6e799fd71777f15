// PodDisruptionBudgets, the eviction subresource honouring them, and
// `kubectl drain`, with the real kubectl against `skiff server` (scheduler,
// deployment, replicaset and disruption controllers running).
// There is no node agent here: the Nodes are API objects and the test plays
// their kubelets (fakeKubelet below) through the API, as a kubelet would: it
// marks the pods bound to "running" nodes Running and Ready, and removes pods
// once they are being deleted. That puts readiness under the test's control,
// which is what a budget is about; node lifecycle is off (no leases here).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { k, kubectl, startServer, type ServerHandle, until } from './harness.js';
import { adminClient } from '../../bench/lib.js';

const NS = 'shop';
const VIOLATION = "Cannot evict pod as it would violate the pod's disruption budget.";
const stamp = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));


describe('disruption budgets, eviction and drain', () => {
  let s: ServerHandle;
  let api: ReturnType<typeof adminClient>;
  // the fake kubelets: which nodes start containers ready, which pods fail readiness, whether deletions finish
  const kubelet = { readyOn: new Set<string>(), unready: new Set<string>(), finalize: true, stopped: false };
  let kubeletLoop: Promise<void> | undefined;

  const getJson = async (path: string) => {
    const r = await api.request('GET', path);
    return r.code === 200 ? JSON.parse(r.body) : undefined;
  };
  const pdb = (name = 'web') => getJson(`/apis/policy/v1/namespaces/${NS}/poddisruptionbudgets/${name}`);
  const pods = async (): Promise<any[]> => (await getJson(`/api/v1/namespaces/${NS}/pods?labelSelector=app%3Dweb`)).items;
  const live = async () => (await pods()).filter((p) => !p.metadata.deletionTimestamp);
  const evict = (name: string, extra: Record<string, unknown> = {}, query = '') =>
    api.request('POST', `/api/v1/namespaces/${NS}/pods/${name}/eviction${query}`, { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace: NS }, ...extra });

  async function kubeletPass(): Promise<void> {
    for (const p of await pods()) {
      const path = `/api/v1/namespaces/${NS}/pods/${p.metadata.name}`;
      if (p.metadata.deletionTimestamp) {
        // the kubelet's last word on a pod it stopped: delete it for good
        if (kubelet.finalize) await api.request('DELETE', path, { kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: 0, preconditions: { uid: p.metadata.uid } });
        continue;
      }
      if (!p.spec.nodeName || !kubelet.readyOn.has(p.spec.nodeName)) continue;
      const ready = !kubelet.unready.has(p.metadata.name);
      const isReady = (p.status.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True');
      if (p.status.phase === 'Running' && isReady === ready) continue;
      const status = {
        phase: 'Running',
        conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: stamp() }],
        containerStatuses: [{ name: 'busybox', ready, restartCount: 0, image: 'busybox:1.36', imageID: '', state: { running: { startedAt: stamp() } } }],
      };
      await api.request('PATCH', `${path}/status`, { status }, 'application/merge-patch+json');
    }
  }

  before(async () => {
    s = await startServer({ args: ['--disable-controller', 'nodelifecycle'] });
    api = adminClient(s.kubeconfig, s.port);
    k(s, ['create', 'namespace', NS]);
    makeNode('n1');
    kubelet.readyOn.add('n1');
    kubeletLoop = (async () => {
      while (!kubelet.stopped) {
        await kubeletPass().catch(() => undefined);
        await sleep(200);
      }
    })();
  });
  after(async () => {
    kubelet.stopped = true;
    await kubeletLoop;
    s?.cleanup();
  });

  function makeNode(name: string): void {
    k(s, ['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name } } }));
    const status = { status: { capacity: { cpu: '4', memory: '8Gi', pods: '110' }, allocatable: { cpu: '4', memory: '8Gi', pods: '110' }, conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'fake node' }] } };
    k(s, ['patch', 'node', name, '--subresource=status', '--type=merge', '-p', JSON.stringify(status)]);
  }

  test('kubectl create pdb: status from the ready pods, kubectl get pdb columns, bad specs refused with 422', async () => {
    k(s, ['-n', NS, 'create', 'deployment', 'web', '--image=busybox:1.36', '--replicas=2']);
    assert.match(k(s, ['-n', NS, 'create', 'pdb', 'web', '--selector=app=web', '--min-available=2']), /poddisruptionbudget.policy\/web created/);
    const b = await until('budget computed over 2 ready pods', async () => {
      const o = await pdb();
      return o?.status?.currentHealthy === 2 && o;
    });
    assert.deepEqual(
      { ...b.status, conditions: undefined },
      { currentHealthy: 2, desiredHealthy: 2, expectedPods: 2, disruptionsAllowed: 0, observedGeneration: 1, conditions: undefined },
    );
    const cond = b.status.conditions.find((c: any) => c.type === 'DisruptionAllowed');
    assert.deepEqual([cond.status, cond.reason], ['False', 'InsufficientPods']);
    const table = k(s, ['-n', NS, 'get', 'pdb']).split('\n');
    assert.match(table[0], /^NAME\s+MIN AVAILABLE\s+MAX UNAVAILABLE\s+ALLOWED DISRUPTIONS\s+AGE$/);
    assert.match(table[1], /^web\s+2\s+N\/A\s+0\s+\d+s$/);

    const bad = (spec: object) => kubectl(s, ['-n', NS, 'apply', '-f', '-'], JSON.stringify({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'bad' }, spec: { selector: { matchLabels: { app: 'x' } }, ...spec } }));
    const both = bad({ minAvailable: 1, maxUnavailable: 1 });
    assert.notEqual(both.code, 0);
    assert.match(both.stderr, /is invalid: spec: Invalid value: .*minAvailable and maxUnavailable cannot be both set/);
    assert.match(bad({ maxUnavailable: '150%' }).stderr, /spec\.maxUnavailable: Invalid value: "150%": must not be greater than 100%/);
    assert.match(bad({ minAvailable: 'most' }).stderr, /spec\.minAvailable: Invalid value: "most": a valid percent string/);
  });

  test('eviction: 429 with the budget as cause while none is allowed; allowed once more pods are ready', async () => {
    const [first] = (await live()).map((p) => p.metadata.name as string).sort();
    const refused = await evict(first);
    assert.equal(refused.code, 429, refused.body);
    const st = JSON.parse(refused.body);
    assert.equal(st.reason, 'TooManyRequests');
    assert.equal(st.message, VIOLATION);
    assert.deepEqual(st.details.causes, [{ reason: 'DisruptionBudget', message: 'The disruption budget web needs 2 healthy pods and has 2 currently' }]);
    assert.equal((await getJson(`/api/v1/namespaces/${NS}/pods/${first}`)).metadata.deletionTimestamp, undefined, 'a refused eviction leaves the pod');

    // one more ready pod: one disruption allowed
    k(s, ['-n', NS, 'scale', 'deployment', 'web', '--replicas=3']);
    await until('one disruption allowed', async () => (await pdb()).status.disruptionsAllowed === 1);
    const cond = (await pdb()).status.conditions.find((c: any) => c.type === 'DisruptionAllowed');
    assert.deepEqual([cond.status, cond.reason], ['True', 'SufficientPods']);
    assert.match(k(s, ['-n', NS, 'get', 'pdb', 'web']), /web\s+2\s+N\/A\s+1\s+/);

    // dry run: allowed, nothing spent, nothing deleted
    const dry = await evict(first, {}, '?dryRun=All');
    assert.equal(dry.code, 201, dry.body);
    assert.equal((await pdb()).status.disruptionsAllowed, 1);
    assert.equal((await getJson(`/api/v1/namespaces/${NS}/pods/${first}`)).metadata.deletionTimestamp, undefined);

    kubelet.finalize = false; // hold the pod in Terminating to look at it
    kubelet.readyOn.delete('n1'); // and its replacement unready, so the budget stays spent
    const ok = await evict(first);
    assert.equal(ok.code, 201, ok.body);
    assert.equal(JSON.parse(ok.body).status, 'Success');
    const evicted = await getJson(`/api/v1/namespaces/${NS}/pods/${first}`);
    assert.ok(evicted.metadata.deletionTimestamp, 'deleted gracefully');
    const target = evicted.status.conditions.find((c: any) => c.type === 'DisruptionTarget');
    assert.deepEqual([target?.status, target?.reason, target?.message], ['True', 'EvictionByEvictionAPI', 'Eviction API: evicting']);
    const spent = await pdb();
    assert.equal(spent.status.disruptionsAllowed, 0);
    // noted in disruptedPods by the eviction, or already counted out by the controller as deleting
    assert.ok(first in (spent.status.disruptedPods ?? {}) || spent.status.currentHealthy === 2, JSON.stringify(spent.status));
    // a ready pod: the replacement may already exist, and an unready or pending pod may go without the budget (as upstream)
    const isReady = (p: any) => (p.status.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True');
    const guarded = (await live()).find((p) => isReady(p) && p.metadata.name !== first);
    assert.ok(guarded, 'two ready pods remain');
    assert.equal((await evict(guarded.metadata.name)).code, 429, 'the spent disruption is not given twice');

    kubelet.finalize = true;
    kubelet.readyOn.add('n1');
    await until('the replacement is ready and the budget allows one again', async () => {
      const o = await pdb();
      return o.status.disruptionsAllowed === 1 && o.status.currentHealthy === 3 && !o.status.disruptedPods && (await getJson(`/api/v1/namespaces/${NS}/pods/${first}`)) === undefined;
    });
  });

  test('eviction: unready pods go without spending the budget; two budgets over one pod are a 500', async () => {
    // whatever the test before left (a failure there must not fail this one too)
    kubelet.finalize = true;
    kubelet.readyOn.add('n1');
    await until('three ready pods, one disruption allowed', async () => (await pdb()).status.disruptionsAllowed === 1 && (await live()).length === 3);
    const names = (await live()).map((p) => p.metadata.name as string).sort();
    // one pod fails readiness: 2 healthy = 2 desired, nothing to spend, but the application is whole
    kubelet.unready.add(names[0]);
    await until('unready pod counted', async () => (await pdb()).status.currentHealthy === 2);
    assert.equal((await pdb()).status.disruptionsAllowed, 0);
    assert.equal((await evict(names[1])).code, 429, 'a ready pod is still guarded');
    const unhealthy = await evict(names[0]);
    assert.equal(unhealthy.code, 201, unhealthy.body);
    kubelet.unready.clear();
    await until('back to three ready', async () => (await pdb()).status.disruptionsAllowed === 1 && (await live()).length === 3);

    k(s, ['-n', NS, 'create', 'pdb', 'web-too', '--selector=app=web', '--max-unavailable=1']);
    const two = await evict(names[1]);
    assert.equal(two.code, 500, two.body);
    assert.equal(JSON.parse(two.body).message, 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.');
    k(s, ['-n', NS, 'delete', 'pdb', 'web-too']);
  });

  test('kubectl drain cordons the node and evicts as the budget allows, retrying on 429 until replacements are ready', async () => {
    kubelet.finalize = true; // whatever an earlier test left
    kubelet.readyOn.add('n1');
    await until('three ready pods on n1, one disruption allowed', async () => (await pdb()).status.disruptionsAllowed === 1 && (await live()).every((p) => p.spec.nodeName === 'n1'));
    // a second node whose kubelet does not start its containers yet: replacements land there unready
    makeNode('n2');
    const drain = spawn('kubectl', ['--kubeconfig', s.kubeconfig, 'drain', 'n1', '--ignore-daemonsets', '--delete-emptydir-data', '--timeout=100s'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    drain.stdout.on('data', (d) => (out += d));
    drain.stderr.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((r) => drain.once('exit', (c) => r(c)));
    try {
      await until('drain refused by the budget', () => out.includes(`(will retry after 5s): ${VIOLATION}`), 30_000);
      assert.match(k(s, ['get', 'node', 'n1']), /SchedulingDisabled/, 'drain cordons first');
      const onN1 = (await live()).filter((p) => p.spec.nodeName === 'n1');
      assert.equal(onN1.length, 2, 'one pod evicted, two held by the budget');
      assert.equal(drain.exitCode, null, 'drain keeps retrying');

      // n2's kubelet starts the replacements: each ready one lets the next eviction through
      kubelet.readyOn.add('n2');
      let timer: NodeJS.Timeout | undefined;
      const code = await Promise.race([exited, new Promise((r) => (timer = setTimeout(() => r('timeout'), 100_000)))]);
      clearTimeout(timer);
      assert.equal(code, 0, out);
    } finally {
      if (drain.exitCode === null) drain.kill();
    }
    assert.match(out, /node\/n1 cordoned/);
    assert.match(out, /evicting pod shop\/web-/);
    assert.match(out, /node\/n1 drained/);
    const after = await until('three ready pods on n2', async () => {
      const ps = await live();
      return ps.length === 3 && ps.every((p) => p.spec.nodeName === 'n2' && p.status.phase === 'Running') && ps;
    });
    assert.equal(after.length, 3);
    await until('budget whole again', async () => (await pdb()).status.disruptionsAllowed === 1);
  });
});
