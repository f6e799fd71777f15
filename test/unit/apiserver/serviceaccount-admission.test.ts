// ServiceAccount admission through the real registry over SQLite: a pod gets
// the default account and the kube-api-access volume mounted in every
// container and init container; a pod naming a missing account is refused with
// upstream's message; automountServiceAccountToken false (pod or account) mounts
// nothing; a container that already mounts the path keeps its own mount.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../../../src/api/errors.js';
import type { GenericRegistry } from '../../../src/apiserver/registry/generic-registry.js';
import { ServiceAccountAdmission, TOKEN_MOUNT_PATH } from '../../../src/apiserver/registry/serviceaccount-admission.js';
import { openSqliteRegistry, PODS, SAS, W, type SqliteRegistry } from './sqlite-registry.js';

type Obj = Record<string, any>;

let db: SqliteRegistry;
let reg: GenericRegistry;

before(async () => {
  db = await openSqliteRegistry('skiff-saadmit-', (storage, hooks) => {
    const accounts = new ServiceAccountAdmission(storage, { defaultAttempts: 2, retryMs: 10 });
    return { ...hooks, admit: (info, obj) => accounts.admit(info, obj) };
  });
  reg = db.reg;
  await reg.create(SAS, 'v1', 'default', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default' }, imagePullSecrets: [{ name: 'regcred' }] }, W());
  await reg.create(SAS, 'v1', 'default', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'quiet' }, automountServiceAccountToken: false }, W());
});
after(() => db.close());

const create = (name: string, spec: Obj) => reg.create(PODS, 'v1', 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'c', image: 'busybox' }], ...spec } }, W());

test('a pod gets the default account and the token volume in every container', async () => {
  const pod = await create('plain', { initContainers: [{ name: 'init', image: 'busybox' }] });
  const spec = pod.spec as Obj;
  assert.equal(spec.serviceAccountName, 'default');
  assert.equal(spec.serviceAccount, 'default');
  const vol = (spec.volumes as Obj[]).find((v) => v.name.startsWith('kube-api-access-'))!;
  assert.match(vol.name, /^kube-api-access-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  assert.deepEqual(vol.projected, {
    defaultMode: 420,
    sources: [
      { serviceAccountToken: { path: 'token', expirationSeconds: 3607 } },
      { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
      { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
    ],
  });
  for (const c of [...spec.initContainers, ...spec.containers]) assert.deepEqual(c.volumeMounts, [{ name: vol.name, readOnly: true, mountPath: TOKEN_MOUNT_PATH }]);
  assert.deepEqual(spec.imagePullSecrets, [{ name: 'regcred' }], "the account's pull secrets");
});

test('a pod naming a missing account is refused as upstream does', async () => {
  const e = await create('lost', { serviceAccountName: 'nope' }).then(() => undefined, (x: unknown) => x);
  assert.ok(e instanceof ApiError);
  assert.equal(e.code, 403);
  assert.equal(e.message, 'pods "lost" is forbidden: error looking up service account default/nope: serviceaccount "nope" not found');
  // the deprecated field alone names the account too
  const old = await create('old-style', { serviceAccount: 'quiet' });
  assert.equal((old.spec as Obj).serviceAccountName, 'quiet');
});

test('automountServiceAccountToken false on the pod or the account mounts nothing; the pod wins', async () => {
  for (const [name, spec] of [['off-pod', { automountServiceAccountToken: false }], ['off-sa', { serviceAccountName: 'quiet' }]] as const) {
    const pod = await create(name, spec);
    assert.equal(((pod.spec as Obj).volumes ?? []).length, 0, name);
    assert.equal((pod.spec as Obj).containers[0].volumeMounts, undefined, name);
  }
  const on = await create('on-pod', { serviceAccountName: 'quiet', automountServiceAccountToken: true });
  assert.equal((on.spec as Obj).volumes.length, 1);
});

test('a container that mounts the path itself keeps its mount', async () => {
  const pod = await create('own', {
    volumes: [{ name: 'mine', emptyDir: {} }],
    containers: [
      { name: 'a', image: 'busybox', volumeMounts: [{ name: 'mine', mountPath: TOKEN_MOUNT_PATH }] },
      { name: 'b', image: 'busybox' },
    ],
  });
  const spec = pod.spec as Obj;
  assert.deepEqual(spec.containers[0].volumeMounts, [{ name: 'mine', mountPath: TOKEN_MOUNT_PATH }]);
  assert.equal(spec.containers[1].volumeMounts[0].mountPath, TOKEN_MOUNT_PATH);
  assert.equal(spec.volumes.length, 2);
});
