// Eviction ranking as upstream's: over-request pods first, then by priority,
// then by use above request; critical pods recognised; pod requests summed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../../../src/api/object.js';
import { isCriticalPod, podRequest, rankForEviction, type Candidate, type PodUsage } from '../../../../src/kubelet/eviction/ranking.js';

const Mi = 1024 * 1024;
const pod = (name: string, opts: { memReq?: string; memLim?: string; diskReq?: string; priority?: number; annotations?: Record<string, string> } = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default', uid: name, annotations: opts.annotations },
  spec: {
    ...(opts.priority !== undefined ? { priority: opts.priority } : {}),
    containers: [{ name: 'c', image: 'busybox', resources: { requests: { ...(opts.memReq ? { memory: opts.memReq } : {}), ...(opts.diskReq ? { 'ephemeral-storage': opts.diskReq } : {}) }, limits: opts.memLim ? { memory: opts.memLim } : {} } }],
  },
});
const usage = (u: Partial<PodUsage>): PodUsage => ({ containers: [], volumes: new Map(), ...u });
const names = (list: Candidate[]) => list.map((c) => c.pod.metadata.name);

test('memory: a BestEffort pod over its (zero) request goes before a Guaranteed pod using more but within its request', () => {
  const ranked = rankForEviction('memory.available', [
    { pod: pod('guaranteed', { memReq: '200Mi', memLim: '200Mi' }), usage: usage({ memory: 150 * Mi }) },
    { pod: pod('besteffort'), usage: usage({ memory: 60 * Mi }) },
  ]);
  assert.deepEqual(names(ranked), ['besteffort', 'guaranteed']);
});

test('memory: among pods over their requests, lower priority first, then the most used above request', () => {
  const ranked = rankForEviction('memory.available', [
    { pod: pod('big-high', { priority: 1000 }), usage: usage({ memory: 500 * Mi }) },
    { pod: pod('small'), usage: usage({ memory: 20 * Mi }) },
    { pod: pod('burstable', { memReq: '100Mi' }), usage: usage({ memory: 150 * Mi }) },
    { pod: pod('within', { memReq: '100Mi' }), usage: usage({ memory: 90 * Mi }) },
  ]);
  // burstable is 50Mi above its request, small 20Mi: burstable first; big-high has the higher priority
  assert.deepEqual(names(ranked), ['burstable', 'small', 'big-high', 'within']);
});

test('a pod without stats goes first, as upstream', () => {
  const ranked = rankForEviction('memory.available', [{ pod: pod('measured'), usage: usage({ memory: 10 * Mi }) }, { pod: pod('unmeasured') }]);
  assert.deepEqual(names(ranked), ['unmeasured', 'measured']);
});

test('disk: by ephemeral storage over request, priority, then use above request', () => {
  const ranked = rankForEviction('nodefs.available', [
    { pod: pod('within', { diskReq: '1Gi' }), usage: usage({ disk: 500 * Mi }) },
    { pod: pod('writer'), usage: usage({ disk: 300 * Mi }) },
    { pod: pod('quiet'), usage: usage({ disk: 1 * Mi }) },
  ]);
  assert.deepEqual(names(ranked), ['writer', 'quiet', 'within']);
});

test('PIDs: by priority, then process count', () => {
  const ranked = rankForEviction('pid.available', [
    { pod: pod('few'), usage: usage({ processes: 2 }) },
    { pod: pod('many-high', { priority: 10 }), usage: usage({ processes: 900 }) },
    { pod: pod('many'), usage: usage({ processes: 300 }) },
  ]);
  assert.deepEqual(names(ranked), ['many', 'few', 'many-high']);
});

test('critical pods: system priorities, static and mirror pods', () => {
  assert.equal(isCriticalPod(pod('node-critical', { priority: 2_000_001_000 })), true);
  assert.equal(isCriticalPod(pod('cluster-critical', { priority: 2_000_000_000 })), true);
  assert.equal(isCriticalPod(pod('high', { priority: 1_000_000_000 })), false);
  assert.equal(isCriticalPod(pod('static', { annotations: { 'kubernetes.io/config.source': 'file' } })), true);
  assert.equal(isCriticalPod(pod('mirror', { annotations: { 'kubernetes.io/config.mirror': 'abc' } })), true);
  assert.equal(isCriticalPod(pod('plain')), false);
});

test('pod requests: containers summed, a larger init container wins, a limit stands in for a missing request', () => {
  const p: KubeObject = { metadata: { name: 'p' }, spec: { containers: [{ name: 'a', resources: { requests: { memory: '100Mi' } } }, { name: 'b', resources: { limits: { memory: '50Mi' } } }], initContainers: [{ name: 'i', resources: { requests: { memory: '120Mi' } } }] } };
  assert.equal(podRequest(p, 'memory'), 150 * Mi);
  const q: KubeObject = { metadata: { name: 'q' }, spec: { containers: [{ name: 'a' }], initContainers: [{ name: 'i', resources: { requests: { memory: '1Gi' } } }] } };
  assert.equal(podRequest(q, 'memory'), 1024 * Mi);
});
