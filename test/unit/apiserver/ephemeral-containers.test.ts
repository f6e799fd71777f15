// pods/ephemeralcontainers through the real registry over SQLite: a strategic
// merge patch (kubectl debug's) and a JSON patch add containers; the
// subresource changes nothing else; removing or changing one is a 422; the
// pod's own update cannot touch them and a new pod cannot have them.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../../../src/api/errors.js';
import type { GenericRegistry } from '../../../src/apiserver/registry/generic-registry.js';
import { openSqliteRegistry, PODS, W, type SqliteRegistry } from './sqlite-registry.js';

type Obj = Record<string, any>;
const SMP = 'application/strategic-merge-patch+json';
const JSON_PATCH = 'application/json-patch+json';

let db: SqliteRegistry;
let reg: GenericRegistry;

before(async () => {
  db = await openSqliteRegistry('skiff-ephemeral-');
  reg = db.reg;
  await reg.create(PODS, 'v1', 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', labels: { app: 'x' } }, spec: { containers: [{ name: 'main', image: 'busybox' }] } }, W());
});
after(() => db.close());

const patch = (type: string, body: unknown, sub = 'ephemeralcontainers') => reg.patch(PODS, 'v1', 'default', 'p', type, Buffer.from(JSON.stringify(body)), W(), sub);
async function invalid(p: Promise<unknown>): Promise<ApiError> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  assert.ok(e instanceof ApiError, `expected an ApiError, got ${String(e)}`);
  assert.equal(e.code, 422);
  return e;
}

test('a strategic merge patch adds an ephemeral container, defaulted, and changes nothing else', async () => {
  const { object } = await patch(SMP, { spec: { ephemeralContainers: [{ name: 'debugger', image: 'busybox', targetContainerName: 'main', stdin: true, tty: true }], containers: [{ name: 'main', image: 'debian' }] }, metadata: { labels: { app: 'y' } } });
  const spec = object.spec as Obj;
  assert.equal(spec.ephemeralContainers.length, 1);
  assert.equal(spec.ephemeralContainers[0].terminationMessagePath, '/dev/termination-log');
  assert.equal(spec.containers[0].image, 'busybox', 'the subresource does not change the containers');
  assert.equal(object.metadata.labels?.app, 'x', 'nor the labels');
});

test('a JSON patch adds a second one', async () => {
  const { object } = await patch(JSON_PATCH, [{ op: 'add', path: '/spec/ephemeralContainers/-', value: { name: 'second', image: 'busybox' } }]);
  assert.deepEqual((object.spec as Obj).ephemeralContainers.map((c: Obj) => c.name), ['debugger', 'second']);
});

test('removing or changing one through the subresource is a 422', async () => {
  const removed = await invalid(patch(JSON_PATCH, [{ op: 'remove', path: '/spec/ephemeralContainers/1' }]));
  assert.match(removed.message, /existing ephemeral containers "second" may not be removed/);
  const changed = await invalid(patch(JSON_PATCH, [{ op: 'replace', path: '/spec/ephemeralContainers/0/image', value: 'debian' }]));
  assert.match(changed.message, /existing ephemeral containers "debugger" may not be changed/);
});

test('invalid additions are a 422 with upstream causes', async () => {
  const e = await invalid(patch(SMP, { spec: { ephemeralContainers: [{ name: 'main', image: 'busybox', ports: [{ containerPort: 80 }], targetContainerName: 'nope' }] } }));
  const causes = (e.details?.causes ?? []).map((c) => `${c.field}: ${c.message}`);
  assert.ok(causes.includes('spec.ephemeralContainers[2].name: Duplicate value: "main"'), causes.join('\n'));
  assert.ok(causes.includes('spec.ephemeralContainers[2].targetContainerName: Not found: "nope"'), causes.join('\n'));
  assert.ok(causes.includes('spec.ephemeralContainers[2].ports: Forbidden: cannot be set for an Ephemeral Container'), causes.join('\n'));
});

test('the pod update cannot add, change or remove ephemeral containers', async () => {
  const e = await invalid(patch(JSON_PATCH, [{ op: 'add', path: '/spec/ephemeralContainers/-', value: { name: 'third', image: 'busybox' } }], ''));
  assert.match(e.message, /pod updates may not change fields/);
  await invalid(patch(JSON_PATCH, [{ op: 'remove', path: '/spec/ephemeralContainers' }], ''));
  // other changes through the pod update still work and keep them
  const { object } = await patch(SMP, { metadata: { labels: { app: 'z' } } }, '');
  assert.equal((object.spec as Obj).ephemeralContainers.length, 2);
});

test('a new pod cannot have ephemeral containers', async () => {
  const e = await invalid(reg.create(PODS, 'v1', 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'q' }, spec: { containers: [{ name: 'main', image: 'busybox' }], ephemeralContainers: [{ name: 'd', image: 'busybox' }] } }, W()));
  assert.match(e.message, /cannot have ephemeral containers on create/);
});
