// HorizontalPodAutoscaler (autoscaling/v2) defaults and validation: what upstream
// fills in, and the causes a bad HPA is refused with (422 at the API edge).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultHpa, validateHpa } from '../../../src/api/kinds/hpa-rules.js';
import type { KubeObject } from '../../../src/api/object.js';

const ref = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' };
const hpa = (spec: object) => ({ metadata: { name: 'h', namespace: 'default' }, spec }) as unknown as KubeObject;
const causes = (spec: object) => {
  const o = hpa(spec);
  defaultHpa(o);
  return validateHpa(o).map((c) => `${c.field}: ${c.message}`);
};
const cpu = (target: object) => [{ type: 'Resource', resource: { name: 'cpu', target } }];

test('defaults: minReplicas 1, 80% CPU without metrics, behavior rules filled in', () => {
  const o = hpa({ scaleTargetRef: ref, maxReplicas: 5, behavior: { scaleDown: { stabilizationWindowSeconds: 0 } } });
  defaultHpa(o);
  const spec = o.spec as Record<string, any>;
  assert.equal(spec.minReplicas, 1);
  assert.deepEqual(spec.metrics, cpu({ type: 'Utilization', averageUtilization: 80 }));
  assert.deepEqual(spec.behavior.scaleUp, {
    stabilizationWindowSeconds: 0,
    selectPolicy: 'Max',
    policies: [{ type: 'Pods', value: 4, periodSeconds: 15 }, { type: 'Percent', value: 100, periodSeconds: 15 }],
  });
  // a given window stays; the scale-down policies are upstream's
  assert.deepEqual(spec.behavior.scaleDown, { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] });
  // without behavior nothing is added: the controller's older rules apply
  const plain = hpa({ scaleTargetRef: ref, maxReplicas: 2 });
  defaultHpa(plain);
  assert.equal((plain.spec as Record<string, unknown>).behavior, undefined);
});

test('a well-formed HPA has no causes', () => {
  assert.deepEqual(causes({ scaleTargetRef: ref, minReplicas: 1, maxReplicas: 5, metrics: cpu({ type: 'Utilization', averageUtilization: 50 }) }), []);
  assert.deepEqual(causes({ scaleTargetRef: ref, maxReplicas: 1, metrics: cpu({ type: 'AverageValue', averageValue: '200m' }) }), []);
});

test('replica bounds', () => {
  assert.deepEqual(causes({ scaleTargetRef: ref, minReplicas: 5, maxReplicas: 2 }), ['spec.maxReplicas: Invalid value: 2: must be greater than or equal to `minReplicas`']);
  // minReplicas defaults to 1, so a zero maximum is also below it
  assert.deepEqual(causes({ scaleTargetRef: ref, maxReplicas: 0 }), [
    'spec.maxReplicas: Invalid value: 0: must be greater than 0',
    'spec.maxReplicas: Invalid value: 0: must be greater than or equal to `minReplicas`',
  ]);
  assert.deepEqual(causes({ scaleTargetRef: ref, minReplicas: 0, maxReplicas: 3 }), ['spec.minReplicas: Invalid value: 0: must be greater than or equal to 1']);
  assert.deepEqual(causes({ scaleTargetRef: ref }), ['spec.maxReplicas: Invalid value: 0: must be greater than 0']);
});

test('the target reference needs a kind and a name', () => {
  assert.deepEqual(causes({ scaleTargetRef: {}, maxReplicas: 3 }), ['spec.scaleTargetRef.kind: Required value', 'spec.scaleTargetRef.name: Required value']);
});

test('metrics: known types, a resource name, a target of a known kind with its value', () => {
  assert.deepEqual(causes({ scaleTargetRef: ref, maxReplicas: 3, metrics: [{ type: 'Bogus' }] }), [
    'spec.metrics[0].type: Unsupported value: "Bogus": supported values: "ContainerResource", "External", "Object", "Pods", "Resource"',
  ]);
  assert.deepEqual(causes({ scaleTargetRef: ref, maxReplicas: 3, metrics: cpu({ type: 'Utilization', averageUtilization: 0 }) }), [
    'spec.metrics[0].resource.target.averageUtilization: Invalid value: 0: must be greater than 0',
  ]);
  assert.deepEqual(causes({ scaleTargetRef: ref, maxReplicas: 3, metrics: cpu({ type: 'AverageValue' }) }), [
    'spec.metrics[0].resource.target.averageValue: Required value: must set either a target raw value or a target utilization',
  ]);
  assert.deepEqual(causes({ scaleTargetRef: ref, maxReplicas: 3, metrics: cpu({ type: 'Value', value: '1' }) }), [
    'spec.metrics[0].resource.target.type: Unsupported value: "Value": supported values: "AverageValue", "Utilization"',
  ]);
  assert.deepEqual(causes({ scaleTargetRef: ref, maxReplicas: 3, metrics: [{ type: 'Resource', resource: { target: { type: 'Utilization', averageUtilization: 50 } } }] }), [
    'spec.metrics[0].resource.name: Required value',
  ]);
});

test('behavior: window, select policy and policies in range', () => {
  const c = causes({
    scaleTargetRef: ref,
    maxReplicas: 3,
    behavior: {
      scaleUp: { stabilizationWindowSeconds: 3601, selectPolicy: 'Most', policies: [{ type: 'Nodes', value: 0, periodSeconds: 1801 }] },
      scaleDown: { stabilizationWindowSeconds: -1 },
    },
  });
  assert.deepEqual(c, [
    'spec.behavior.scaleUp.stabilizationWindowSeconds: Invalid value: 3601: must be between 0 and 3600',
    'spec.behavior.scaleUp.selectPolicy: Unsupported value: "Most": supported values: "Disabled", "Max", "Min"',
    'spec.behavior.scaleUp.policies[0].type: Unsupported value: "Nodes": supported values: "Percent", "Pods"',
    'spec.behavior.scaleUp.policies[0].value: Invalid value: 0: must be greater than zero',
    'spec.behavior.scaleUp.policies[0].periodSeconds: Invalid value: 1801: must be greater than zero and less than or equal to 1800',
    'spec.behavior.scaleDown.stabilizationWindowSeconds: Invalid value: -1: must be between 0 and 3600',
  ]);
});
