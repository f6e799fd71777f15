// The proxy subresources' addressing: the name forms, where pods, services and
// nodes proxy to, and the request path split (pure functions, no sockets).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../../src/api/object.js';
import { nodeTarget, podTarget, serviceTarget, splitSchemeNamePort } from '../../../src/apiserver/handlers/proxy.js';
import { requestInfo } from '../../../src/apiserver/request-info.js';

test('name, name:port and scheme:name:port', () => {
  assert.deepEqual(splitSchemeNamePort('web'), { scheme: '', name: 'web', port: '' });
  assert.deepEqual(splitSchemeNamePort('web:8080'), { scheme: '', name: 'web', port: '8080' });
  assert.deepEqual(splitSchemeNamePort('https:web:metrics'), { scheme: 'https', name: 'web', port: 'metrics' });
  assert.equal(splitSchemeNamePort('ftp:web:21'), undefined);
  assert.equal(splitSchemeNamePort('a:b:c:d'), undefined);
  assert.equal(splitSchemeNamePort(':80'), undefined);
});

test('the path after /proxy/ is kept as sent, for pods, services and nodes', () => {
  const q = new URLSearchParams();
  const r = requestInfo('GET', '/api/v1/namespaces/default/pods/web:8080/proxy/a/b%20c/', q);
  assert.equal(r.kind, 'resource');
  if (r.kind !== 'resource') return;
  assert.deepEqual([r.resource, r.name, r.subresource, r.subpath, r.verb], ['pods', 'web:8080', 'proxy', 'a/b%20c/', 'get']);
  const n = requestInfo('POST', '/api/v1/nodes/n1/proxy', q);
  assert.ok(n.kind === 'resource' && n.subpath === '' && n.verb === 'create');
  assert.equal(requestInfo('GET', '/api/v1/namespaces/default/pods/web/log/extra', q).kind, 'other', 'only proxy takes a path');
});

const pod = { metadata: { name: 'web' }, spec: { containers: [{ name: 'c', ports: [{ name: 'http', containerPort: 8080 }] }] }, status: { podIP: '10.42.0.7' } } as unknown as KubeObject;

test('pods/proxy: the pod IP at a port number or a named container port, 80 by default', () => {
  assert.deepEqual(podTarget(pod, '', '9000'), { scheme: 'http', host: '10.42.0.7', port: 9000 });
  assert.deepEqual(podTarget(pod, 'https', 'http'), { scheme: 'https', host: '10.42.0.7', port: 8080 });
  assert.deepEqual(podTarget(pod, '', ''), { scheme: 'http', host: '10.42.0.7', port: 80 });
  assert.throws(() => podTarget(pod, '', 'grpc'), /no container port named "grpc"/);
  assert.throws(() => podTarget({ ...pod, status: {} } as KubeObject, '', '80'), (e: { code?: number; message: string }) => e.code === 503 && /has no IP yet/.test(e.message));
});

test('services/proxy: a ready endpoint of the port named or numbered; 503 when none', () => {
  const svc = { metadata: { name: 'websvc' }, spec: { ports: [{ name: 'http', port: 80, targetPort: 8080 }, { name: 'admin', port: 9000 }] } } as unknown as KubeObject;
  const slice = { metadata: { name: 's1' }, ports: [{ name: 'http', port: 8080 }, { name: 'admin', port: 9001 }], endpoints: [{ addresses: ['10.42.0.7'], conditions: { ready: true } }, { addresses: ['10.42.0.8'], conditions: { ready: false } }] } as unknown as KubeObject;
  assert.deepEqual(serviceTarget(svc, [slice], '', 'http', () => 0.99), { scheme: 'http', host: '10.42.0.7', port: 8080 }, 'the unready endpoint is never picked');
  assert.deepEqual(serviceTarget(svc, [slice], '', '9000'), { scheme: 'http', host: '10.42.0.7', port: 9001 });
  assert.throws(() => serviceTarget(svc, [slice], '', '81'), /no service port 81 found for service "websvc"/);
  assert.throws(() => serviceTarget(svc, [], '', 'http'), (e: { code?: number; message: string }) => e.code === 503 && e.message === 'no endpoints available for service "websvc:http"');
});

test('nodes/proxy: the node endpoint over https with the API server\'s client certificate', () => {
  const node = { metadata: { name: 'n1' }, status: { addresses: [{ type: 'InternalIP', address: '10.0.0.5' }], daemonEndpoints: { kubeletEndpoint: { Port: 10250 } } } } as unknown as KubeObject;
  assert.deepEqual(nodeTarget(node, '', ''), { scheme: 'https', host: '10.0.0.5', port: 10250, asApiServer: true });
  assert.equal(nodeTarget(node, 'http', '10255').port, 10255);
});
