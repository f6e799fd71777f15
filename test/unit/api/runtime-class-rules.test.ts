// RuntimeClass validation: a required DNS-label handler that cannot change.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runtimeClassStrategy } from '../../../src/api/kinds/runtime-class-rules.js';

const rc = (handler?: unknown) => ({ apiVersion: 'node.k8s.io/v1', kind: 'RuntimeClass', metadata: { name: 'x' }, ...(handler === undefined ? {} : { handler }) }) as never;

test('a handler is required and must be a DNS label', () => {
  assert.deepEqual(runtimeClassStrategy.validate!(rc('crun')), []);
  assert.equal(runtimeClassStrategy.validate!(rc())[0]!.reason, 'FieldValueRequired');
  const bad = runtimeClassStrategy.validate!(rc('Crun_1'));
  assert.equal(bad[0]!.field, 'handler');
  assert.equal(bad[0]!.reason, 'FieldValueInvalid');
});

test('the handler cannot change', () => {
  assert.deepEqual(runtimeClassStrategy.validateUpdate!(rc('runc'), rc('runc')), []);
  assert.equal(runtimeClassStrategy.validateUpdate!(rc('crun'), rc('runc'))[0]!.message, 'Invalid value: field is immutable');
});
