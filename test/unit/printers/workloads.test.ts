import { test } from 'node:test';
import assert from 'node:assert/strict';
import { printerFor } from '../../../src/api/printers/index.js';
import { HOUR, MIN, SEC, ago, now, obj, type Any } from './fixtures.js';

const row = (group: string, plural: string, o: Any) =>
  printerFor(group, plural).rows(o as never, now)[0];
const template = {
  metadata: { labels: { app: 'web' } },
  spec: {
    containers: [
      { name: 'nginx', image: 'nginx:1.27' },
      { name: 'exporter', image: 'nginx-exporter:1.1' },
    ],
  },
};
const selector = {
  matchLabels: { app: 'web', tier: 'front' },
  matchExpressions: [
    { key: 'env', operator: 'In', values: ['prod', 'canary'] },
    { key: 'legacy', operator: 'DoesNotExist' },
  ],
};

test('deployments: READY ready/desired, UP-TO-DATE, AVAILABLE, then containers, images, selector', () => {
  const d = obj('web', {
    spec: { replicas: 3, selector, template },
    status: { replicas: 3, readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 },
  });
  assert.deepEqual(row('apps', 'deployments', d), [
    'web',
    '2/3',
    3,
    2,
    '10m',
    'nginx,exporter',
    'nginx:1.27,nginx-exporter:1.1',
    'app=web,env in (canary,prod),!legacy,tier=front',
  ]);
  const fresh = obj('new', {
    spec: { replicas: 0, selector: { matchLabels: { app: 'x' } }, template },
  });
  assert.deepEqual(row('apps', 'deployments', fresh).slice(1, 4), ['0/0', 0, 0]);
  assert.equal(
    row(
      'apps',
      'deployments',
      obj('bad', {
        spec: { selector: { matchExpressions: [{ key: 'a', operator: 'Bogus' }] }, template },
      }),
    )[7],
    '<invalid>',
  );
  assert.deepEqual(
    printerFor('apps', 'deployments').columns.map((c) => `${c.name}:${c.type}:${c.priority}`),
    [
      'Name:string:0',
      'Ready:string:0',
      'Up-to-date:string:0',
      'Available:string:0',
      'Age:string:0',
      'Containers:string:1',
      'Images:string:1',
      'Selector:string:1',
    ],
  );
});

test('replica sets and replication controllers: DESIRED CURRENT READY', () => {
  const rs = obj('web-5d9c7', {
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: 'web', 'pod-template-hash': '5d9c7' } },
      template,
    },
    status: { replicas: 3, readyReplicas: 1 },
  });
  assert.deepEqual(row('apps', 'replicasets', rs), [
    'web-5d9c7',
    3,
    3,
    1,
    '10m',
    'nginx,exporter',
    'nginx:1.27,nginx-exporter:1.1',
    'app=web,pod-template-hash=5d9c7',
  ]);
  const rc = obj('legacy', {
    spec: { replicas: 2, selector: { b: '2', a: '1' }, template },
    status: { replicas: 2, readyReplicas: 2 },
  });
  assert.deepEqual(row('', 'replicationcontrollers', rc), [
    'legacy',
    2,
    2,
    2,
    '10m',
    'nginx,exporter',
    'nginx:1.27,nginx-exporter:1.1',
    'a=1,b=2',
  ]);
  assert.equal(
    row('', 'replicationcontrollers', obj('nosel', { spec: { replicas: 1 } }))[7],
    '<none>',
  );
  assert.equal(
    row('apps', 'replicasets', obj('nosel', { spec: { replicas: 1, template } }))[7],
    '<none>',
  );
});

test('stateful sets: READY ready/replicas', () => {
  const s = obj('db', {
    spec: { replicas: 3, template, selector: { matchLabels: { app: 'db' } } },
    status: { replicas: 3, readyReplicas: 3 },
  });
  assert.deepEqual(row('apps', 'statefulsets', s), [
    'db',
    '3/3',
    '10m',
    'nginx,exporter',
    'nginx:1.27,nginx-exporter:1.1',
  ]);
  assert.deepEqual(
    printerFor('apps', 'statefulsets').columns.map((c) => c.name),
    ['Name', 'Ready', 'Age', 'Containers', 'Images'],
  );
});

test('daemon sets: the five counts and the node selector', () => {
  const ds = obj('agent', {
    spec: {
      selector: { matchLabels: { app: 'agent' } },
      template: {
        spec: {
          nodeSelector: { 'kubernetes.io/os': 'linux', disk: 'ssd' },
          containers: [{ name: 'agent', image: 'agent:1' }],
        },
      },
    },
    status: {
      desiredNumberScheduled: 3,
      currentNumberScheduled: 3,
      numberReady: 2,
      updatedNumberScheduled: 3,
      numberAvailable: 2,
    },
  });
  assert.deepEqual(row('apps', 'daemonsets', ds), [
    'agent',
    3,
    3,
    2,
    3,
    2,
    'disk=ssd,kubernetes.io/os=linux',
    '10m',
    'agent',
    'agent:1',
    'app=agent',
  ]);
  assert.deepEqual(
    row(
      'apps',
      'daemonsets',
      obj('empty', { spec: { template: { spec: { containers: [] } } } }),
    ).slice(1, 7),
    [0, 0, 0, 0, 0, '<none>'],
  );
});

function job(spec: Any, status: Any, meta: Any = {}) {
  return obj(
    'backup-28971',
    {
      spec: {
        selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'c0ffee' } },
        template: { spec: { containers: [{ name: 'backup', image: 'restic:0.17' }] } },
        ...spec,
      },
      status,
    },
    meta,
  );
}

test('jobs: STATUS, COMPLETIONS, DURATION', () => {
  const complete = job(
    { completions: 1, parallelism: 1 },
    {
      succeeded: 1,
      startTime: ago(10 * MIN),
      completionTime: ago(10 * MIN - 42 * SEC),
      conditions: [
        { type: 'SuccessCriteriaMet', status: 'True' },
        { type: 'Complete', status: 'True' },
      ],
    },
  );
  assert.deepEqual(row('batch', 'jobs', complete), [
    'backup-28971',
    'Complete',
    '1/1',
    '42s',
    '10m',
    'backup',
    'restic:0.17',
    'batch.kubernetes.io/controller-uid=c0ffee',
  ]);
  const runningJob = job(
    { completions: 5, parallelism: 2 },
    { succeeded: 2, active: 2, startTime: ago(3 * MIN) },
  );
  assert.deepEqual(row('batch', 'jobs', runningJob).slice(1, 4), ['Running', '2/5', '3m']);
  const queue = job({ parallelism: 3 }, { active: 3, startTime: ago(1 * HOUR) });
  assert.deepEqual(row('batch', 'jobs', queue).slice(1, 4), ['Running', '0/1 of 3', '60m']);
  const single = job({ parallelism: 1 }, {});
  assert.deepEqual(
    row('batch', 'jobs', single).slice(1, 4),
    ['Running', '0/1', ''],
    'no start time: no duration',
  );
  const failed = job(
    { completions: 1 },
    {
      failed: 6,
      startTime: ago(5 * MIN),
      conditions: [
        { type: 'FailureTarget', status: 'True' },
        { type: 'Failed', status: 'True' },
      ],
    },
  );
  assert.equal(row('batch', 'jobs', failed)[1], 'Failed');
  assert.equal(
    row(
      'batch',
      'jobs',
      job({ completions: 1 }, { conditions: [{ type: 'FailureTarget', status: 'True' }] }),
    )[1],
    'FailureTarget',
  );
  assert.equal(
    row(
      'batch',
      'jobs',
      job(
        { completions: 1, suspend: true },
        { conditions: [{ type: 'Suspended', status: 'True' }] },
      ),
    )[1],
    'Suspended',
  );
  assert.equal(
    row('batch', 'jobs', job({ completions: 1 }, {}, { deletionTimestamp: ago(0) }))[1],
    'Terminating',
  );
  assert.equal(
    row(
      'batch',
      'jobs',
      job(
        { completions: 1 },
        {
          conditions: [
            { type: 'Complete', status: 'False' },
            { type: 'Complete', status: 'True' },
          ],
        },
      ),
    )[1],
    'Running',
    'the first condition of a type decides',
  );
  assert.deepEqual(
    printerFor('batch', 'jobs').columns.map((c) => `${c.name}:${c.priority}`),
    [
      'Name:0',
      'Status:0',
      'Completions:0',
      'Duration:0',
      'Age:0',
      'Containers:1',
      'Images:1',
      'Selector:1',
    ],
  );
});

test('cron jobs: schedule, timezone, suspend, active, last schedule', () => {
  const cj = obj('nightly', {
    spec: {
      schedule: '0 3 * * *',
      timeZone: 'Europe/Paris',
      suspend: false,
      jobTemplate: {
        spec: { template: { spec: { containers: [{ name: 'backup', image: 'restic:0.17' }] } } },
      },
    },
    status: { active: [{ name: 'nightly-1' }], lastScheduleTime: ago(9 * HOUR) },
  });
  assert.deepEqual(row('batch', 'cronjobs', cj), [
    'nightly',
    '0 3 * * *',
    'Europe/Paris',
    'False',
    1,
    '9h',
    '10m',
    'backup',
    'restic:0.17',
    '<none>',
  ]);
  const never = obj('never', {
    spec: {
      schedule: '@hourly',
      jobTemplate: { spec: { template: { spec: { containers: [] } } } },
    },
  });
  assert.deepEqual(row('batch', 'cronjobs', never).slice(1, 6), [
    '@hourly',
    '<none>',
    '<unset>',
    0,
    '<none>',
  ]);
  assert.deepEqual(
    printerFor('batch', 'cronjobs').columns.map((c) => `${c.name}:${c.type}`),
    [
      'Name:string',
      'Schedule:string',
      'Timezone:string',
      'Suspend:boolean',
      'Active:integer',
      'Last Schedule:string',
      'Age:string',
      'Containers:string',
      'Images:string',
      'Selector:string',
    ],
  );
});

test('controller revisions: kind.group/name of the controller, revision', () => {
  const cr = obj(
    'agent-6f8d9',
    { revision: 4, data: {} },
    {
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'agent', uid: 'u', controller: true },
      ],
    },
  );
  assert.deepEqual(row('apps', 'controllerrevisions', cr), [
    'agent-6f8d9',
    'daemonset.apps/agent',
    4,
    '10m',
  ]);
  const core = obj(
    'x',
    { revision: 1 },
    { ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: 'p', uid: 'u', controller: true }] },
  );
  assert.equal(row('apps', 'controllerrevisions', core)[1], 'pod/p');
  assert.equal(row('apps', 'controllerrevisions', obj('orphan', { revision: 1 }))[1], '<none>');
});
