import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../../src/api/object.js';
import { validateLimitRange, validateResourceQuota } from '../../../src/api/kinds/quota-rules.js';

const quota = (spec: object): KubeObject => ({ apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'q' }, spec });
const limits = (...l: object[]): KubeObject => ({ apiVersion: 'v1', kind: 'LimitRange', metadata: { name: 'l' }, spec: { limits: l } });
const msgs = (causes: { field?: string; message: string }[]) => causes.map((c) => `${c.field}: ${c.message}`);

test('quota hard limits: quantities, not negative, whole numbers for counted objects, known names', () => {
  assert.deepEqual(validateResourceQuota(quota({ hard: { pods: '10', 'requests.cpu': '1500m', 'limits.memory': '2Gi', 'count/deployments.apps': 3, 'requests.nvidia.com/gpu': 1 } })), []);
  assert.deepEqual(msgs(validateResourceQuota(quota({ hard: { 'requests.cpu': 'lots' } }))), ['spec.hard[requests.cpu]: Invalid value: "lots": quantities must match the regular expression \'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$\'']);
  assert.deepEqual(msgs(validateResourceQuota(quota({ hard: { memory: '-1Gi' } }))), ['spec.hard[memory]: Invalid value: "-1Gi": must be greater than or equal to 0']);
  assert.deepEqual(msgs(validateResourceQuota(quota({ hard: { pods: '1500m' } }))), ['spec.hard[pods]: Invalid value: "1500m": must be an integer']);
  assert.match(msgs(validateResourceQuota(quota({ hard: { 'bad name!': '1' } })))[0]!, /must be a standard resource type or fully qualified/);
});

test('quota scopes: known, not contradicting, selector operators with or without values', () => {
  assert.deepEqual(validateResourceQuota(quota({ hard: { pods: 1 }, scopes: ['BestEffort', 'NotTerminating'] })), []);
  assert.match(msgs(validateResourceQuota(quota({ scopes: ['Sometimes'] })))[0]!, /spec.scopes\[0\]: Unsupported value: "Sometimes"/);
  assert.match(msgs(validateResourceQuota(quota({ scopes: ['BestEffort', 'NotBestEffort'] })))[0]!, /conflicting scopes: BestEffort and NotBestEffort/);
  const sel = (e: object) => msgs(validateResourceQuota(quota({ scopeSelector: { matchExpressions: [e] } })));
  assert.deepEqual(sel({ scopeName: 'PriorityClass', operator: 'In', values: ['high'] }), []);
  assert.match(sel({ scopeName: 'PriorityClass', operator: 'In' })[0]!, /values: Required value/);
  assert.match(sel({ scopeName: 'Terminating', operator: 'Exists', values: ['x'] })[0]!, /must be no value/);
  assert.match(sel({ scopeName: 'PriorityClass', operator: 'Near', values: ['x'] })[0]!, /operator: Unsupported value: "Near"/);
});

test('limit ranges: min <= default request <= default <= max, ratios of at least 1, no defaults for Pod', () => {
  assert.deepEqual(validateLimitRange(limits({ type: 'Container', min: { cpu: '100m' }, defaultRequest: { cpu: '200m' }, default: { cpu: '500m' }, max: { cpu: '1' }, maxLimitRequestRatio: { cpu: '4' } })), []);
  assert.deepEqual(msgs(validateLimitRange(limits({ type: 'Container', min: { memory: '2Gi' }, max: { memory: '1Gi' } }))), ['spec.limits[0].min[memory]: Invalid value: "2Gi": min value 2Gi is greater than max value 1Gi']);
  assert.match(msgs(validateLimitRange(limits({ type: 'Container', defaultRequest: { cpu: '2' }, default: { cpu: '1' } })))[0]!, /default request value 2 is greater than default limit value 1/);
  assert.match(msgs(validateLimitRange(limits({ type: 'Container', maxLimitRequestRatio: { cpu: '500m' } })))[0]!, /ratio 500m is less than 1/);
  assert.deepEqual(msgs(validateLimitRange(limits({ type: 'Pod', default: { cpu: '1' } }))), ["spec.limits[0].default: Forbidden: may not be specified when `type` is 'Pod'"]);
  assert.match(msgs(validateLimitRange(limits({ max: { cpu: '1' } })))[0]!, /spec.limits\[0\].type: Required value/);
});
