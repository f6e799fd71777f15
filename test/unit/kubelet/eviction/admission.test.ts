// Admission under node pressure, as upstream's eviction manager admits pods.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../../../src/api/object.js';
import { isBestEffort, pressureAdmission } from '../../../../src/kubelet/eviction/admission.js';

const pod = (spec: Record<string, unknown> = {}, containers: object[] = [{ name: 'c' }]): KubeObject => ({ metadata: { name: 'p' }, spec: { containers, ...spec } });
const burstable = pod({}, [{ name: 'c', resources: { requests: { memory: '10Mi' } } }]);

test('QoS: BestEffort only without cpu and memory requests and limits anywhere', () => {
  assert.equal(isBestEffort(pod()), true);
  assert.equal(isBestEffort(pod({}, [{ name: 'c', resources: { limits: { 'ephemeral-storage': '1Gi' } } }])), true);
  assert.equal(isBestEffort(burstable), false);
  assert.equal(isBestEffort(pod({ initContainers: [{ name: 'i', resources: { limits: { cpu: '1' } } }] })), false);
});

test('memory pressure alone refuses BestEffort pods that do not tolerate it', () => {
  assert.equal(pressureAdmission(pod(), ['MemoryPressure']), 'The node had condition: [MemoryPressure]. ');
  assert.equal(pressureAdmission(burstable, ['MemoryPressure']), undefined);
  assert.equal(pressureAdmission(pod({ tolerations: [{ key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' }] }), ['MemoryPressure']), undefined);
  assert.equal(pressureAdmission(pod({ tolerations: [{ operator: 'Exists' }] }), ['MemoryPressure']), undefined);
  assert.equal(pressureAdmission(pod({ tolerations: [{ key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoExecute' }] }), ['MemoryPressure']), 'The node had condition: [MemoryPressure]. ');
});

test('any other pressure refuses every pod but critical ones; no pressure admits all', () => {
  assert.equal(pressureAdmission(burstable, ['DiskPressure']), 'The node had condition: [DiskPressure]. ');
  assert.equal(pressureAdmission(burstable, ['MemoryPressure', 'PIDPressure']), 'The node had condition: [MemoryPressure PIDPressure]. ');
  assert.equal(pressureAdmission(pod({ priority: 2_000_001_000 }), ['DiskPressure']), undefined);
  assert.equal(pressureAdmission(pod(), []), undefined);
});
