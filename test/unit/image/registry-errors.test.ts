// Registry and token-service error bodies worded as Docker prints them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { responseError } from '../../../src/image/registry/registry-errors.js';

const body = (o: unknown) => Buffer.from(JSON.stringify(o));

test('the distribution errors body: code in words, then the message', () => {
  const e = responseError(404, body({ errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' }] }), 'pull r/x:1');
  assert.equal(e.message, 'pull r/x:1: manifest unknown: manifest unknown');
  assert.equal(e.code, 'MANIFEST_UNKNOWN');
});

test('a token service\'s "details" is the reason; a bare 401 says authentication required', () => {
  assert.equal(responseError(401, body({ details: 'incorrect username or password' }), 'token from https://auth/token').message, 'token from https://auth/token: unauthorized: incorrect username or password');
  assert.equal(responseError(401, Buffer.alloc(0), 'GET /v2/').message, 'GET /v2/: unauthorized: authentication required');
  assert.ok(responseError(403, body({ details: 'no' }), 'x').unauthorized);
  assert.equal(responseError(500, Buffer.from('boom'), 'x').message, 'x: unexpected status 500 (boom)');
});
