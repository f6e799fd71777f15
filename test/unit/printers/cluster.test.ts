import { test } from 'node:test';
import assert from 'node:assert/strict';
import { printerFor } from '../../../src/api/printers/index.js';
import { DAY, now, obj, type Any } from './fixtures.js';

const row = (group: string, plural: string, o: Any) =>
  printerFor(group, plural).rows(o as never, now)[0];

test('namespaces: STATUS is the phase', () => {
  assert.deepEqual(row('', 'namespaces', obj('kube-system', { status: { phase: 'Active' } })), [
    'kube-system',
    'Active',
    '10m',
  ]);
  assert.equal(
    row('', 'namespaces', obj('old', { status: { phase: 'Terminating' } }))[1],
    'Terminating',
  );
});

function node(labels: Any, spec: Any, status: Any) {
  return obj(
    'node-1',
    { spec, status },
    {
      labels,
      namespace: undefined,
      creationTimestamp: new Date(now.getTime() - 40 * DAY).toISOString(),
    },
  );
}

const nodeInfo = {
  kubeletVersion: 'v1.32.0-skiff',
  osImage: 'Debian GNU/Linux 12 (bookworm)',
  kernelVersion: '6.18.0',
  containerRuntimeVersion: 'runc://1.1.5',
};

test('nodes: Ready status, roles, version and the wide columns', () => {
  const n = node(
    {
      'node-role.kubernetes.io/control-plane': '',
      'node-role.kubernetes.io/master': 'true',
      'kubernetes.io/hostname': 'node-1',
    },
    {},
    {
      conditions: [
        { type: 'MemoryPressure', status: 'False' },
        { type: 'Ready', status: 'True' },
      ],
      addresses: [
        { type: 'Hostname', address: 'node-1' },
        { type: 'InternalIP', address: '10.0.0.11' },
        { type: 'InternalIP', address: 'fd00::11' },
      ],
      nodeInfo,
    },
  );
  assert.deepEqual(row('', 'nodes', n), [
    'node-1',
    'Ready',
    'control-plane,master',
    '40d',
    'v1.32.0-skiff',
    '10.0.0.11',
    '<none>',
    'Debian GNU/Linux 12 (bookworm)',
    '6.18.0',
    'runc://1.1.5',
  ]);
});

test('node status: NotReady, Unknown, SchedulingDisabled', () => {
  assert.equal(
    row(
      '',
      'nodes',
      node({}, { unschedulable: true }, { conditions: [{ type: 'Ready', status: 'True' }] }),
    )[1],
    'Ready,SchedulingDisabled',
  );
  assert.equal(
    row('', 'nodes', node({}, {}, { conditions: [{ type: 'Ready', status: 'False' }] }))[1],
    'NotReady',
  );
  assert.equal(
    row('', 'nodes', node({}, {}, { conditions: [{ type: 'Ready', status: 'Unknown' }] }))[1],
    'NotReady',
  );
  assert.equal(
    row('', 'nodes', node({}, { unschedulable: true }, {}))[1],
    'Unknown,SchedulingDisabled',
  );
  const bare = row(
    '',
    'nodes',
    node({ 'kubernetes.io/role': 'worker', 'node-role.kubernetes.io/': '' }, {}, {}),
  );
  assert.deepEqual(bare.slice(2, 3), ['worker']);
  assert.deepEqual(bare.slice(4), ['', '<none>', '<none>', '<unknown>', '<unknown>', '<unknown>']);
  assert.equal(
    row(
      '',
      'nodes',
      node({}, {}, { addresses: [{ type: 'ExternalIP', address: '203.0.113.4' }] }),
    )[6],
    '203.0.113.4',
  );
  assert.equal(row('', 'nodes', node({}, {}, {}))[2], '<none>');
});

test('leases: HOLDER', () => {
  assert.deepEqual(
    row(
      'coordination.k8s.io',
      'leases',
      obj('node-1', { spec: { holderIdentity: 'node-1', leaseDurationSeconds: 40 } }),
    ),
    ['node-1', 'node-1', '10m'],
  );
  assert.equal(row('coordination.k8s.io', 'leases', obj('free', { spec: {} }))[1], '');
});

test('priority classes: value, global default, preemption policy', () => {
  const pc = obj('system-node-critical', {
    value: 2000001000,
    globalDefault: false,
    preemptionPolicy: 'PreemptLowerPriority',
  });
  assert.deepEqual(row('scheduling.k8s.io', 'priorityclasses', pc), [
    'system-node-critical',
    2000001000,
    false,
    '10m',
    'PreemptLowerPriority',
  ]);
  assert.deepEqual(
    row('scheduling.k8s.io', 'priorityclasses', obj('d', { value: 10, globalDefault: true })).slice(
      1,
      3,
    ),
    [10, true],
  );
  assert.deepEqual(
    printerFor('scheduling.k8s.io', 'priorityclasses').columns.map(
      (c) => `${c.name}:${c.type}:${c.priority}`,
    ),
    [
      'Name:string:0',
      'Value:integer:0',
      'Global-Default:boolean:0',
      'Age:string:0',
      'PreemptionPolicy:string:1',
    ],
  );
});
