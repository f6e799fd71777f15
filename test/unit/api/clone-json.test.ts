// cloneJson: a deep copy of JSON data that shares nothing with the original
// (write paths clone cached objects before changing them).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cloneJson } from '../../../src/api/object.js';

test('a deep copy equal to the original, sharing no object or array', () => {
  const pod = JSON.parse('{"metadata":{"name":"p","labels":{"a":"1"},"managedFields":[{"fieldsV1":{"f:spec":{}}}]},"spec":{"containers":[{"name":"c","ports":[{"containerPort":80}]}],"nodeName":null},"status":{}}');
  const c = cloneJson(pod);
  assert.deepEqual(c, pod);
  c.metadata.labels.a = '2';
  c.metadata.managedFields[0].fieldsV1['f:spec'].x = 1;
  c.spec.containers[0].ports.push({ containerPort: 81 });
  assert.equal(pod.metadata.labels.a, '1');
  assert.deepEqual(pod.metadata.managedFields[0].fieldsV1['f:spec'], {});
  assert.equal(pod.spec.containers[0].ports.length, 1);
});

test('primitives, null, undefined members and empty containers are kept as they are', () => {
  assert.equal(cloneJson(null), null);
  assert.equal(cloneJson('s'), 's');
  assert.equal(cloneJson(3), 3);
  const o = { a: undefined, b: [], c: {}, d: [null, 0, false, ''] };
  const c = cloneJson(o);
  assert.deepEqual(c, o);
  assert.ok('a' in c);
  assert.notEqual(c.b, o.b);
});

test('a "__proto__" key from JSON stays an own key and does not become the prototype', () => {
  const o = JSON.parse('{"__proto__":{"polluted":true},"x":1}');
  const c = cloneJson(o);
  assert.equal(Object.getPrototypeOf(c), Object.prototype);
  assert.equal((c as { polluted?: boolean }).polluted, undefined);
  assert.deepEqual(Object.keys(c), ['__proto__', 'x']);
  assert.deepEqual(Object.getOwnPropertyDescriptor(c, '__proto__')?.value, { polluted: true });
});

test('values that are not plain JSON are copied by structuredClone', () => {
  const d = new Date(0);
  const c = cloneJson({ d });
  assert.ok(c.d instanceof Date);
  assert.notEqual(c.d, d);
  assert.equal(c.d.getTime(), 0);
});
