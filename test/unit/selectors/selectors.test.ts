import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseLabelSelector, selectorFromLabelSelector, labelSelectorToString } from '../../../src/api/selectors/label-selector.js';
import { parseFieldSelector } from '../../../src/api/selectors/field-selector.js';

test('label selector string syntax', () => {
  const s = parseLabelSelector('app=web,tier!=db, env in (prod,staging),team notin (x),has,!gone');
  assert.ok(s.matches({ app: 'web', tier: 'fe', env: 'prod', team: 'y', has: '' }));
  assert.ok(!s.matches({ app: 'web', tier: 'db', env: 'prod', has: '' }));
  assert.ok(!s.matches({ app: 'web', env: 'dev', has: '' }));
  assert.ok(!s.matches({ app: 'web', env: 'prod', has: '', gone: '1' }));
  assert.ok(!s.matches({ app: 'web', env: 'prod' }));
  assert.ok(parseLabelSelector('a==b').matches({ a: 'b' }));
  assert.ok(parseLabelSelector('').matches({}));
});

test('bad label selectors throw', () => {
  for (const bad of ['a in (', 'a in ()', '=b', 'a=b c', 'a b', 'bad key!=x', 'a=' + 'x'.repeat(64)]) {
    assert.throws(() => parseLabelSelector(bad), Error, bad);
  }
});

test('LabelSelector objects and their string form', () => {
  const sel = selectorFromLabelSelector({ matchLabels: { app: 'web' }, matchExpressions: [{ key: 'env', operator: 'In', values: ['b', 'a'] }, { key: 'x', operator: 'DoesNotExist' }] });
  assert.ok(sel.matches({ app: 'web', env: 'a' }));
  assert.ok(!sel.matches({ app: 'web', env: 'c' }));
  assert.equal(labelSelectorToString(sel), 'app=web,env in (a,b),!x');
  assert.ok(selectorFromLabelSelector({}).matches({ anything: '1' }));
  assert.ok(!selectorFromLabelSelector(null).matches({}));
});

test('field selectors with escapes', () => {
  const f = parseFieldSelector('metadata.name=a\\,b,status.phase!=Running');
  assert.deepEqual(f.requirements.map((r) => [r.field, r.op, r.value]), [['metadata.name', '=', 'a,b'], ['status.phase', '!=', 'Running']]);
  assert.ok(f.matches({ 'metadata.name': 'a,b', 'status.phase': 'Pending' }));
  assert.ok(!f.matches({ 'metadata.name': 'a,b', 'status.phase': 'Running' }));
  assert.ok(parseFieldSelector('a==b').matches({ a: 'b' }));
  assert.throws(() => parseFieldSelector('novalue'));
  assert.throws(() => parseFieldSelector('a=b=c'));
});
