import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateObjectMeta, validateObjectMetaUpdate } from '../../../src/api/validation/object-meta.js';
import { nameRule } from '../../../src/api/validation/names.js';

const meta = (metadata: Record<string, unknown>) => ({ metadata });

test('names follow the rule of their resource', () => {
  assert.deepEqual(validateObjectMeta(meta({ name: 'a.b-c', namespace: 'default' }), true, 'subdomain'), []);
  assert.equal(validateObjectMeta(meta({ name: 'a.b' }), false, nameRule('', 'namespaces'))[0].field, 'metadata.name');
  assert.equal(validateObjectMeta(meta({ name: 'UPPER', namespace: 'd' }), true, 'subdomain')[0].reason, 'FieldValueInvalid');
  assert.match(validateObjectMeta(meta({ name: 'UPPER', namespace: 'd' }), true, 'subdomain')[0].message, /lowercase RFC 1123 subdomain/);
  assert.deepEqual(validateObjectMeta(meta({ name: 'system:masters' }), false, nameRule('rbac.authorization.k8s.io', 'clusterroles')), []);
  assert.equal(validateObjectMeta(meta({}), false, 'subdomain')[0].reason, 'FieldValueRequired');
});

test('labels, annotations, finalizers and owner references', () => {
  const causes = validateObjectMeta(meta({ name: 'x', labels: { 'bad key': 'v', ok: 'bad value!' }, annotations: { big: 'x'.repeat(300 * 1024) }, finalizers: ['a/b/c'], ownerReferences: [{ kind: 'X' }] }), false, 'subdomain');
  const fields = causes.map((c) => c.field);
  for (const f of ['metadata.labels', 'metadata.annotations', 'metadata.finalizers[0]', 'metadata.ownerReferences[0].uid']) assert.ok(fields.includes(f), `${f} in ${fields}`);
});

test('immutable metadata on update', () => {
  const a = meta({ name: 'x', uid: '1', creationTimestamp: 't' });
  const b = meta({ name: 'x', uid: '2', creationTimestamp: 't' });
  assert.equal(validateObjectMetaUpdate(b, a)[0].field, 'metadata.uid');
});
