// Ingress rule matching as the Ingress API specifies it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { route, pathMatches, hostMatches } from '../../../src/network/ingress/ingress-routes.js';
import type { KubeObject } from '../../../src/api/object.js';

const ing = (name: string, spec: object, created = '2026-01-01T00:00:00Z'): KubeObject => ({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name, namespace: 'default', creationTimestamp: created }, spec }) as KubeObject;
const path = (p: string, type: string, service: string, port: number | string = 80) => ({ path: p, pathType: type, backend: { service: { name: service, port: typeof port === 'number' ? { number: port } : { name: port } } } });

test('Prefix matches whole path elements; Exact only the path', () => {
  assert.ok(pathMatches('Prefix', '/foo', '/foo'));
  assert.ok(pathMatches('Prefix', '/foo', '/foo/bar'));
  assert.ok(pathMatches('Prefix', '/foo/', '/foo/bar'));
  assert.ok(!pathMatches('Prefix', '/foo', '/foobar'));
  assert.ok(pathMatches('Prefix', '/', '/anything'));
  assert.ok(pathMatches('Exact', '/foo', '/foo'));
  assert.ok(!pathMatches('Exact', '/foo', '/foo/'));
});

test('wildcard hosts cover exactly one label', () => {
  assert.equal(hostMatches('*.example.com', 'a.example.com'), 2);
  assert.equal(hostMatches('*.example.com', 'a.b.example.com'), 0);
  assert.equal(hostMatches('*.example.com', 'example.com'), 0);
  assert.equal(hostMatches('a.example.com', 'a.example.com'), 3);
  assert.equal(hostMatches(undefined, 'x'), 1);
});

test('the longest path wins, Exact before Prefix, exact host before wildcard, then the default backend', () => {
  const all = [
    ing('a', { rules: [{ http: { paths: [path('/', 'Prefix', 'root'), path('/api', 'Prefix', 'api'), path('/api', 'Exact', 'api-exact')] } }] }),
    ing('b', { rules: [{ host: '*.shop.test', http: { paths: [path('/', 'Prefix', 'wild')] } }, { host: 'www.shop.test', http: { paths: [path('/', 'Prefix', 'www', 'http')] } }] }),
    ing('c', { defaultBackend: { service: { name: 'fallback', port: { number: 8080 } } } }, '2026-01-02T00:00:00Z'),
  ];
  assert.equal(route(all, 'x', '/api/v1')?.service, 'api');
  assert.equal(route(all, 'x', '/api')?.service, 'api-exact');
  assert.equal(route(all, 'x:8080', '/other?q=1')?.service, 'root');
  assert.deepEqual(route(all, 'www.shop.test', '/'), { namespace: 'default', service: 'www', port: 'http' });
  assert.equal(route(all, 'cart.shop.test', '/')?.service, 'wild');
  assert.equal(route([all[2]!], 'x', '/nothing')?.service, 'fallback');
  assert.equal(route([all[1]!], 'elsewhere', '/'), undefined);
});
