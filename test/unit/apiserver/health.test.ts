// Health endpoints' answers as upstream's healthz package words them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { healthAnswer } from '../../../src/apiserver/handlers/health.js';

const q = (s = '') => new URLSearchParams(s);

test('ok, verbose, exclude and a single check', () => {
  let storage = true;
  const checks = { ping: () => true, etcd: () => storage };
  assert.deepEqual(healthAnswer('readyz', checks, '', q()), { code: 200, body: 'ok' });
  assert.deepEqual(healthAnswer('readyz', checks, '', q('verbose')), { code: 200, body: '[+]ping ok\n[+]etcd ok\nreadyz check passed\n' });
  assert.deepEqual(healthAnswer('livez', checks, '/etcd', q()), { code: 200, body: 'ok' });
  assert.equal(healthAnswer('livez', checks, '/nope', q()).code, 404);
  storage = false;
  assert.deepEqual(healthAnswer('readyz', checks, '', q()), { code: 500, body: '[+]ping ok\n[-]etcd failed: reason withheld\nreadyz check failed\n' });
  assert.deepEqual(healthAnswer('readyz', checks, '', q('exclude=etcd&verbose')), { code: 200, body: '[+]ping ok\n[+]etcd excluded: ok\nreadyz check passed\n' });
  assert.equal(healthAnswer('readyz', checks, '/etcd', q()).code, 500);
});
