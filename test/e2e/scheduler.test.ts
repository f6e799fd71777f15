// The scheduler inside `skiff server`, driven by the real kubectl. No agents run:
// the scheduler needs only Node objects, so each scenario creates fake Nodes
// (Ready set through the status subresource) and watches where pods are bound.
// Where a kubelet would finish a graceful deletion, the test force-deletes.
import { spawnSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ALL_CONTROLLERS } from '../../src/controllers/manager.js';
import { k, kubectl, startServer, type ServerHandle, until } from './harness.js';

type Obj = Record<string, any>;

const ONLY_SCHEDULER = ALL_CONTROLLERS.filter((c) => c !== 'scheduler').flatMap((c) => ['--disable-controller', c]);


function makeNodes(s: ServerHandle, nodes: Array<{ name: string; labels?: Record<string, string>; cpu?: string }>): void {
  const items = nodes.map((n) => ({ apiVersion: 'v1', kind: 'Node', metadata: { name: n.name, labels: { 'kubernetes.io/hostname': n.name, ...n.labels } } }));
  // a stream of documents: kind List would send kubectl to OpenAPI v2 for validation
  k(s, ['apply', '-f', '-'], items.map((i) => JSON.stringify(i)).join('\n'));
  for (const n of nodes) {
    const status = { status: { capacity: { cpu: n.cpu ?? '4', memory: '8Gi', pods: '110' }, allocatable: { cpu: n.cpu ?? '4', memory: '8Gi', pods: '110' }, conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'fake node' }] } };
    k(s, ['patch', 'node', n.name, '--subresource=status', '--type=merge', '-p', JSON.stringify(status)]);
  }
}

function podJson(name: string, spec: Obj = {}, labels: Record<string, string> = {}, cpu?: string): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels },
    spec: { terminationGracePeriodSeconds: 30, containers: [{ name: 'c', image: 'busybox', resources: cpu ? { requests: { cpu } } : {} }], ...spec },
  });
}

function getPod(s: ServerHandle, ns: string, name: string): Obj | undefined {
  const r = kubectl(s, ['-n', ns, 'get', 'pod', name, '-o', 'json']);
  return r.code === 0 ? JSON.parse(r.stdout) : undefined;
}

function nodeOf(s: ServerHandle, ns: string, name: string): string | undefined {
  return getPod(s, ns, name)?.spec.nodeName;
}

function failedScheduling(s: ServerHandle, ns: string, pod: string): string | undefined {
  const events = JSON.parse(k(s, ['-n', ns, 'get', 'events', '--field-selector', `involvedObject.name=${pod},reason=FailedScheduling`, '-o', 'json'])).items as Obj[];
  return events.at(-1)?.message;
}

function cleanup(s: ServerHandle, ns: string, nodes: string[]): void {
  k(s, ['-n', ns, 'delete', 'pods', '--all', '--grace-period=0', '--force']);
  k(s, ['delete', 'node', ...nodes]);
}

describe('scheduler (fake nodes, no agents)', () => {
  let s: ServerHandle;
  before(async () => {
    s = await startServer({ args: ONLY_SCHEDULER });
  });
  after(() => s?.cleanup());

  test('with no nodes at all the pod waits with upstream\'s message', async () => {
    k(s, ['create', 'namespace', 'empty']);
    k(s, ['-n', 'empty', 'apply', '-f', '-'], podJson('lonely'));
    assert.equal(await until('FailedScheduling for lonely', () => failedScheduling(s, 'empty', 'lonely')), 'no nodes available to schedule pods');
    k(s, ['-n', 'empty', 'delete', 'pod', 'lonely']);
  });

  test('required anti-affinity spreads pods one per node; the one too many gets FailedScheduling as upstream words it', async () => {
    k(s, ['create', 'namespace', 'anti']);
    makeNodes(s, [{ name: 'anti-1' }, { name: 'anti-2' }, { name: 'anti-3' }]);
    const spec = { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { app: 'web' } } }] } } };
    for (let i = 1; i <= 4; i++) k(s, ['-n', 'anti', 'apply', '-f', '-'], podJson(`web-${i}`, spec, { app: 'web' }));
    const placed = await until('three pods bound', () => {
      const nodes = [1, 2, 3, 4].map((i) => nodeOf(s, 'anti', `web-${i}`)).filter(Boolean);
      return nodes.length === 3 && nodes;
    });
    assert.equal(new Set(placed).size, 3, `one per node: ${placed}`);
    const pending = [1, 2, 3, 4].find((i) => !nodeOf(s, 'anti', `web-${i}`))!;
    const msg = await until('FailedScheduling event', () => failedScheduling(s, 'anti', `web-${pending}`));
    assert.equal(msg, "0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.");
    const cond = (getPod(s, 'anti', `web-${pending}`)!.status.conditions as Obj[]).find((c) => c.type === 'PodScheduled');
    assert.equal(cond?.status, 'False');
    assert.equal(cond?.reason, 'Unschedulable');
    // a fourth node lets it go there
    makeNodes(s, [{ name: 'anti-4' }]);
    await until('the fourth pod bound to the new node', () => nodeOf(s, 'anti', `web-${pending}`) === 'anti-4');
    cleanup(s, 'anti', ['anti-1', 'anti-2', 'anti-3', 'anti-4']);
  });

  test('required pod affinity: the pod waits for its partner and follows it once that is placed', async () => {
    k(s, ['create', 'namespace', 'aff']);
    makeNodes(s, [{ name: 'aff-1', labels: { zone: 'a' } }, { name: 'aff-2', labels: { zone: 'b' } }]);
    const spec = { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'zone', labelSelector: { matchLabels: { app: 'cache' } } }] } } };
    k(s, ['-n', 'aff', 'apply', '-f', '-'], podJson('follower', spec));
    const msg = await until('FailedScheduling for follower', () => failedScheduling(s, 'aff', 'follower'));
    assert.match(msg, /^0\/2 nodes are available: 2 node\(s\) didn't match pod affinity rules\./);
    k(s, ['-n', 'aff', 'apply', '-f', '-'], podJson('cache', { nodeSelector: { zone: 'b' } }, { app: 'cache' }));
    // well within upstream's 5-minute retry of waiting pods: the placement itself moves it
    await until('follower in zone b', () => nodeOf(s, 'aff', 'follower') === 'aff-2', 15_000);
    cleanup(s, 'aff', ['aff-1', 'aff-2']);
  });

  test('topology spread DoNotSchedule keeps the zone skew within maxSkew', async () => {
    k(s, ['create', 'namespace', 'spread']);
    makeNodes(s, [
      { name: 'za-1', labels: { zone: 'a' } },
      { name: 'za-2', labels: { zone: 'a' } },
      { name: 'zb-1', labels: { zone: 'b' } },
    ]);
    // two pods already in zone a (placed directly, as a kubelet-less pre-state)
    for (const [name, node] of [['pre-1', 'za-1'], ['pre-2', 'za-2']]) k(s, ['-n', 'spread', 'apply', '-f', '-'], podJson(name, { nodeName: node }, { app: 'db' }));
    const constraint = (extra: Obj = {}) => ({ topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'db' } }, ...extra }] });
    k(s, ['-n', 'spread', 'apply', '-f', '-'], podJson('db-1', constraint(), { app: 'db' }));
    k(s, ['-n', 'spread', 'apply', '-f', '-'], podJson('db-2', constraint(), { app: 'db' }));
    await until('both in zone b', () => nodeOf(s, 'spread', 'db-1') === 'zb-1' && nodeOf(s, 'spread', 'db-2') === 'zb-1');
    // now a=2, b=2; one pinned to zone a with b counted (Ignore) fits at skew 1, a second would not
    k(s, ['-n', 'spread', 'apply', '-f', '-'], podJson('db-3', { ...constraint({ nodeAffinityPolicy: 'Ignore' }), nodeSelector: { zone: 'a' } }, { app: 'db' }));
    await until('db-3 in zone a', () => nodeOf(s, 'spread', 'db-3')?.startsWith('za-'));
    k(s, ['-n', 'spread', 'apply', '-f', '-'], podJson('db-4', { ...constraint({ nodeAffinityPolicy: 'Ignore' }), nodeSelector: { zone: 'a' } }, { app: 'db' }));
    const msg = await until('FailedScheduling for db-4', () => failedScheduling(s, 'spread', 'db-4'));
    assert.equal(
      msg,
      "0/3 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 2 node(s) didn't match pod topology spread constraints. preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.",
    );
    assert.equal(nodeOf(s, 'spread', 'db-4'), undefined);
    cleanup(s, 'spread', ['za-1', 'za-2', 'zb-1']);
  });

  test('priority classes resolve at admission; a high-priority pod preempts a low one, is nominated, and binds once the victim is gone', async () => {
    k(s, ['create', 'namespace', 'prio']);
    assert.match(k(s, ['get', 'priorityclass', 'system-node-critical', 'system-cluster-critical', '-o', 'name']), /system-node-critical[\s\S]*system-cluster-critical/);
    k(s, ['create', 'priorityclass', 'low', '--value=10']);
    k(s, ['create', 'priorityclass', 'high', '--value=1000']);
    k(s, ['create', 'priorityclass', 'polite', '--value=2000', '--preemption-policy=Never']);
    const unknown = kubectl(s, ['-n', 'prio', 'apply', '-f', '-'], podJson('nope', { priorityClassName: 'missing' }));
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.stderr, /Forbidden.*no PriorityClass with name missing was found/);
    const forged = kubectl(s, ['-n', 'prio', 'apply', '-f', '-'], podJson('forged', { priorityClassName: 'low', priority: 5 }));
    assert.match(forged.stderr, /the integer value of priority \(5\) must not be provided in pod spec; priority admission controller computed 10/);

    makeNodes(s, [{ name: 'small', cpu: '1' }]);
    k(s, ['-n', 'prio', 'apply', '-f', '-'], podJson('victim', { priorityClassName: 'low' }, {}, '800m'));
    await until('victim bound', () => nodeOf(s, 'prio', 'victim') === 'small');
    assert.equal(getPod(s, 'prio', 'victim')!.spec.priority, 10);

    // preemptionPolicy Never: it waits rather than evicting
    k(s, ['-n', 'prio', 'apply', '-f', '-'], podJson('waiter', { priorityClassName: 'polite' }, {}, '800m'));
    const never = await until('FailedScheduling for waiter', () => failedScheduling(s, 'prio', 'waiter'));
    assert.equal(never, '0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never.');
    k(s, ['-n', 'prio', 'delete', 'pod', 'waiter', '--grace-period=0', '--force']);

    k(s, ['-n', 'prio', 'apply', '-f', '-'], podJson('boss', { priorityClassName: 'high' }, {}, '800m'));
    assert.equal(getPod(s, 'prio', 'boss')!.spec.priority, 1000);
    const victim = await until('victim terminating', () => {
      const v = getPod(s, 'prio', 'victim');
      return v?.metadata.deletionTimestamp && v;
    });
    const dt = (victim.status.conditions as Obj[]).find((c) => c.type === 'DisruptionTarget');
    assert.equal(dt?.reason, 'PreemptionByScheduler');
    const boss = await until('boss nominated', () => {
      const b = getPod(s, 'prio', 'boss');
      return b?.status.nominatedNodeName && b;
    });
    assert.equal(boss.status.nominatedNodeName, 'small');
    assert.equal(boss.spec.nodeName, undefined, 'not bound while the victim still holds the cpu');
    const preempted = JSON.parse(k(s, ['-n', 'prio', 'get', 'events', '--field-selector', 'involvedObject.name=victim,reason=Preempted', '-o', 'json'])).items as Obj[];
    assert.equal(preempted[0]?.message, `Preempted by pod ${boss.metadata.uid} on node small`);
    // the kubelet's part: the victim's containers are gone
    k(s, ['-n', 'prio', 'delete', 'pod', 'victim', '--grace-period=0', '--force']);
    await until('boss bound to small', () => nodeOf(s, 'prio', 'boss') === 'small');
    // a global default class gives pods without a class its value
    k(s, ['create', 'priorityclass', 'everyone', '--value=7', '--global-default']);
    await until('the default applies', () => {
      kubectl(s, ['-n', 'prio', 'delete', 'pod', 'plain', '--ignore-not-found', '--grace-period=0', '--force']);
      k(s, ['-n', 'prio', 'apply', '-f', '-'], podJson('plain'));
      const p = getPod(s, 'prio', 'plain')!;
      return p.spec.priority === 7 && p.spec.priorityClassName === 'everyone';
    }, 5000);
    k(s, ['delete', 'priorityclass', 'everyone']);
    cleanup(s, 'prio', ['small']);
  });
});

describe('scheduler scoring flag', () => {
  test('--scheduler-score=MostAllocated packs pods onto the busier node; a bad value is refused', async () => {
    const bad = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'server', '--scheduler-score=Random'], { cwd: new URL('../../', import.meta.url).pathname, encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--scheduler-score must be LeastAllocated or MostAllocated, got Random/);
    const m = await startServer({ args: [...ONLY_SCHEDULER, '--scheduler-score=MostAllocated'] });
    try {
      makeNodes(m, [{ name: 'busy' }, { name: 'idle' }]);
      k(m, ['apply', '-f', '-'], podJson('first', { nodeName: 'busy' }, {}, '1'));
      for (let i = 1; i <= 3; i++) k(m, ['apply', '-f', '-'], podJson(`packed-${i}`, {}, {}, '500m'));
      await until('all packed onto busy', () => [1, 2, 3].every((i) => nodeOf(m, 'default', `packed-${i}`) === 'busy'));
    } finally {
      m.cleanup();
    }
  });
});
