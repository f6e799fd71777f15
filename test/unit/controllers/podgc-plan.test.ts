import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../../src/api/object.js';
import { planPodGc } from '../../../src/controllers/podgc/podgc-plan.js';

const pod = (name: string, o: { node?: string; phase?: string; created?: string; deleting?: boolean } = {}): KubeObject => ({
  apiVersion: 'v1', kind: 'Pod',
  metadata: { name, namespace: 'default', uid: name, creationTimestamp: o.created ?? '2026-01-01T00:00:00Z', ...(o.deleting ? { deletionTimestamp: '2026-01-01T00:01:00Z' } : {}) },
  spec: { ...(o.node ? { nodeName: o.node } : {}), containers: [] },
  status: { phase: o.phase ?? 'Running' },
});
const opts = { quarantineMs: 40_000, terminatedThreshold: 2 };

test('orphans wait out the quarantine; a node seen again is forgotten', () => {
  const missing = new Map<string, number>();
  const pods = [pod('a', { node: 'gone' }), pod('b', { node: 'here' }), pod('c', { node: 'gone' })];
  assert.equal(planPodGc(pods, new Set(['here']), missing, 1000, opts).orphanedByNode.size, 0, 'first sight starts the quarantine');
  assert.equal(missing.get('gone'), 1000);
  assert.equal(planPodGc(pods, new Set(['here']), missing, 40_999, opts).orphanedByNode.size, 0);
  const plan = planPodGc(pods, new Set(['here']), missing, 41_000, opts);
  assert.deepEqual(plan.orphanedByNode.get('gone')?.map((p) => p.metadata.name), ['a', 'c']);
  planPodGc(pods, new Set(['here', 'gone']), missing, 42_000, opts);
  assert.equal(missing.has('gone'), false, 'back in the cache: no longer a suspect');
});

test('finished pods over the threshold go oldest first; running and deleting ones do not count', () => {
  const pods = [
    pod('new', { node: 'n', phase: 'Succeeded', created: '2026-01-03T00:00:00Z' }),
    pod('old', { node: 'n', phase: 'Failed', created: '2026-01-01T00:00:00Z' }),
    pod('mid', { node: 'n', phase: 'Succeeded', created: '2026-01-02T00:00:00Z' }),
    pod('oldest-but-deleting', { node: 'n', phase: 'Failed', created: '2025-01-01T00:00:00Z', deleting: true }),
    pod('running', { node: 'n', created: '2024-01-01T00:00:00Z' }),
  ];
  assert.deepEqual(planPodGc(pods, new Set(['n']), new Map(), 0, opts).terminated.map((p) => p.metadata.name), ['old']);
  assert.deepEqual(planPodGc(pods, new Set(['n']), new Map(), 0, { ...opts, terminatedThreshold: 3 }).terminated, []);
});

test('unscheduled pods being deleted are collected; scheduled ones are the kubelet\'s', () => {
  const plan = planPodGc([pod('u', { deleting: true }), pod('s', { node: 'n', deleting: true }), pod('p')], new Set(['n']), new Map(), 0, opts);
  assert.deepEqual(plan.unscheduledTerminating.map((p) => p.metadata.name), ['u']);
});
