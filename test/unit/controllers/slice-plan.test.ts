// How a Service's endpoints become EndpointSlices: grouped by resolved ports, at
// most 100 to a slice, an empty placeholder when there are none, and unchanged
// slices left alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serviceEndpoints } from '../../../src/api/kinds/service-endpoints.js';
import { desiredContents, planSlices } from '../../../src/controllers/endpointslice/slice-plan.js';
import type { KubeObject } from '../../../src/api/object.js';

const svc: KubeObject = { metadata: { name: 'web', namespace: 'd', uid: 'u1' }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }], ipFamilies: ['IPv4'] } };

function pod(i: number, containerPort: number, ready = true, extra: Record<string, unknown> = {}): KubeObject {
  return {
    metadata: { name: `p${String(i).padStart(3, '0')}`, namespace: 'd', uid: `pu${i}`, labels: { app: 'web' }, ...extra },
    spec: { nodeName: 'n1', containers: [{ name: 'c', ports: [{ name: 'http', containerPort }] }] },
    status: { phase: 'Running', podIP: `10.42.${i >> 8}.${i & 255}`, conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  };
}

test('250 pods make three slices of at most 100; a second port mapping gets its own slice', () => {
  const pods = [...Array.from({ length: 250 }, (_, i) => pod(i + 1, 8080)), pod(300, 9090)];
  const contents = desiredContents(serviceEndpoints(svc, pods, true), ['IPv4']);
  assert.deepEqual(contents.map((c) => [c.ports[0].port, c.endpoints.length]), [[8080, 100], [8080, 100], [8080, 50], [9090, 1]]);
  const plan = planSlices(svc, [], contents);
  assert.equal(plan.create.length, 4);
  const s = plan.create[0];
  assert.equal(s.metadata.generateName, 'web-');
  assert.equal(s.metadata.labels!['kubernetes.io/service-name'], 'web');
  assert.equal(s.metadata.labels!['endpointslice.kubernetes.io/managed-by'], 'endpointslice-controller.k8s.io');
  assert.deepEqual(s.metadata.ownerReferences, [{ apiVersion: 'v1', kind: 'Service', name: 'web', uid: 'u1', controller: true, blockOwnerDeletion: true }]);
});

test('conditions: not ready, terminating, and publishNotReadyAddresses; pods without an IP or finished are left out', () => {
  const terminating = pod(2, 8080, true, { deletionTimestamp: '2026-01-01T00:00:00Z' });
  const noIp = pod(3, 8080);
  delete (noIp.status as any).podIP;
  const done = pod(4, 8080);
  (done.status as any).phase = 'Succeeded';
  const eps = serviceEndpoints(svc, [pod(1, 8080, false), terminating, noIp, done], true);
  assert.deepEqual(eps.map((e) => [e.pod.metadata.name, e.ready, e.serving, e.terminating]), [['p001', false, false, false], ['p002', false, true, true]]);
  assert.equal(serviceEndpoints(svc, [terminating], false).length, 0, 'Endpoints leave terminating pods out');
  const publishing = { ...svc, spec: { ...(svc.spec as object), publishNotReadyAddresses: true } };
  assert.deepEqual(serviceEndpoints(publishing, [pod(1, 8080, false)], true).map((e) => e.ready), [true]);
});

test('hostname only for pods whose subdomain is the Service; a pod without the named port gets no port', () => {
  const named = pod(1, 8080);
  Object.assign(named.spec as object, { hostname: 'h1', subdomain: 'web' });
  const other = pod(2, 8080);
  Object.assign(other.spec as object, { hostname: 'h2', subdomain: 'elsewhere' });
  const noPort = pod(3, 8080);
  (noPort.spec as any).containers[0].ports = [];
  const eps = serviceEndpoints(svc, [named, other, noPort], true);
  assert.deepEqual(eps.map((e) => [e.hostname, e.ports.length]), [['h1', 1], [undefined, 1], [undefined, 0]]);
});

test('no endpoints: one empty placeholder slice; an unchanged slice is neither rewritten nor replaced', () => {
  const placeholder = desiredContents([], ['IPv4']);
  assert.deepEqual(placeholder, [{ addressType: 'IPv4', ports: [], endpoints: [] }]);
  const contents = desiredContents(serviceEndpoints(svc, [pod(1, 8080)], true), ['IPv4']);
  const created = planSlices(svc, [], contents).create[0];
  const stored = { ...created, metadata: { ...created.metadata, name: 'web-abcde' } };
  assert.deepEqual(planSlices(svc, [stored], contents), { create: [], update: [], remove: [] });
  const moved = desiredContents(serviceEndpoints(svc, [pod(1, 8080, false)], true), ['IPv4']);
  const plan = planSlices(svc, [stored], moved);
  assert.equal(plan.update.length, 1);
  assert.equal(plan.update[0].metadata.name, 'web-abcde');
  assert.equal(planSlices(svc, [stored, { ...stored, metadata: { ...stored.metadata, name: 'web-zzz' } }], contents).remove.length, 1);
});
