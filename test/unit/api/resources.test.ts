import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resources, findResource } from '../../../src/api/kinds/resources.js';

test('every resource has a unique plural per group and a list kind', () => {
  const seen = new Set<string>();
  for (const r of resources) {
    const k = `${r.plural}.${r.group}`;
    assert.ok(!seen.has(k), `duplicate ${k}`);
    seen.add(k);
    assert.equal(r.listKind, `${r.kind}List`);
  }
  assert.equal(findResource('apps', 'deployments')?.shortNames[0], 'deploy');
  assert.equal(findResource('', 'namespaces')?.namespaced, false);
});
