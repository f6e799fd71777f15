// The service proxy's model is rebuilt per change only for the services whose
// object or slices changed (by resourceVersion): the result must equal a model
// built from scratch, and an unchanged service's chains are the very arrays of
// the previous model (what lets the diff skip them). The informers are stand-ins
// holding plain objects: the proxy only lists them here.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubeObject } from '../../../src/api/object.js';
import type { Informer } from '../../../src/client/informer.js';
import { buildUpdate } from '../../../src/network/proxy/nft-diff.js';
import { ServiceProxy } from '../../../src/network/proxy/service-proxy.js';

let rv = 1;
const svc = (name: string, ip: string): KubeObject => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'd', resourceVersion: String(rv++) }, spec: { clusterIP: ip, ports: [{ port: 80, targetPort: 8080 }] } });
const slice = (service: string, ips: string[], ready = true): KubeObject =>
  ({ apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: `${service}-abc`, namespace: 'd', resourceVersion: String(rv++), labels: { 'kubernetes.io/service-name': service } }, addressType: 'IPv4', ports: [{ name: '', port: 8080, protocol: 'TCP' }], endpoints: ips.map((ip) => ({ addresses: [ip], conditions: { ready } })) }) as KubeObject;
const informer = (items: KubeObject[]) => ({ addHandlers() {}, list: () => items }) as unknown as Informer;
const proxy = (services: KubeObject[], slices: KubeObject[]) => new ServiceProxy(informer(services), informer(slices), { clusterCIDR: '10.42.0.0/16', bridge: 'cni0' }, () => {});

test('a changed slice rebuilds its service only; the model equals one built from scratch', () => {
  const services = [svc('a', '10.43.0.20'), svc('b', '10.43.0.30')];
  const slices = [slice('a', ['10.42.1.2']), slice('b', ['10.42.1.3', '10.42.2.3'])];
  const p = proxy(services, slices);
  const first = p.model();
  slices[0] = slice('a', ['10.42.1.2', '10.42.2.2']);
  const second = p.model();
  assert.deepEqual(second, proxy(services, slices).model());
  const bChains = [...first.chains.keys()].filter((k) => [...first.chains.get(k)!].join().includes('10.42.1.3') || k.includes('10.42.1.3'));
  assert.ok(bChains.length > 0);
  for (const k of bChains) assert.equal(second.chains.get(k), first.chains.get(k), `${k} is reused, not rebuilt`);
  const cmds = buildUpdate(first, second);
  assert.ok(cmds.some((c) => c.includes('10.42.2.2')) && !cmds.some((c) => c.includes('10.42.1.3')), cmds.join('\n'));
});

test('a service whose endpoints turn unready, a new service and a removed one all show', () => {
  const services = [svc('a', '10.43.0.20'), svc('b', '10.43.0.30')];
  const slices = [slice('a', ['10.42.1.2']), slice('b', ['10.42.1.3'])];
  const p = proxy(services, slices);
  p.model();
  slices[0] = slice('a', ['10.42.1.2'], false);
  services.splice(1, 1, svc('c', '10.43.0.40'));
  slices.push(slice('c', ['10.42.1.4']));
  const m = p.model();
  assert.deepEqual(m, proxy(services, slices).model());
  assert.ok(m.elements['no-endpoint-services'].has('10.43.0.20 . tcp . 80'));
  assert.ok(m.elements['service-ips'].has('10.43.0.40 . tcp . 80'));
  assert.ok(!m.elements['service-ips'].has('10.43.0.30 . tcp . 80'));
});
