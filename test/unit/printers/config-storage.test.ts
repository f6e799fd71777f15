import { test } from 'node:test';
import assert from 'node:assert/strict';
import { printerFor } from '../../../src/api/printers/index.js';
import { now, obj, type Any } from './fixtures.js';

const row = (group: string, plural: string, o: Any) =>
  printerFor(group, plural).rows(o as never, now)[0];

test('config maps count data and binary data', () => {
  assert.deepEqual(row('', 'configmaps', obj('kube-root-ca.crt', { data: { 'ca.crt': '...' } })), [
    'kube-root-ca.crt',
    1,
    '10m',
  ]);
  assert.equal(
    row('', 'configmaps', obj('both', { data: { a: '1', b: '2' }, binaryData: { c: 'AA==' } }))[1],
    3,
  );
  assert.equal(row('', 'configmaps', obj('empty', {}))[1], 0);
});

test('secrets: TYPE and DATA', () => {
  assert.deepEqual(
    row(
      '',
      'secrets',
      obj('tls', { type: 'kubernetes.io/tls', data: { 'tls.crt': 'x', 'tls.key': 'y' } }),
    ),
    ['tls', 'kubernetes.io/tls', 2, '10m'],
  );
  assert.deepEqual(row('', 'secrets', obj('empty', { type: 'Opaque' })).slice(1, 3), ['Opaque', 0]);
});

test('service accounts count their secrets', () => {
  assert.deepEqual(row('', 'serviceaccounts', obj('default', {})), ['default', 0, '10m']);
  assert.equal(
    row('', 'serviceaccounts', obj('builder', { secrets: [{ name: 'builder-token' }] }))[1],
    1,
  );
});

test('persistent volumes: capacity, access modes, claim, class, status', () => {
  const pv = obj(
    'pvc-3f1c',
    {
      spec: {
        capacity: { storage: '10240Mi' },
        accessModes: ['ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOnce'],
        persistentVolumeReclaimPolicy: 'Delete',
        claimRef: { kind: 'PersistentVolumeClaim', namespace: 'shop', name: 'data' },
        storageClassName: 'local-path',
        volumeMode: 'Filesystem',
        hostPath: { path: '/var/lib/skiff/pv/pvc-3f1c' },
      },
      status: { phase: 'Bound' },
    },
    { namespace: undefined },
  );
  assert.deepEqual(row('', 'persistentvolumes', pv), [
    'pvc-3f1c',
    '10Gi',
    'RWO,RWX',
    'Delete',
    'Bound',
    'shop/data',
    'local-path',
    '<unset>',
    '',
    '10m',
    'Filesystem',
  ]);
  const released = obj(
    'old',
    {
      spec: { accessModes: ['ReadWriteOncePod', 'ReadOnlyMany'] },
      status: { phase: 'Failed', reason: 'Recycler failed' },
    },
    {
      deletionTimestamp: now.toISOString(),
      annotations: { 'volume.beta.kubernetes.io/storage-class': 'beta' },
    },
  );
  assert.deepEqual(row('', 'persistentvolumes', released), [
    'old',
    '0',
    'ROX,RWOP',
    '',
    'Terminating',
    '',
    'beta',
    '<unset>',
    'Recycler failed',
    '10m',
    '<unset>',
  ]);
});

test('persistent volume claims: capacity and modes only once bound', () => {
  const bound = obj('data', {
    spec: {
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: '1Gi' } },
      storageClassName: 'local-path',
      volumeName: 'pvc-3f1c',
      volumeMode: 'Filesystem',
      volumeAttributesClassName: 'gold',
    },
    status: { phase: 'Bound', accessModes: ['ReadWriteOnce'], capacity: { storage: '1024Mi' } },
  });
  assert.deepEqual(row('', 'persistentvolumeclaims', bound), [
    'data',
    'Bound',
    'pvc-3f1c',
    '1Gi',
    'RWO',
    'local-path',
    'gold',
    '10m',
    'Filesystem',
  ]);
  const pending = obj('new', {
    spec: {
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: '5Gi' } },
      storageClassName: 'local-path',
      volumeMode: 'Filesystem',
    },
    status: { phase: 'Pending' },
  });
  assert.deepEqual(row('', 'persistentvolumeclaims', pending), [
    'new',
    'Pending',
    '',
    '',
    '',
    'local-path',
    '<unset>',
    '10m',
    'Filesystem',
  ]);
});

test('storage classes: (default) marker and upstream defaults', () => {
  const sc = obj(
    'local-path',
    {
      provisioner: 'rancher.io/local-path',
      reclaimPolicy: 'Delete',
      volumeBindingMode: 'WaitForFirstConsumer',
      allowVolumeExpansion: true,
    },
    {
      namespace: undefined,
      annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' },
    },
  );
  assert.deepEqual(row('storage.k8s.io', 'storageclasses', sc), [
    'local-path (default)',
    'rancher.io/local-path',
    'Delete',
    'WaitForFirstConsumer',
    true,
    '10m',
  ]);
  assert.deepEqual(row('storage.k8s.io', 'storageclasses', obj('plain', { provisioner: 'x' })), [
    'plain',
    'x',
    'Delete',
    'Immediate',
    false,
    '10m',
  ]);
  const beta = obj(
    'b',
    { provisioner: 'x' },
    { annotations: { 'storageclass.beta.kubernetes.io/is-default-class': 'true' } },
  );
  assert.equal(row('storage.k8s.io', 'storageclasses', beta)[0], 'b (default)');
});
