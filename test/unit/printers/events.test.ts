import { test } from 'node:test';
import assert from 'node:assert/strict';
import { printerFor } from '../../../src/api/printers/index.js';
import { coreEventToEventsV1 } from '../../../src/api/conversion/events.js';
import { MIN, SEC, ago, now, obj, type Any } from './fixtures.js';

const core = printerFor('', 'events');
const v1 = printerFor('events.k8s.io', 'events');
const row = (o: Any) => core.rows(o as never, now)[0];

const pulled = obj('web-1.17f2a', {
  involvedObject: {
    kind: 'Pod',
    namespace: 'default',
    name: 'web-1',
    uid: 'u1',
    apiVersion: 'v1',
    fieldPath: 'spec.containers{app}',
  },
  reason: 'Pulled',
  message: 'Container image "nginx:1.27" already present on machine\n',
  source: { component: 'kubelet', host: 'node-1' },
  firstTimestamp: ago(5 * MIN),
  lastTimestamp: ago(1 * MIN),
  count: 3,
  type: 'Normal',
  reportingComponent: 'kubelet',
  reportingInstance: 'node-1',
});

test('events: LAST SEEN TYPE REASON OBJECT MESSAGE, wide SUBOBJECT SOURCE FIRST SEEN COUNT NAME, in upstream order', () => {
  assert.deepEqual(
    core.columns.map((c) => `${c.name}:${c.priority}`),
    [
      'Last Seen:0',
      'Type:0',
      'Reason:0',
      'Object:0',
      'Subobject:1',
      'Source:1',
      'Message:0',
      'First Seen:1',
      'Count:1',
      'Name:1',
    ],
  );
  assert.equal(core.columns.at(-1)?.format, 'name');
  assert.deepEqual(row(pulled), [
    '60s',
    'Normal',
    'Pulled',
    'pod/web-1',
    'spec.containers{app}',
    'kubelet, node-1',
    'Container image "nginx:1.27" already present on machine',
    '5m',
    3,
    'web-1.17f2a',
  ]);
});

test('new-style events: eventTime, series, reporting controller, singleton count', () => {
  const e = obj('web.1', {
    involvedObject: { kind: 'Deployment', name: 'web', namespace: 'default' },
    reason: 'ScalingReplicaSet',
    message: 'Scaled up replica set web-5d9c7 to 3',
    eventTime: new Date(now.getTime() - 90 * SEC).toISOString().replace('Z', '123Z'),
    reportingComponent: 'deployment-controller',
    reportingInstance: '',
    type: 'Normal',
  });
  assert.deepEqual(row(e), [
    '90s',
    'Normal',
    'ScalingReplicaSet',
    'deployment/web',
    '',
    'deployment-controller',
    'Scaled up replica set web-5d9c7 to 3',
    '90s',
    1,
    'web.1',
  ]);
  const series = obj('probe.1', {
    involvedObject: { kind: 'Pod', name: 'p' },
    reason: 'Unhealthy',
    type: 'Warning',
    eventTime: ago(20 * MIN),
    series: { count: 12, lastObservedTime: ago(10 * SEC) },
  });
  assert.deepEqual([row(series)[0], row(series)[7], row(series)[8]], ['10s', '20m', 12]);
  const noTimes = obj('x', { involvedObject: { kind: 'Node' }, reason: 'Starting' });
  assert.deepEqual(
    [row(noTimes)[0], row(noTimes)[3], row(noTimes)[7]],
    ['<unknown>', 'node', '<unknown>'],
  );
});

test('events.k8s.io events print the same row as their core form', () => {
  const asV1 = coreEventToEventsV1(pulled);
  assert.equal((asV1 as Any).note, pulled.message);
  assert.deepEqual(v1.rows(asV1, now)[0], row(pulled));
  assert.deepEqual(v1.columns, core.columns);
});
