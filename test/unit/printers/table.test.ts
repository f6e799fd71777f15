import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  includeObjectParam,
  printerFor,
  tableWatchRenderer,
  toTable,
  type Table,
} from '../../../src/api/printers/index.js';
import { resources } from '../../../src/api/kinds/resources.js';
import { ApiError } from '../../../src/api/errors.js';
import { now, obj, type Any } from './fixtures.js';

const cm = (name: string, rv: string) =>
  obj(
    name,
    { apiVersion: 'v1', kind: 'ConfigMap', data: { a: '1' } },
    { resourceVersion: rv, uid: `uid-${name}`, labels: { app: 'x' } },
  );
const base = { apiVersionOfObjects: 'v1', kindOfObjects: 'ConfigMap', now } as const;

test('a list Table: kind, apiVersion, list metadata, columns, rows of PartialObjectMetadata by default', () => {
  const t = toTable(printerFor('', 'configmaps'), [cm('a', '10'), cm('b', '11')], {
    ...base,
    includeObject: 'Metadata',
    listMeta: { resourceVersion: '12', continue: 'tok', remainingItemCount: 0 },
  });
  assert.deepEqual(Object.keys(t), ['kind', 'apiVersion', 'metadata', 'columnDefinitions', 'rows']);
  assert.equal(t.kind, 'Table');
  assert.equal(t.apiVersion, 'meta.k8s.io/v1');
  assert.deepEqual(t.metadata, { resourceVersion: '12', continue: 'tok', remainingItemCount: 0 });
  assert.deepEqual(
    t.columnDefinitions?.map((c) => Object.keys(c)),
    [0, 1, 2].map(() => ['name', 'type', 'format', 'description', 'priority']),
  );
  assert.deepEqual(
    t.rows?.map((r) => r.cells),
    [
      ['a', 1, '10m'],
      ['b', 1, '10m'],
    ],
  );
  assert.deepEqual(t.rows?.[0].object, {
    kind: 'PartialObjectMetadata',
    apiVersion: 'meta.k8s.io/v1',
    metadata: cm('a', '10').metadata,
  });
  assert.equal('conditions' in (t.rows?.[0] ?? {}), false);
});

test('includeObject=Object embeds the object with its apiVersion and kind first; None leaves null', () => {
  const o = obj('a', { data: { a: '1' } });
  const full = toTable(printerFor('', 'configmaps'), [o], { ...base, includeObject: 'Object' });
  assert.deepEqual(full.rows?.[0].object, { apiVersion: 'v1', kind: 'ConfigMap', ...o });
  assert.deepEqual(Object.keys(full.rows?.[0].object as object).slice(0, 2), [
    'apiVersion',
    'kind',
  ]);
  const none = toTable(printerFor('', 'configmaps'), [o], { ...base, includeObject: 'None' });
  assert.equal(none.rows?.[0].object, null);
  assert.equal(JSON.parse(JSON.stringify(none)).rows[0].object, null);
});

test('a single object: the Table carries its resourceVersion', () => {
  const t = toTable(printerFor('', 'configmaps'), [cm('a', '77')], {
    ...base,
    includeObject: 'Metadata',
  });
  assert.deepEqual(t.metadata, { resourceVersion: '77' });
});

test('meta.k8s.io/v1beta1 Tables and PartialObjectMetadata', () => {
  const t = toTable(printerFor('', 'configmaps'), [cm('a', '1')], {
    ...base,
    includeObject: 'Metadata',
    groupVersion: 'meta.k8s.io/v1beta1',
  });
  assert.equal(t.apiVersion, 'meta.k8s.io/v1beta1');
  assert.equal((t.rows?.[0].object as Any).apiVersion, 'meta.k8s.io/v1beta1');
});

test('noHeaders leaves columnDefinitions null; empty lists: [] from printers, null from the default convertor', () => {
  const t = toTable(printerFor('', 'configmaps'), [cm('a', '1')], {
    ...base,
    includeObject: 'Metadata',
    noHeaders: true,
  });
  assert.equal(t.columnDefinitions, null);
  assert.deepEqual(
    toTable(printerFor('', 'configmaps'), [], {
      ...base,
      includeObject: 'Metadata',
      listMeta: { resourceVersion: '5' },
    }).rows,
    [],
  );
  assert.equal(
    toTable(printerFor('rbac.authorization.k8s.io', 'roles'), [], {
      ...base,
      includeObject: 'Metadata',
      listMeta: { resourceVersion: '5' },
    }).rows,
    null,
  );
});

test('finished pods carry row conditions in the Table', () => {
  const pod = obj('done', {
    spec: { containers: [{ name: 'c' }] },
    status: { phase: 'Succeeded' },
  });
  const t = toTable(printerFor('', 'pods'), [pod], {
    ...base,
    kindOfObjects: 'Pod',
    includeObject: 'None',
  });
  assert.deepEqual(Object.keys(t.rows?.[0] ?? {}), ['cells', 'conditions', 'object']);
  assert.equal(t.rows?.[0].conditions?.[0].reason, 'Succeeded');
});

test('watch: one-row Tables, column definitions on the first event only, Status passes through', () => {
  const w = tableWatchRenderer(printerFor('', 'configmaps'), {
    ...base,
    includeObject: 'Metadata',
  });
  assert.equal(w.headersNext, true);
  const first = w.render(cm('a', '20')) as Table;
  assert.equal(w.headersNext, false);
  const second = w.render(cm('a', '21')) as Table;
  assert.equal(first.columnDefinitions?.length, 3);
  assert.equal(second.columnDefinitions, null);
  assert.deepEqual(JSON.parse(JSON.stringify(second)).columnDefinitions, null);
  assert.deepEqual(
    [first.metadata, second.metadata],
    [{ resourceVersion: '20' }, { resourceVersion: '21' }],
  );
  assert.equal(second.rows?.length, 1);
  const status = {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    reason: 'Expired',
    code: 410,
  };
  assert.equal(w.render(status as never), status);
  // a Status first still spends the headers, as upstream's encoder does
  const w2 = tableWatchRenderer(printerFor('', 'configmaps'), {
    ...base,
    includeObject: 'Metadata',
  });
  w2.render(status as never);
  assert.equal((w2.render(cm('b', '3')) as Table).columnDefinitions, null);
});

test('includeObject query parameter: default Metadata, 400 for anything unknown', () => {
  assert.equal(includeObjectParam(new URLSearchParams('')), 'Metadata');
  assert.equal(includeObjectParam(new URLSearchParams('includeObject=Object')), 'Object');
  assert.equal(includeObjectParam(new URLSearchParams('includeObject=None')), 'None');
  assert.throws(
    () => includeObjectParam(new URLSearchParams('includeObject=All')),
    (e: unknown) =>
      e instanceof ApiError &&
      e.code === 400 &&
      e.message ===
        `Unable to convert to Table as requested: includeObject: Invalid value: "All": must be 'Metadata', 'Object', 'None', or empty`,
  );
});

// Upstream 1.32's columns for every served resource (name:type:priority), from
// pkg/printers/internalversion/printers.go and the default table convertor.
const S = (n: string, p = 0) => `${n}:string:${p}`;
const I = (n: string) => `${n}:integer:0`;
const CREATED = [S('Name'), 'Created At:date:0'];
const WORKLOAD_WIDE = [S('Containers', 1), S('Images', 1), S('Selector', 1)];
// columns two resources share (core and events.k8s.io Events, RCs and ReplicaSets, both role bindings)
const EVENTS = [
  S('Last Seen'),
  S('Type'),
  S('Reason'),
  S('Object'),
  S('Subobject', 1),
  S('Source', 1),
  S('Message'),
  S('First Seen', 1),
  S('Count', 1),
  S('Name', 1),
];
const REPLICAS = [
  S('Name'),
  I('Desired'),
  I('Current'),
  I('Ready'),
  S('Age'),
  ...WORKLOAD_WIDE,
];
const ROLE_BINDING = [
  S('Name'),
  S('Role'),
  S('Age'),
  S('Users', 1),
  S('Groups', 1),
  S('ServiceAccounts', 1),
];
const EXPECTED: Record<string, string[]> = {
  'bindings.': CREATED,
  'configmaps.': [S('Name'), S('Data'), S('Age')],
  'endpoints.': [S('Name'), S('Endpoints'), S('Age')],
  'events.': EVENTS,
  'limitranges.': CREATED,
  'namespaces.': [S('Name'), S('Status'), S('Age')],
  'nodes.': [
    S('Name'),
    S('Status'),
    S('Roles'),
    S('Age'),
    S('Version'),
    S('Internal-IP', 1),
    S('External-IP', 1),
    S('OS-Image', 1),
    S('Kernel-Version', 1),
    S('Container-Runtime', 1),
  ],
  'persistentvolumeclaims.': [
    S('Name'),
    S('Status'),
    S('Volume'),
    S('Capacity'),
    S('Access Modes'),
    S('StorageClass'),
    S('VolumeAttributesClass'),
    S('Age'),
    S('VolumeMode', 1),
  ],
  'persistentvolumes.': [
    S('Name'),
    S('Capacity'),
    S('Access Modes'),
    S('Reclaim Policy'),
    S('Status'),
    S('Claim'),
    S('StorageClass'),
    S('VolumeAttributesClass'),
    S('Reason'),
    S('Age'),
    S('VolumeMode', 1),
  ],
  'pods.': [
    S('Name'),
    S('Ready'),
    S('Status'),
    S('Restarts'),
    S('Age'),
    S('IP', 1),
    S('Node', 1),
    S('Nominated Node', 1),
    S('Readiness Gates', 1),
  ],
  'podtemplates.': [S('Name'), S('Containers'), S('Images'), S('Pod Labels')],
  'replicationcontrollers.': REPLICAS,
  'resourcequotas.': [S('Name'), S('Request'), S('Limit'), S('Age')],
  'secrets.': [S('Name'), S('Type'), S('Data'), S('Age')],
  'serviceaccounts.': [S('Name'), S('Secrets'), S('Age')],
  'services.': [
    S('Name'),
    S('Type'),
    S('Cluster-IP'),
    S('External-IP'),
    S('Port(s)'),
    S('Age'),
    S('Selector', 1),
  ],
  'controllerrevisions.apps': [S('Name'), S('Controller'), S('Revision'), S('Age')],
  'daemonsets.apps': [
    S('Name'),
    I('Desired'),
    I('Current'),
    I('Ready'),
    I('Up-to-date'),
    I('Available'),
    S('Node Selector'),
    S('Age'),
    ...WORKLOAD_WIDE,
  ],
  'deployments.apps': [
    S('Name'),
    S('Ready'),
    S('Up-to-date'),
    S('Available'),
    S('Age'),
    ...WORKLOAD_WIDE,
  ],
  'replicasets.apps': REPLICAS,
  'statefulsets.apps': [S('Name'), S('Ready'), S('Age'), S('Containers', 1), S('Images', 1)],
  'horizontalpodautoscalers.autoscaling': [
    S('Name'),
    S('Reference'),
    S('Targets'),
    S('MinPods'),
    S('MaxPods'),
    S('Replicas'),
    S('Age'),
  ],
  'cronjobs.batch': [
    S('Name'),
    S('Schedule'),
    S('Timezone'),
    'Suspend:boolean:0',
    I('Active'),
    S('Last Schedule'),
    S('Age'),
    ...WORKLOAD_WIDE,
  ],
  'jobs.batch': [
    S('Name'),
    S('Status'),
    S('Completions'),
    S('Duration'),
    S('Age'),
    ...WORKLOAD_WIDE,
  ],
  'leases.coordination.k8s.io': [S('Name'), S('Holder'), S('Age')],
  'endpointslices.discovery.k8s.io': [
    S('Name'),
    S('AddressType'),
    S('Ports'),
    S('Endpoints'),
    S('Age'),
  ],
  'events.events.k8s.io': EVENTS,
  'ingressclasses.networking.k8s.io': [S('Name'), S('Controller'), S('Parameters'), S('Age')],
  'ingresses.networking.k8s.io': [
    S('Name'),
    S('Class'),
    S('Hosts'),
    S('Address'),
    S('Ports'),
    S('Age'),
  ],
  'networkpolicies.networking.k8s.io': [S('Name'), S('Pod-Selector'), S('Age')],
  'poddisruptionbudgets.policy': [
    S('Name'),
    S('Min Available'),
    S('Max Unavailable'),
    I('Allowed Disruptions'),
    S('Age'),
  ],
  'clusterrolebindings.rbac.authorization.k8s.io': ROLE_BINDING,
  'clusterroles.rbac.authorization.k8s.io': CREATED,
  'rolebindings.rbac.authorization.k8s.io': ROLE_BINDING,
  'roles.rbac.authorization.k8s.io': CREATED,
  'priorityclasses.scheduling.k8s.io': [
    S('Name'),
    I('Value'),
    'Global-Default:boolean:0',
    S('Age'),
    S('PreemptionPolicy', 1),
  ],
  'runtimeclasses.node.k8s.io': [S('Name'), S('Handler'), S('Age')],
  'storageclasses.storage.k8s.io': [
    S('Name'),
    S('Provisioner'),
    S('ReclaimPolicy'),
    S('VolumeBindingMode'),
    S('AllowVolumeExpansion'),
    S('Age'),
  ],
};

test('every served resource prints upstream’s columns, and every row fills them', () => {
  // create-only review APIs are never listed, so never printed
  for (const r of resources.filter((x) => x.verbs.includes('list'))) {
    const key = `${r.plural}.${r.group}`;
    const p = printerFor(r.group, r.plural);
    assert.ok(EXPECTED[key], `no expectation for ${key}`);
    assert.deepEqual(
      p.columns.map((c) => `${c.name}:${c.type}:${c.priority}`),
      EXPECTED[key],
      key,
    );
    // exactly one column is the name column, except for events where it is the last (wide) one
    assert.equal(p.columns.filter((c) => c.format === 'name').length, 1, key);
    for (const c of p.columns)
      assert.ok(c.description.length > 0, `${key} ${c.name} has a description`);
    // a bare object (as a bookmark or a freshly created object) prints without throwing
    const cells = p.rows(obj('x', {}), now);
    assert.equal(cells.length, 1, key);
    assert.equal(cells[0].length, p.columns.length, `${key}: one cell per column`);
  }
});
