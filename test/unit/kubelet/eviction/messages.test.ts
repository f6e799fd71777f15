// Eviction messages word for word as upstream's, and quantities printed as
// resource.Quantity prints them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../../../src/api/object.js';
import { evictionMessage } from '../../../../src/kubelet/eviction/messages.js';
import { localStorageViolation } from '../../../../src/kubelet/eviction/local-storage.js';
import { formatBytes, formatDecimal } from '../../../../src/kubelet/eviction/quantity-format.js';
import type { PodUsage } from '../../../../src/kubelet/eviction/ranking.js';

const Mi = 1024 * 1024;
const usage = (u: Partial<PodUsage>): PodUsage => ({ containers: [], volumes: new Map(), ...u });

test('quantities: the largest binary suffix that divides exactly, decimals below 1024', () => {
  assert.equal(formatBytes(100 * Mi), '100Mi');
  assert.equal(formatBytes(51200 * 1024), '50Mi');
  assert.equal(formatBytes(1536), '1536');
  assert.equal(formatBytes(1025 * 1024), '1025Ki');
  assert.equal(formatBytes(3 * 1024 ** 3), '3Gi');
  assert.equal(formatBytes(0), '0');
  assert.equal(formatBytes(512), '512');
  assert.equal(formatDecimal(1000), '1k');
  assert.equal(formatDecimal(4096), '4096');
});

test('memory pressure: threshold, availability and the container over its request', () => {
  const pod: KubeObject = { metadata: { name: 'p' }, spec: { containers: [{ name: 'c' }, { name: 'small', resources: { requests: { memory: '64Mi' } } }] } };
  const msg = evictionMessage('memory', pod, usage({ containers: [{ name: 'c', memory: 70 * Mi }, { name: 'small', memory: 10 * Mi }] }), { quantity: 100 * Mi, available: 50 * Mi });
  assert.equal(msg, 'The node was low on resource: memory. Threshold quantity: 100Mi, available: 50Mi. Container c was using 70Mi, request is 0, has larger consumption of memory. ');
});

test('disk pressure: a container counts its writable layer and log; without stats only the node part', () => {
  const pod: KubeObject = { metadata: { name: 'p' }, spec: { containers: [{ name: 'w', resources: { requests: { 'ephemeral-storage': '1Mi' } } }] } };
  assert.equal(
    evictionMessage('ephemeral-storage', pod, usage({ containers: [{ name: 'w', rootfs: 3 * Mi, logs: 1 * Mi }] }), { quantity: 10 * 1024 * Mi, available: 9 * 1024 * Mi }),
    'The node was low on resource: ephemeral-storage. Threshold quantity: 10Gi, available: 9Gi. Container w was using 4Mi, request is 1Mi, has larger consumption of ephemeral-storage. ',
  );
  assert.equal(evictionMessage('pids', pod, undefined, { quantity: 1000, available: 20 }), 'The node was low on resource: pids. Threshold quantity: 1k, available: 20. ');
});

test('local storage: emptyDir over its sizeLimit, then the pod over its limits, then a container over its own', () => {
  const pod: KubeObject = {
    metadata: { name: 'p' },
    spec: {
      volumes: [{ name: 'scratch', emptyDir: { sizeLimit: '1Mi' } }, { name: 'free', emptyDir: {} }],
      containers: [{ name: 'a', resources: { limits: { 'ephemeral-storage': '2Mi' } } }, { name: 'b', resources: { limits: { 'ephemeral-storage': '100Mi' } } }],
    },
  };
  assert.equal(localStorageViolation(pod, usage({ volumes: new Map([['scratch', 2 * Mi], ['free', 50 * Mi]]), disk: 52 * Mi })), 'Usage of EmptyDir volume "scratch" exceeds the limit "1Mi". ');
  assert.equal(localStorageViolation(pod, usage({ volumes: new Map([['scratch', 0.5 * Mi]]), disk: 200 * Mi })), 'Pod ephemeral local storage usage exceeds the total limit of containers 102Mi. ');
  assert.equal(localStorageViolation(pod, usage({ disk: 5 * Mi, containers: [{ name: 'a', rootfs: 4 * Mi, logs: 100 }, { name: 'b', rootfs: 0, logs: 0 }] })), 'Container a exceeded its local ephemeral storage limit "2Mi". ');
  assert.equal(localStorageViolation(pod, usage({ disk: 5 * Mi, containers: [{ name: 'a', rootfs: 1 * Mi, logs: 100 }] })), undefined);
  // no limits at all: nothing to enforce
  assert.equal(localStorageViolation({ metadata: { name: 'q' }, spec: { containers: [{ name: 'a' }] } }, usage({ disk: 10 * 1024 * Mi })), undefined);
});
