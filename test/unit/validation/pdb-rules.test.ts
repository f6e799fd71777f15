// PodDisruptionBudget validation as upstream's ValidatePodDisruptionBudgetSpec:
// these are the specs the API refuses with 422.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validatePdb, validatePdbStatus } from '../../../src/api/kinds/pdb-rules.js';
import type { KubeObject } from '../../../src/api/object.js';

const pdb = (spec: Record<string, unknown>): KubeObject => ({ metadata: { name: 'b', namespace: 'd' }, spec: { selector: { matchLabels: { app: 'web' } }, ...spec } });
const fields = (spec: Record<string, unknown>) => validatePdb(pdb(spec)).map((c) => `${c.field}: ${c.message}`);

test('valid budgets pass', () => {
  for (const spec of [{ minAvailable: 2 }, { minAvailable: '50%' }, { maxUnavailable: 0 }, { maxUnavailable: '100%' }, {}, { minAvailable: 1, unhealthyPodEvictionPolicy: 'AlwaysAllow' }, { maxUnavailable: 1, selector: {} }]) {
    assert.deepEqual(fields(spec), [], JSON.stringify(spec));
  }
});

test('minAvailable and maxUnavailable together are refused', () => {
  assert.deepEqual(fields({ minAvailable: 1, maxUnavailable: 1 }).map((m) => m.replace(/Invalid value: .*: /, '')), ['spec: minAvailable and maxUnavailable cannot be both set']);
});

test('bad numbers and percentages are refused with their field', () => {
  assert.match(fields({ minAvailable: 'half' })[0], /^spec\.minAvailable: Invalid value: "half": a valid percent string must be a numeric string followed by an ending '%'/);
  assert.match(fields({ maxUnavailable: '150%' })[0], /^spec\.maxUnavailable: .*must not be greater than 100%/);
  assert.match(fields({ minAvailable: -1 })[0], /^spec\.minAvailable: .*must be greater than or equal to 0/);
  assert.match(fields({ minAvailable: 1.5 })[0], /^spec\.minAvailable: /);
  assert.match(fields({ maxUnavailable: '-5%' })[0], /^spec\.maxUnavailable: /);
});

test('selector operators and the unhealthy pod eviction policy are checked', () => {
  assert.match(fields({ minAvailable: 1, selector: { matchExpressions: [{ key: 'a', operator: 'Near' }] } })[0], /^spec\.selector: /);
  assert.match(fields({ minAvailable: 1, unhealthyPodEvictionPolicy: 'Sometimes' })[0], /^spec\.unhealthyPodEvictionPolicy: Unsupported value: "Sometimes"/);
});

test('status counts are never negative', () => {
  assert.equal(validatePdbStatus({ metadata: { name: 'b' }, status: { disruptionsAllowed: -1, currentHealthy: 2 } }).length, 1);
  assert.equal(validatePdbStatus({ metadata: { name: 'b' }, status: { disruptionsAllowed: 0, currentHealthy: 2 } }).length, 0);
});
