import { test } from 'node:test';
import assert from 'node:assert/strict';
import { printerFor } from '../../../src/api/printers/index.js';
import { formatHpaMetrics } from '../../../src/api/printers/autoscaling.js';
import { now, obj, type Any } from './fixtures.js';

const row = (group: string, plural: string, o: Any) =>
  printerFor(group, plural).rows(o as never, now)[0];

test('pod disruption budgets: min available, max unavailable, allowed disruptions', () => {
  assert.deepEqual(
    row(
      'policy',
      'poddisruptionbudgets',
      obj('web', { spec: { minAvailable: 2 }, status: { disruptionsAllowed: 1 } }),
    ),
    ['web', '2', 'N/A', 1, '10m'],
  );
  assert.deepEqual(
    row(
      'policy',
      'poddisruptionbudgets',
      obj('db', { spec: { maxUnavailable: '25%' }, status: {} }),
    ).slice(1, 4),
    ['N/A', '25%', 0],
  );
});

test('resource quotas: used/hard per resource, limits.* in LIMIT', () => {
  const rq = obj('compute', {
    spec: { hard: { 'requests.cpu': '2', pods: '10' } },
    status: {
      hard: {
        pods: '10',
        'requests.cpu': '2',
        'requests.memory': '2048Mi',
        'limits.cpu': '4',
        'limits.memory': '4Gi',
        'count/deployments.apps': '5',
      },
      used: { pods: '3', 'requests.cpu': '1500m', 'requests.memory': '1Gi', 'limits.cpu': '3000m' },
    },
  });
  assert.deepEqual(row('', 'resourcequotas', rq), [
    'compute',
    'count/deployments.apps: 0/5, pods: 3/10, requests.cpu: 1500m/2, requests.memory: 1Gi/2Gi',
    'limits.cpu: 3/4, limits.memory: 0/4Gi',
    '10m',
  ]);
  assert.deepEqual(
    row('', 'resourcequotas', obj('new', { spec: { hard: { pods: '1' } } })).slice(1, 3),
    ['', ''],
    'status.hard not yet set',
  );
  assert.deepEqual(
    printerFor('', 'resourcequotas').columns.map((c) => c.name),
    ['Name', 'Request', 'Limit', 'Age'],
  );
});

test('HPA targets as upstream formats every metric kind', () => {
  const specs = [
    {
      type: 'Resource',
      resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } },
    },
    {
      type: 'Resource',
      resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '1024Mi' } },
    },
  ];
  assert.equal(formatHpaMetrics(specs, []), 'cpu: <unknown>/80%, memory: <unknown>/1Gi');
  assert.equal(
    formatHpaMetrics(specs, [
      {
        type: 'Resource',
        resource: { name: 'cpu', current: { averageUtilization: 35, averageValue: '120m' } },
      },
      { type: 'Resource', resource: { name: 'memory', current: { averageValue: '512Mi' } } },
    ]),
    'cpu: 35%/80%, memory: 512Mi/1Gi',
  );
  assert.equal(formatHpaMetrics([], []), '<none>');
  const others = [
    {
      type: 'Pods',
      pods: { metric: { name: 'rps' }, target: { type: 'AverageValue', averageValue: '100' } },
    },
    {
      type: 'Object',
      object: { metric: { name: 'hits' }, target: { type: 'Value', value: '2k' } },
    },
    {
      type: 'External',
      external: { metric: { name: 'queue' }, target: { type: 'AverageValue', averageValue: '30' } },
    },
  ];
  assert.equal(
    formatHpaMetrics(others, [{ type: 'Pods', pods: { current: { averageValue: '250m' } } }]),
    '250m/100, <unknown>/2k + 1 more...',
  );
  assert.equal(formatHpaMetrics(others.slice(2), []), '<unknown>/30 (avg)');
  assert.equal(
    formatHpaMetrics(
      [
        {
          type: 'ContainerResource',
          containerResource: { name: 'cpu', container: 'app', target: { type: 'Utilization' } },
        },
      ],
      [],
    ),
    'cpu: <unknown>/<auto>',
  );
  assert.equal(formatHpaMetrics([{ type: 'Something' }], []), '<unknown type>');
});

test('horizontal pod autoscalers: reference, targets, min/max pods, replicas', () => {
  const hpa = obj('web', {
    apiVersion: 'autoscaling/v2',
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
      minReplicas: 2,
      maxReplicas: 10,
      metrics: [
        {
          type: 'Resource',
          resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } },
        },
      ],
    },
    status: {
      currentReplicas: 3,
      desiredReplicas: 3,
      currentMetrics: [
        { type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 42 } } },
      ],
    },
  });
  assert.deepEqual(row('autoscaling', 'horizontalpodautoscalers', hpa), [
    'web',
    'Deployment/web',
    'cpu: 42%/50%',
    '2',
    10,
    3,
    '10m',
  ]);
  const v1 = obj('web', {
    apiVersion: 'autoscaling/v1',
    spec: {
      scaleTargetRef: { kind: 'Deployment', name: 'web' },
      maxReplicas: 4,
      targetCPUUtilizationPercentage: 70,
    },
    status: { currentReplicas: 1, desiredReplicas: 1, currentCPUUtilizationPercentage: 12 },
  });
  assert.deepEqual(row('autoscaling', 'horizontalpodautoscalers', v1), [
    'web',
    'Deployment/web',
    'cpu: 12%/70%',
    '<unset>',
    4,
    1,
    '10m',
  ]);
});

test('role bindings: ROLE, then users, groups and service accounts', () => {
  const rb = obj('edit', {
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' },
    subjects: [
      { kind: 'User', name: 'alice' },
      { kind: 'Group', name: 'devs' },
      { kind: 'ServiceAccount', name: 'ci', namespace: 'build' },
      { kind: 'User', name: 'bob' },
    ],
  });
  assert.deepEqual(row('rbac.authorization.k8s.io', 'rolebindings', rb), [
    'edit',
    'ClusterRole/edit',
    '10m',
    'alice, bob',
    'devs',
    'build/ci',
  ]);
  assert.deepEqual(
    row(
      'rbac.authorization.k8s.io',
      'clusterrolebindings',
      obj('none', { roleRef: { kind: 'ClusterRole', name: 'view' } }),
    ),
    ['none', 'ClusterRole/view', '10m', '', '', ''],
  );
  assert.equal(
    printerFor('rbac.authorization.k8s.io', 'clusterrolebindings').columns[3].description,
    'Users in the clusterRoleBinding',
  );
});

test('roles, cluster roles and limit ranges print NAME and CREATED AT as upstream’s default convertor', () => {
  for (const [group, plural] of [
    ['rbac.authorization.k8s.io', 'roles'],
    ['rbac.authorization.k8s.io', 'clusterroles'],
    ['', 'limitranges'],
    ['example.com', 'widgets'],
  ]) {
    const p = printerFor(group, plural);
    assert.deepEqual(
      p.columns.map((c) => [c.name, c.type, c.format, c.priority]),
      [
        ['Name', 'string', 'name', 0],
        ['Created At', 'date', '', 0],
      ],
      plural,
    );
    assert.deepEqual(
      p.rows(obj('admin', {}, { creationTimestamp: '2024-05-06T07:08:09Z' }), now)[0],
      ['admin', '2024-05-06T07:08:09Z'],
    );
  }
  const p = printerFor('', 'limitranges');
  assert.deepEqual(
    p.rows(obj('x', {}, { creationTimestamp: '2024-05-06T09:08:09.250+02:00' }), now)[0],
    ['x', '2024-05-06T07:08:09Z'],
  );
  assert.deepEqual(p.rows(obj('x', {}, { creationTimestamp: undefined }), now)[0], [
    'x',
    '0001-01-01T00:00:00Z',
  ]);
});
