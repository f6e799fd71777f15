// The eviction manager's pass: one pod per pass for node pressure with grace 0
// and a DisruptionTarget condition, soft thresholds only after their grace
// period, critical pods skipped, storage-limit evictions whatever the pressure.
// The kubelet is played by in-memory functions: this is the decision logic only
// (test/e2e/eviction.test.ts runs it against real containers).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../../../src/api/object.js';
import { EvictionManager } from '../../../../src/kubelet/eviction/eviction-manager.js';
import { parseEvictionHard, type Observation, type Signal } from '../../../../src/kubelet/eviction-thresholds.js';
import { parseEvictionSoft } from '../../../../src/kubelet/eviction/soft-thresholds.js';
import type { PodUsage } from '../../../../src/kubelet/eviction/ranking.js';

const Mi = 1024 * 1024;
const mkPod = (name: string, spec: Record<string, unknown> = {}): KubeObject => ({ metadata: { name, namespace: 'default', uid: name }, spec: { terminationGracePeriodSeconds: 30, containers: [{ name: 'c' }], ...spec } });

function setup(opts: { available: number; pods: Array<{ pod: KubeObject; usage: PodUsage }>; hard?: string; soft?: [string, string]; maxGrace?: number }) {
  const observed: { memory: Observation } = { memory: { capacity: 1024 * Mi, available: opts.available } };
  const evicted: Array<{ key: string; grace: number; reason: string; message: string; conditions: Array<Record<string, unknown>> }> = [];
  const events: Array<{ kind?: string; name?: string; reason: string; message: string }> = [];
  const measured: string[] = [];
  let pods = opts.pods.map((p) => ({ key: `default/${p.pod.metadata.name}`, pod: p.pod, cgroup: '', containers: [{ name: 'c', id: p.pod.metadata.name! }], usage: p.usage }));
  const m = new EvictionManager({
    nodeName: 'n1',
    hard: parseEvictionHard(opts.hard ?? 'memory.available<100Mi'),
    soft: opts.soft ? parseEvictionSoft(...opts.soft) : [],
    maxPodGraceSeconds: opts.maxGrace,
    observe: () => ({ 'memory.available': observed.memory }) as Partial<Record<Signal, Observation>>,
    pods: () => pods,
    measure: async (p) => {
      measured.push(p.key);
      return pods.find((x) => x.key === p.key)!.usage;
    },
    evict: async (key, grace, reason, message, conditions) => {
      evicted.push({ key, grace, reason, message, conditions });
      pods = pods.filter((p) => p.key !== key);
      return true;
    },
    event: (obj, _type, reason, message) => events.push({ kind: obj.kind, name: obj.metadata.name, reason, message }),
    log: () => {},
  });
  return { m, evicted, events, observed, measured };
}
const use = (memory: number, extra: Partial<PodUsage> = {}): PodUsage => ({ memory, containers: [{ name: 'c', memory }], volumes: new Map(), ...extra });

test('memory pressure: one pod per pass, the BestEffort one over its request first, grace 0, Evicted with DisruptionTarget and events', async () => {
  const { m, evicted, events } = setup({
    available: 50 * Mi,
    pods: [
      { pod: mkPod('guaranteed', { containers: [{ name: 'c', resources: { requests: { memory: '200Mi' }, limits: { memory: '200Mi' } } }] }), usage: use(150 * Mi) },
      { pod: mkPod('hog'), usage: use(70 * Mi) },
    ],
  });
  assert.deepEqual(await m.synchronize(1000), ['default/hog']);
  assert.equal(evicted.length, 1);
  assert.equal(evicted[0]!.grace, 0);
  assert.equal(evicted[0]!.reason, 'Evicted');
  const message = 'The node was low on resource: memory. Threshold quantity: 100Mi, available: 50Mi. Container c was using 70Mi, request is 0, has larger consumption of memory. ';
  assert.equal(evicted[0]!.message, message);
  assert.deepEqual(evicted[0]!.conditions, [{ type: 'DisruptionTarget', status: 'True', reason: 'TerminationByKubelet', message }]);
  assert.deepEqual(events, [
    { kind: 'Node', name: 'n1', reason: 'EvictionThresholdMet', message: 'Attempting to reclaim memory' },
    { kind: undefined, name: 'hog', reason: 'Evicted', message },
  ]);
  // still under pressure: the next pass takes the next pod
  assert.deepEqual(await m.synchronize(2000), ['default/guaranteed']);
});

test('no pressure: nothing is evicted, and only pods with storage limits are measured', async () => {
  const { m, evicted, measured } = setup({ available: 500 * Mi, pods: [{ pod: mkPod('a'), usage: use(10 * Mi) }, { pod: mkPod('limited', { containers: [{ name: 'c', resources: { limits: { 'ephemeral-storage': '1Gi' } } }] }), usage: use(1 * Mi) }] });
  assert.deepEqual(await m.synchronize(), []);
  assert.equal(evicted.length, 0);
  assert.deepEqual(measured, ['default/limited']);
});

test('critical pods are passed over for the next in rank', async () => {
  const { m, evicted } = setup({ available: 50 * Mi, pods: [{ pod: mkPod('critical', { priority: 2_000_001_000 }), usage: use(500 * Mi) }, { pod: mkPod('plain'), usage: use(5 * Mi) }] });
  assert.deepEqual(await m.synchronize(), ['default/plain']);
  assert.deepEqual(await m.synchronize(), []);
  assert.deepEqual(evicted.map((e) => e.key), ['default/plain']);
});

test('soft thresholds evict only after their grace period, with the max pod grace period', async () => {
  const { m, evicted } = setup({ available: 300 * Mi, hard: 'memory.available<100Mi', soft: ['memory.available<400Mi', 'memory.available=30s'], maxGrace: 5, pods: [{ pod: mkPod('a'), usage: use(10 * Mi) }] });
  assert.deepEqual(await m.synchronize(0), []);
  assert.deepEqual(await m.synchronize(29_000), []);
  assert.deepEqual(await m.synchronize(30_000), ['default/a']);
  assert.equal(evicted[0]!.grace, 5);
});

test('storage limits evict whatever the node pressure, without a pressure condition', async () => {
  const { m, evicted } = setup({
    available: 900 * Mi,
    pods: [
      { pod: mkPod('filler', { volumes: [{ name: 'x', emptyDir: { sizeLimit: '1Mi' } }] }), usage: use(1 * Mi, { volumes: new Map([['x', 2 * Mi]]) }) },
      { pod: mkPod('calm', { volumes: [{ name: 'x', emptyDir: { sizeLimit: '1Mi' } }] }), usage: use(1 * Mi, { volumes: new Map([['x', 4096]]) }) },
    ],
  });
  assert.deepEqual(await m.synchronize(), ['default/filler']);
  assert.equal(evicted[0]!.message, 'Usage of EmptyDir volume "x" exceeds the limit "1Mi". ');
  assert.deepEqual(evicted[0]!.conditions, []);
});

test('disk pressure: the node reclaims (unused images) first and evicts no pod when that was enough; otherwise it goes on to evict', async () => {
  const Gi = 1024 * Mi;
  for (const reclaimFrees of [5 * Gi, 100 * Mi]) {
    const disk: Observation = { capacity: 100 * Gi, available: 5 * Gi }; // under nodefs.available<10%
    const evicted: string[] = [];
    const events: string[] = [];
    let reclaims = 0;
    const pods = [{ key: 'default/writer', pod: mkPod('writer'), cgroup: '', containers: [{ name: 'c', id: 'writer' }] }];
    const m = new EvictionManager({
      nodeName: 'n1',
      hard: parseEvictionHard('nodefs.available<10%'),
      soft: [],
      observe: () => ({ 'nodefs.available': { ...disk } }) as Partial<Record<Signal, Observation>>,
      pods: () => pods,
      measure: async () => use(0, { disk: 1 * Gi, containers: [{ name: 'c', rootfs: 1 * Gi }] }),
      evict: async (key) => {
        evicted.push(key);
        return true;
      },
      event: (_obj, _type, reason, message) => events.push(`${reason}: ${message}`),
      log: () => {},
      reclaimDisk: async () => {
        reclaims++;
        disk.available += reclaimFrees;
      },
    });
    const out = await m.synchronize(1000);
    assert.equal(reclaims, 1);
    assert.deepEqual(events[0], 'EvictionThresholdMet: Attempting to reclaim ephemeral-storage');
    if (reclaimFrees === 5 * Gi) assert.deepEqual([out, evicted], [[], []], 'reclaim brought it back over 10%: no pod evicted');
    else assert.deepEqual([out, evicted], [['default/writer'], ['default/writer']], 'still under 10% after reclaim: a pod goes');
  }
});
