// The Service IP and node port allocators, and the reservations the registry
// takes around a Service write (upstream's ipallocator/portallocator behaviour).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IpAllocator, ServiceCidrError } from '../../../src/apiserver/registry/ip-allocator.js';
import { PortAllocator, PortRangeError } from '../../../src/apiserver/registry/port-allocator.js';
import { ServiceAllocator } from '../../../src/apiserver/registry/service-allocator.js';
import { dropTypeDependentFields } from '../../../src/api/kinds/service-type-fields.js';
import { ApiError } from '../../../src/api/errors.js';
import type { KubeObject } from '../../../src/api/object.js';

test('an IPv4 range never hands out its network or broadcast address, nor one IP twice', () => {
  const a = new IpAllocator('192.168.7.0/29');
  assert.equal(a.size, 6);
  assert.equal(a.nth(1), '192.168.7.1');
  const got = new Set<string>();
  for (let i = 0; i < 6; i++) {
    const ip = a.allocateNext();
    assert.ok(ip);
    got.add(ip);
  }
  assert.equal(got.size, 6);
  assert.ok(!got.has('192.168.7.0') && !got.has('192.168.7.7'));
  assert.equal(a.allocateNext(), undefined, 'full');
  a.release('192.168.7.3');
  assert.equal(a.allocateNext(), '192.168.7.3');
});

test('requested IPs: taken, out of range, or granted', () => {
  const a = new IpAllocator('10.43.0.0/16');
  assert.equal(a.allocate('10.43.0.10'), undefined);
  assert.equal(a.allocate('10.43.0.10'), 'allocated');
  assert.equal(a.allocate('10.44.0.1'), 'not-in-range');
  assert.equal(a.allocate('10.43.0.0'), 'not-in-range', 'network address');
  assert.equal(a.allocate('10.43.255.255'), 'not-in-range', 'broadcast address');
  assert.equal(a.allocate('not-an-ip'), 'not-in-range');
});

test('dynamic IPs come from above the static block, leaving low addresses for requests', () => {
  const a = new IpAllocator('10.43.0.0/16');
  for (let i = 0; i < 500; i++) {
    const ip = a.allocateNext()!;
    const [, , c, d] = ip.split('.').map(Number);
    assert.ok(c * 256 + d > 256, `${ip} is above the static block`);
  }
});

test('bad ranges are refused with a clear message', () => {
  assert.throws(() => new IpAllocator('10.43.0.0'), ServiceCidrError);
  assert.throws(() => new IpAllocator('10.43.0.0/33'), ServiceCidrError);
  assert.throws(() => new IpAllocator('fd00::/108'), ServiceCidrError);
  assert.throws(() => new PortAllocator('32767-30000'), PortRangeError);
  assert.throws(() => new PortAllocator('abc'), PortRangeError);
});

test('node ports: every port of a small range once, then none', () => {
  const p = new PortAllocator('30000-30099');
  const got = new Set<number>();
  for (let i = 0; i < 100; i++) got.add(p.allocateNext()!);
  assert.equal(got.size, 100);
  assert.ok([...got].every((n) => n >= 30000 && n <= 30099));
  assert.equal(p.allocateNext(), undefined);
  assert.equal(p.allocate(30000), 'allocated');
  assert.equal(p.allocate(29999), 'not-in-range');
});

function svc(name: string, spec: Record<string, unknown>): KubeObject {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec: { type: 'ClusterIP', ports: [{ port: 80, protocol: 'TCP' }], ...spec } };
}

function invalid(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof ApiError && e.code === 422 && message.test(e.message));
}

test('a Service gets an IP; a conflicting or out-of-range request is a 422 as upstream words it', () => {
  const sa = new ServiceAllocator();
  const a = svc('a', { clusterIP: '10.43.0.20' });
  sa.begin(a, undefined).commit();
  assert.deepEqual((a.spec as any).clusterIPs, ['10.43.0.20']);
  assert.deepEqual((a.spec as any).ipFamilies, ['IPv4']);
  invalid(() => sa.begin(svc('b', { clusterIP: '10.43.0.20' }), undefined), /spec\.clusterIPs\[0\]: Invalid value: "10\.43\.0\.20": failed to allocate IP 10\.43\.0\.20: provided IP is already allocated/);
  invalid(() => sa.begin(svc('c', { clusterIP: '10.0.0.1' }), undefined), /provided IP \(10\.0\.0\.1\) is not in the valid range\. The range of valid IPs is 10\.43\.0\.0\/16/);
  invalid(() => sa.begin(svc('d', { clusterIP: 'bogus' }), undefined), /must be a valid IP address/);
  const h = svc('h', { clusterIP: 'None' });
  sa.begin(h, undefined).commit();
  assert.deepEqual((h.spec as any).clusterIPs, ['None']);
  const e = svc('e', { type: 'ExternalName', externalName: 'example.com' });
  sa.begin(e, undefined).commit();
  assert.equal((e.spec as any).clusterIP, undefined);
});

test('a failed write gives back what it reserved; a delete frees the IP and ports', () => {
  const sa = new ServiceAllocator({ nodePortRange: '30000-30010' });
  const a = svc('a', { type: 'NodePort', clusterIP: '10.43.0.30', ports: [{ port: 80, protocol: 'TCP', nodePort: 30005 }] });
  sa.begin(a, undefined).revert();
  assert.ok(!sa.ips.has('10.43.0.30') && !sa.ports.has(30005));
  sa.begin(a, undefined).commit();
  assert.ok(sa.ips.has('10.43.0.30') && sa.ports.has(30005));
  invalid(() => sa.begin(svc('b', { type: 'NodePort', ports: [{ port: 81, protocol: 'TCP', nodePort: 30005 }] }), undefined), /spec\.ports\[0\]\.nodePort: Invalid value: 30005: provided port is already allocated/);
  invalid(() => sa.begin(svc('c', { type: 'NodePort', ports: [{ port: 81, protocol: 'TCP', nodePort: 31000 }] }), undefined), /provided port is not in the valid range\. The range of valid ports is 30000-30010/);
  assert.equal(sa.ips.free, sa.ips.size - 1, 'a refused Service keeps no IP');
  sa.hooks().afterDelete!({ group: '', plural: 'services' } as any, a);
  assert.ok(!sa.ips.has('10.43.0.30') && !sa.ports.has(30005));
});

test('updates keep what they had, and a type change gives node ports and IPs back on commit', () => {
  const sa = new ServiceAllocator();
  const old = svc('a', { type: 'NodePort', ports: [{ port: 53, protocol: 'TCP' }, { port: 53, protocol: 'UDP', nodePort: 30053 }] });
  sa.begin(old, undefined).commit();
  const ports = (old.spec as any).ports;
  assert.ok(Number.isInteger(ports[0].nodePort));
  const ip = (old.spec as any).clusterIP;
  const kept = structuredClone(old);
  delete (kept.spec as any).ports[0].nodePort;
  sa.begin(kept, old).commit();
  assert.equal((kept.spec as any).ports[0].nodePort, ports[0].nodePort, 'left out, kept');
  const toClusterIP = structuredClone(kept);
  (toClusterIP.spec as any).type = 'ClusterIP';
  // the strategy drops what the old type left before validation; the allocator then frees it
  dropTypeDependentFields(toClusterIP.spec as object, kept.spec as object);
  const r = sa.begin(toClusterIP, kept);
  assert.ok(sa.ports.has(30053), 'released only once stored');
  r.commit();
  assert.ok(!sa.ports.has(30053) && !sa.ports.has(ports[0].nodePort));
  assert.equal((toClusterIP.spec as any).ports[0].nodePort, undefined);
  const toExternal = structuredClone(toClusterIP);
  Object.assign(toExternal.spec as object, { type: 'ExternalName', externalName: 'example.com' });
  dropTypeDependentFields(toExternal.spec as object, toClusterIP.spec as object);
  assert.equal((toExternal.spec as any).ipFamilies, undefined);
  sa.begin(toExternal, toClusterIP).commit();
  assert.ok(!sa.ips.has(ip));
  assert.equal((toExternal.spec as any).clusterIP, undefined);
  // a node port the client changed while leaving NodePort stays, for validation to refuse
  const changed = { type: 'ClusterIP', ports: [{ port: 80, nodePort: 30999 }] };
  dropTypeDependentFields(changed, { type: 'NodePort', ports: [{ port: 80, nodePort: 30111 }] });
  assert.equal(changed.ports[0].nodePort, 30999);
});

test('state rebuilt from stored Services refuses what they hold', () => {
  const first = new ServiceAllocator();
  const stored = [svc('a', { clusterIP: '' }), svc('b', { type: 'NodePort', ports: [{ port: 1, protocol: 'TCP' }] })];
  for (const s of stored) first.begin(s, undefined).commit();
  const second = new ServiceAllocator();
  second.load(stored);
  invalid(() => second.begin(svc('c', { clusterIP: (stored[0].spec as any).clusterIP }), undefined), /already allocated/);
  invalid(() => second.begin(svc('d', { type: 'NodePort', ports: [{ port: 2, protocol: 'TCP', nodePort: (stored[1].spec as any).ports[0].nodePort }] }), undefined), /already allocated/);
});

test('a full range is an error, not a silent duplicate', () => {
  const sa = new ServiceAllocator({ serviceCIDR: '10.43.0.0/30' });
  sa.begin(svc('a', {}), undefined).commit();
  sa.begin(svc('b', {}), undefined).commit();
  assert.throws(() => sa.begin(svc('c', {}), undefined), /range is full/);
});

test('nodePort 0 means none: not stored, and a later change to NodePort allocates one', () => {
  const sa = new ServiceAllocator({ nodePortRange: '30000-30010' });
  // what `kubectl create service clusterip` sends
  const old = svc('a', { type: 'ClusterIP', ports: [{ port: 80, protocol: 'TCP', nodePort: 0 }], healthCheckNodePort: 0 });
  sa.begin(old, undefined).commit();
  assert.deepEqual((old.spec as any).ports, [{ port: 80, protocol: 'TCP' }]);
  assert.equal((old.spec as any).healthCheckNodePort, undefined);
  const next = svc('a', { ...structuredClone(old.spec as object), type: 'NodePort' });
  (next.spec as any).ports[0].nodePort = 0;
  sa.begin(next, { ...old, spec: { ...(old.spec as object), ports: [{ port: 80, protocol: 'TCP', nodePort: 0 }] } } as KubeObject).commit();
  const got = (next.spec as any).ports[0].nodePort;
  assert.ok(got >= 30000 && got <= 30010, `allocated ${got}`);
});
