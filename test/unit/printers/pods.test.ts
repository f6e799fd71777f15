import { test } from 'node:test';
import assert from 'node:assert/strict';
import { printerFor } from '../../../src/api/printers/index.js';
import { HOUR, MIN, ago, now, obj, type Any } from './fixtures.js';

const pods = printerFor('', 'pods');
const row = (o: Any) => pods.rows(o as never, now)[0];
const status = (o: Any) => row(o)[2];

const running = (name: string, extra: Any = {}) => ({
  name,
  ready: true,
  started: true,
  restartCount: 0,
  state: { running: { startedAt: ago(5 * MIN) } },
  ...extra,
});

function pod(spec: Any, st: Any, meta: Any = {}) {
  return obj(
    'web-7d4b9c-x2x9q',
    { spec: { containers: [{ name: 'app', image: 'nginx:1.27' }], ...spec }, status: st },
    meta,
  );
}

test('a running pod: READY, STATUS, RESTARTS, AGE and the wide columns', () => {
  const p = pod(
    { nodeName: 'node-1' },
    {
      phase: 'Running',
      podIP: '10.42.0.7',
      podIPs: [{ ip: '10.42.0.7' }, { ip: 'fd00::7' }],
      conditions: [{ type: 'Ready', status: 'True' }],
      containerStatuses: [running('app')],
    },
  );
  assert.deepEqual(row(p), [
    'web-7d4b9c-x2x9q',
    '1/1',
    'Running',
    '0',
    '10m',
    '10.42.0.7',
    'node-1',
    '<none>',
    '<none>',
  ]);
  assert.deepEqual(
    pods.columns.map((c) => [c.name, c.type, c.priority]),
    [
      ['Name', 'string', 0],
      ['Ready', 'string', 0],
      ['Status', 'string', 0],
      ['Restarts', 'string', 0],
      ['Age', 'string', 0],
      ['IP', 'string', 1],
      ['Node', 'string', 1],
      ['Nominated Node', 'string', 1],
      ['Readiness Gates', 'string', 1],
    ],
  );
  assert.equal(pods.columns[0].format, 'name');
});

test('a pending pod not yet scheduled shows <none> for IP and node', () => {
  assert.deepEqual(row(pod({}, { phase: 'Pending' })), [
    'web-7d4b9c-x2x9q',
    '0/1',
    'Pending',
    '0',
    '10m',
    '<none>',
    '<none>',
    '<none>',
    '<none>',
  ]);
  assert.deepEqual(row(pod({}, { phase: 'Pending', nominatedNodeName: 'node-2' })).slice(5), [
    '<none>',
    '<none>',
    'node-2',
    '<none>',
  ]);
  assert.equal(row(pod({}, {})).at(2), '', 'no phase at all prints empty, as upstream');
});

test('restarts say when the last one was', () => {
  const p = pod(
    { containers: [{ name: 'app' }, { name: 'sidecar' }] },
    {
      phase: 'Running',
      containerStatuses: [
        {
          name: 'app',
          ready: false,
          restartCount: 5,
          state: { waiting: { reason: 'CrashLoopBackOff' } },
          lastState: { terminated: { exitCode: 1, finishedAt: ago(5 * MIN) } },
        },
        {
          name: 'sidecar',
          ready: true,
          restartCount: 1,
          state: { running: {} },
          lastState: { terminated: { exitCode: 137, finishedAt: ago(2 * HOUR) } },
        },
      ],
    },
  );
  assert.deepEqual(row(p).slice(1, 4), ['1/2', 'CrashLoopBackOff', '6 (5m ago)']);
  // restarts with no recorded termination time: a bare count
  const q = pod(
    {},
    { phase: 'Running', containerStatuses: [{ ...running('app'), restartCount: 3 }] },
  );
  assert.equal(row(q)[3], '3');
});

test('the last container in the list that is not running decides the reason', () => {
  const p = pod(
    { containers: [{ name: 'a' }, { name: 'b' }] },
    {
      phase: 'Running',
      containerStatuses: [
        { name: 'a', ready: false, state: { waiting: { reason: 'ImagePullBackOff' } } },
        { name: 'b', ready: false, state: { terminated: { exitCode: 2 } } },
      ],
    },
  );
  // walked from the last: b gives ExitCode:2, then a overrides it
  assert.equal(status(p), 'ImagePullBackOff');
  const q = pod(
    {},
    {
      phase: 'Running',
      containerStatuses: [{ name: 'app', state: { terminated: { exitCode: 0, signal: 9 } } }],
    },
  );
  assert.equal(status(q), 'Signal:9');
  const r = pod(
    {},
    {
      phase: 'Failed',
      containerStatuses: [
        { name: 'app', state: { terminated: { exitCode: 137, reason: 'OOMKilled' } } },
      ],
    },
  );
  assert.equal(status(r), 'OOMKilled');
});

test('init containers: Init:i/n, waiting and terminated reasons', () => {
  const spec = { initContainers: [{ name: 'migrate' }, { name: 'seed' }] };
  const initRunning = pod(spec, {
    phase: 'Pending',
    initContainerStatuses: [
      { name: 'migrate', state: { running: {} } },
      { name: 'seed', state: { waiting: { reason: 'PodInitializing' } } },
    ],
    containerStatuses: [{ name: 'app', state: { waiting: { reason: 'PodInitializing' } } }],
  });
  assert.equal(status(initRunning), 'Init:0/2');
  const second = pod(spec, {
    phase: 'Pending',
    initContainerStatuses: [
      { name: 'migrate', state: { terminated: { exitCode: 0, reason: 'Completed' } } },
      { name: 'seed', state: { running: {} } },
    ],
  });
  assert.equal(status(second), 'Init:1/2');
  const crashing = pod(spec, {
    phase: 'Pending',
    initContainerStatuses: [
      {
        name: 'migrate',
        restartCount: 4,
        state: { waiting: { reason: 'CrashLoopBackOff' } },
        lastState: { terminated: { exitCode: 1, finishedAt: ago(30 * 1000) } },
      },
    ],
  });
  assert.deepEqual(row(crashing).slice(1, 4), ['0/1', 'Init:CrashLoopBackOff', '4 (30s ago)']);
  const failed = pod(spec, {
    phase: 'Failed',
    initContainerStatuses: [{ name: 'migrate', state: { terminated: { exitCode: 3 } } }],
  });
  assert.equal(status(failed), 'Init:ExitCode:3');
  const signalled = pod(spec, {
    phase: 'Failed',
    initContainerStatuses: [
      { name: 'migrate', state: { terminated: { exitCode: 0, signal: 15 } } },
    ],
  });
  assert.equal(
    status(signalled),
    'Failed',
    'exit code 0 counts as done whatever the signal: the phase shows',
  );
  const oom = pod(spec, {
    phase: 'Failed',
    initContainerStatuses: [
      { name: 'migrate', state: { terminated: { exitCode: 137, reason: 'OOMKilled' } } },
    ],
  });
  assert.equal(status(oom), 'Init:OOMKilled');
});

test('once initialized, regular init containers restarts no longer count', () => {
  const p = pod(
    { initContainers: [{ name: 'migrate' }] },
    {
      phase: 'Running',
      conditions: [
        { type: 'Initialized', status: 'True' },
        { type: 'Ready', status: 'True' },
      ],
      initContainerStatuses: [
        {
          name: 'migrate',
          restartCount: 2,
          state: { terminated: { exitCode: 0, reason: 'Completed' } },
          lastState: { terminated: { exitCode: 1, finishedAt: ago(9 * MIN) } },
        },
      ],
      containerStatuses: [running('app')],
    },
  );
  assert.deepEqual(row(p).slice(1, 4), ['1/1', 'Running', '0']);
});

test('sidecars (restartable init containers) count in READY and RESTARTS', () => {
  const p = pod(
    { initContainers: [{ name: 'proxy', restartPolicy: 'Always' }, { name: 'migrate' }] },
    {
      phase: 'Running',
      conditions: [{ type: 'Initialized', status: 'True' }],
      initContainerStatuses: [
        {
          name: 'proxy',
          ready: true,
          started: true,
          restartCount: 1,
          state: { running: {} },
          lastState: { terminated: { exitCode: 1, finishedAt: ago(3 * MIN) } },
        },
        { name: 'migrate', state: { terminated: { exitCode: 0, reason: 'Completed' } } },
      ],
      containerStatuses: [running('app')],
    },
  );
  assert.deepEqual(row(p).slice(1, 4), ['2/2', 'Running', '1 (3m ago)']);
  // a sidecar that has not started yet holds initialization
  const starting = pod(
    { initContainers: [{ name: 'proxy', restartPolicy: 'Always' }] },
    {
      phase: 'Pending',
      initContainerStatuses: [{ name: 'proxy', started: false, state: { running: {} } }],
    },
  );
  assert.deepEqual(row(starting).slice(1, 3), ['0/2', 'Init:0/1']);
});

test('a Completed container next to a running one reads Running or NotReady', () => {
  const st = (ready: boolean) => ({
    phase: 'Running',
    conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
    containerStatuses: [
      running('app'),
      { name: 'job', state: { terminated: { exitCode: 0, reason: 'Completed' } } },
    ],
  });
  const spec = { containers: [{ name: 'app' }, { name: 'job' }] };
  assert.equal(status(pod(spec, st(true))), 'Running');
  assert.equal(status(pod(spec, st(false))), 'NotReady');
  assert.equal(
    status(
      pod(
        {},
        {
          phase: 'Succeeded',
          containerStatuses: [
            { name: 'app', state: { terminated: { exitCode: 0, reason: 'Completed' } } },
          ],
        },
      ),
    ),
    'Completed',
  );
});

test('Terminating while being deleted, unless finished; Unknown for a lost node', () => {
  const live = { phase: 'Running', containerStatuses: [running('app')] };
  assert.equal(status(pod({}, live, { deletionTimestamp: ago(0) })), 'Terminating');
  const done = {
    phase: 'Succeeded',
    containerStatuses: [
      { name: 'app', state: { terminated: { exitCode: 0, reason: 'Completed' } } },
    ],
  };
  assert.equal(status(pod({}, done, { deletionTimestamp: ago(0) })), 'Completed');
  assert.equal(
    status(pod({}, { ...live, reason: 'NodeLost' }, { deletionTimestamp: ago(0) })),
    'Unknown',
  );
  assert.equal(status(pod({}, { phase: 'Failed', reason: 'Evicted' })), 'Evicted');
});

test('scheduling gates show SchedulingGated', () => {
  const p = pod(
    { schedulingGates: [{ name: 'example.com/quota' }] },
    {
      phase: 'Pending',
      conditions: [{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated' }],
    },
  );
  assert.equal(status(p), 'SchedulingGated');
});

test('readiness gates count the true conditions', () => {
  const p = pod(
    { readinessGates: [{ conditionType: 'example.com/lb' }, { conditionType: 'example.com/dns' }] },
    {
      phase: 'Running',
      conditions: [
        { type: 'example.com/lb', status: 'True' },
        { type: 'example.com/dns', status: 'False' },
      ],
      containerStatuses: [running('app')],
    },
  );
  assert.equal(row(p)[8], '1/2');
});

test('finished pods carry the Completed row condition', () => {
  assert.deepEqual(pods.conditions?.(pod({}, { phase: 'Succeeded' }) as never), [
    {
      type: 'Completed',
      status: 'True',
      reason: 'Succeeded',
      message: 'The pod has completed successfully.',
    },
  ]);
  assert.deepEqual(pods.conditions?.(pod({}, { phase: 'Failed' }) as never), [
    { type: 'Completed', status: 'True', reason: 'Failed', message: 'The pod failed.' },
  ]);
  assert.equal(pods.conditions?.(pod({}, { phase: 'Running' }) as never), undefined);
});

test('pod templates: containers, images and sorted pod labels, no age', () => {
  const t = printerFor('', 'podtemplates');
  const o = obj('tmpl', {
    template: {
      metadata: { labels: { tier: 'web', app: 'shop' } },
      spec: {
        containers: [
          { name: 'app', image: 'shop:2' },
          { name: 'log', image: 'fluent-bit:3' },
        ],
      },
    },
  });
  assert.deepEqual(
    t.columns.map((c) => c.name),
    ['Name', 'Containers', 'Images', 'Pod Labels'],
  );
  assert.deepEqual(t.rows(o, now)[0], [
    'tmpl',
    'app,log',
    'shop:2,fluent-bit:3',
    'app=shop,tier=web',
  ]);
  assert.deepEqual(t.rows(obj('bare', { template: { spec: { containers: [] } } }), now)[0], [
    'bare',
    '',
    '',
    '<none>',
  ]);
});
