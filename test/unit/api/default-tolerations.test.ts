// DefaultTolerationSeconds: new pods tolerate not-ready/unreachable nodes for 300 s unless they say otherwise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addDefaultTolerations } from '../../../src/api/kinds/pod-defaults.js';

test('both NoExecute tolerations are added with 300 s', () => {
  const spec: Record<string, any> = { containers: [] };
  addDefaultTolerations(spec);
  assert.deepEqual(spec.tolerations, [
    { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
    { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
  ]);
});

test("a pod's own toleration for a key is kept and not doubled; a wildcard Exists covers both", () => {
  const own = { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 1 };
  const spec: Record<string, any> = { tolerations: [own] };
  addDefaultTolerations(spec);
  assert.equal(spec.tolerations.length, 2);
  assert.deepEqual(spec.tolerations[0], own);
  assert.equal(spec.tolerations[1].key, 'node.kubernetes.io/not-ready');
  const wild: Record<string, any> = { tolerations: [{ operator: 'Exists' }] };
  addDefaultTolerations(wild);
  assert.deepEqual(wild.tolerations, [{ operator: 'Exists' }]);
});
