import { test } from 'node:test';
import assert from 'node:assert/strict';
import { humanDuration } from '../../../src/api/printers/duration.js';
import { printerFor, toTable } from '../../../src/api/printers/index.js';

test('human durations as upstream', () => {
  const s = 1000;
  const cases: Array<[number, string]> = [[5 * s, '5s'], [119 * s, '119s'], [150 * s, '2m30s'], [600 * s, '10m'], [3 * 3600 * s, '3h'], [3 * 3600 * s + 5 * 60 * s, '3h5m'], [49 * 3600 * s, '2d1h'], [10 * 86400 * s, '10d'], [800 * 86400 * s, '2y70d']];
  for (const [ms, want] of cases) assert.equal(humanDuration(ms), want, String(ms));
});

const now = new Date('2026-01-01T00:10:00Z');
const created = '2026-01-01T00:00:00Z';

test('pod status logic and wide columns', () => {
  const p = printerFor('', 'pods');
  const running = { metadata: { name: 'p', creationTimestamp: created }, spec: { nodeName: 'n1', containers: [{ name: 'a' }, { name: 'b' }] }, status: { phase: 'Running', podIP: '10.0.0.5', containerStatuses: [{ name: 'a', ready: true, restartCount: 2, state: { running: {} }, lastState: { terminated: { finishedAt: '2026-01-01T00:05:00Z' } } }, { name: 'b', ready: false, restartCount: 0, state: { waiting: { reason: 'CrashLoopBackOff' } } }] } };
  assert.deepEqual(p.rows(running as any, now)[0], ['p', '1/2', 'CrashLoopBackOff', '2 (5m ago)', '10m', '10.0.0.5', 'n1', '<none>', '<none>']);
  const init = { metadata: { name: 'i', creationTimestamp: created }, spec: { initContainers: [{ name: 'x' }], containers: [{ name: 'a' }] }, status: { phase: 'Pending', initContainerStatuses: [{ name: 'x', state: { running: {} } }] } };
  assert.equal(p.rows(init as any, now)[0][2], 'Init:0/1');
  const deleting = { ...running, metadata: { ...running.metadata, deletionTimestamp: created } };
  assert.equal(p.rows(deleting as any, now)[0][2], 'Terminating');
  assert.deepEqual(p.columns.filter((c) => c.priority === 1).map((c) => c.name), ['IP', 'Node', 'Nominated Node', 'Readiness Gates']);
});

test('deployment and service rows', () => {
  const d = { metadata: { name: 'web', creationTimestamp: created }, spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template: { spec: { containers: [{ name: 'c', image: 'i:1' }] } } }, status: { readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 } };
  assert.deepEqual(printerFor('apps', 'deployments').rows(d as any, now)[0], ['web', '2/3', 3, 2, '10m', 'c', 'i:1', 'app=web']);
  const s = { metadata: { name: 's', creationTimestamp: created }, spec: { type: 'NodePort', clusterIP: '10.43.0.10', ports: [{ port: 80, nodePort: 30080, protocol: 'TCP' }], selector: { app: 'web' } } };
  assert.deepEqual(printerFor('', 'services').rows(s as any, now)[0], ['s', 'NodePort', '10.43.0.10', '<none>', '80:30080/TCP', '10m', 'app=web']);
});

test('tables carry columns, rows and partial metadata', () => {
  const t: any = toTable(printerFor('', 'configmaps'), [{ metadata: { name: 'c', creationTimestamp: created }, data: { a: '1' } } as any], { includeObject: 'Metadata', apiVersionOfObjects: 'v1', kindOfObjects: 'ConfigMap', listMeta: { resourceVersion: '5' } });
  assert.equal(t.kind, 'Table');
  assert.deepEqual(t.columnDefinitions.map((c: any) => c.name), ['Name', 'Data', 'Age']);
  assert.equal(t.rows[0].cells[1], 1);
  assert.equal(t.rows[0].object.kind, 'PartialObjectMetadata');
  assert.equal(t.metadata.resourceVersion, '5');
  assert.deepEqual(printerFor('example.com', 'widgets').columns.map((c) => c.name), ['Name', 'Created At']);
});
