// The vxlan backend's reconciliation plan: which nodes are peers, and the
// commands that take the kernel's entries (parsed from real `ip -j` /
// `bridge -j` output shapes) to what the peers need, stale ones removed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../../src/api/object.js';
import { backendAnnotations } from '../../../src/network/backend-annotations.js';
import { parseOverlayState, planOverlay, publishedVtepMac, vtepAddress, wantedPeers, type OverlayState, type VxlanPeer } from '../../../src/network/vxlan/vxlan-plan.js';

const DEV = 'skiff.vxlan';

function node(name: string, podCIDR: string | undefined, ip: string | undefined, mac?: string, backend: 'vxlan' | 'host-gw' = 'vxlan'): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, annotations: mac || backend === 'host-gw' ? backendAnnotations(backend, ip ?? '', backend === 'vxlan' ? { VNI: 1, VtepMAC: mac } : null) : {} },
    spec: podCIDR ? { podCIDR } : {},
    status: { addresses: ip ? [{ type: 'InternalIP', address: ip }, { type: 'Hostname', address: name }] : [] },
  } as KubeObject;
}

const empty = (): OverlayState => ({ routes: new Map(), neighbours: new Map(), fdb: new Map() });
const peer = (n: string, cidr: string, mac: string, ip: string): VxlanPeer => ({ node: n, podCIDR: cidr, vtepIP: vtepAddress(cidr), vtepMac: mac, nodeIP: ip });

test('the VTEP address is the network address of the pod CIDR', () => {
  assert.equal(vtepAddress('10.42.3.0/24'), '10.42.3.0');
  assert.equal(vtepAddress('10.42.3.77/24'), '10.42.3.0');
  assert.equal(vtepAddress('10.42.128.0/17'), '10.42.128.0');
});

test('peers: every other node with a pod CIDR, an IPv4 InternalIP and a published VTEP MAC', () => {
  const nodes = [
    node('self', '10.42.0.0/24', '172.30.1.11', 'aa:aa:aa:aa:aa:00'),
    node('b', '10.42.1.0/24', '172.30.2.11', 'AA:AA:AA:AA:AA:01'),
    node('no-cidr', undefined, '172.30.3.11', 'aa:aa:aa:aa:aa:02'),
    node('no-ip', '10.42.3.0/24', undefined, 'aa:aa:aa:aa:aa:03'),
    node('v6', '10.42.4.0/24', 'fd00::4', 'aa:aa:aa:aa:aa:04'),
    node('loop', '10.42.5.0/24', '127.0.0.1', 'aa:aa:aa:aa:aa:05'),
    node('not-yet', '10.42.6.0/24', '172.30.6.11'),
    node('hostgw', '10.42.7.0/24', '172.30.7.11', undefined, 'host-gw'),
  ];
  assert.deepEqual(wantedPeers(nodes, 'self'), [{ node: 'b', podCIDR: '10.42.1.0/24', vtepIP: '10.42.1.0', vtepMac: 'aa:aa:aa:aa:aa:01', nodeIP: '172.30.2.11' }]);
});

test('a published MAC is read only from vxlan backend data that holds a MAC', () => {
  const withData = (data: string) => ({ metadata: { name: 'x', annotations: { 'flannel.alpha.coreos.com/backend-type': 'vxlan', 'flannel.alpha.coreos.com/backend-data': data } } }) as KubeObject;
  assert.equal(publishedVtepMac(withData('{"VNI":1,"VtepMAC":"0a:0b:0c:0d:0e:0f"}')), '0a:0b:0c:0d:0e:0f');
  assert.equal(publishedVtepMac(withData('{"VNI":1}')), undefined);
  assert.equal(publishedVtepMac(withData('{"VtepMAC":"not a mac"}')), undefined);
  assert.equal(publishedVtepMac(withData('{broken')), undefined);
  assert.equal(publishedVtepMac(withData('null')), undefined);
});

test('a new peer gets an fdb entry, then a neighbour, then the onlink route', () => {
  const plan = planOverlay([peer('b', '10.42.1.0/24', 'aa:aa:aa:aa:aa:01', '172.30.2.11')], empty(), DEV, '177');
  assert.deepEqual(plan, [
    { cmd: 'bridge', args: ['fdb', 'replace', 'aa:aa:aa:aa:aa:01', 'dev', DEV, 'dst', '172.30.2.11', 'self', 'permanent'] },
    { cmd: 'ip', args: ['neigh', 'replace', '10.42.1.0', 'lladdr', 'aa:aa:aa:aa:aa:01', 'dev', DEV, 'nud', 'permanent'] },
    { cmd: 'ip', args: ['route', 'replace', '10.42.1.0/24', 'via', '10.42.1.0', 'dev', DEV, 'onlink', 'proto', '177'] },
  ]);
});

// shapes as iproute2 6.1 prints them for these entries
const ROUTES = '[{"dst":"10.42.1.0/24","gateway":"10.42.1.0","dev":"skiff.vxlan","flags":["onlink"]},{"dst":"10.42.2.0/24","gateway":"10.42.2.0","dev":"skiff.vxlan","flags":["onlink"]}]';
const NEIGH = '[{"dst":"10.42.1.0","lladdr":"aa:aa:aa:aa:aa:01","state":["PERMANENT"]},{"dst":"10.42.2.0","lladdr":"aa:aa:aa:aa:aa:02","state":["PERMANENT"]},{"dst":"10.42.9.9","lladdr":"aa:aa:aa:aa:aa:09","state":["STALE"]}]';
const FDB = '[{"mac":"aa:aa:aa:aa:aa:01","dst":"172.30.2.11","flags":["self"],"state":"permanent"},{"mac":"aa:aa:aa:aa:aa:02","dst":"172.30.3.11","flags":["self"],"state":"permanent"},{"mac":"00:00:00:00:00:00","dst":"172.30.3.11","flags":["self"],"state":"permanent"}]';

test('current entries parse from ip and bridge JSON; the kernel\'s own (not permanent, all-zero MAC) are not ours', () => {
  const st = parseOverlayState(ROUTES, NEIGH, FDB);
  assert.deepEqual([...st.routes], [
    ['10.42.1.0/24', { via: '10.42.1.0', dev: DEV, onlink: true }],
    ['10.42.2.0/24', { via: '10.42.2.0', dev: DEV, onlink: true }],
  ]);
  assert.deepEqual([...st.neighbours], [['10.42.1.0', 'aa:aa:aa:aa:aa:01'], ['10.42.2.0', 'aa:aa:aa:aa:aa:02']]);
  assert.deepEqual([...st.fdb], [['aa:aa:aa:aa:aa:01', '172.30.2.11'], ['aa:aa:aa:aa:aa:02', '172.30.3.11']]);
  const none = parseOverlayState('', '[]', '\n');
  assert.equal(none.routes.size + none.neighbours.size + none.fdb.size, 0);
});

test('entries already right are left alone; a gone node\'s route, neighbour and fdb entry are removed in that order', () => {
  const have = parseOverlayState(ROUTES, NEIGH, FDB);
  const plan = planOverlay([peer('b', '10.42.1.0/24', 'aa:aa:aa:aa:aa:01', '172.30.2.11')], have, DEV, '177');
  assert.deepEqual(plan, [
    { cmd: 'ip', args: ['route', 'del', '10.42.2.0/24', 'proto', '177'] },
    { cmd: 'ip', args: ['neigh', 'del', '10.42.2.0', 'dev', DEV] },
    { cmd: 'bridge', args: ['fdb', 'del', 'aa:aa:aa:aa:aa:02', 'dev', DEV, 'dst', '172.30.3.11', 'self'] },
  ]);
  // every node gone: everything of ours goes
  assert.equal(planOverlay([], have, DEV, '177').length, 6);
});

test('a node that changed its address or MAC gets its entries replaced and the old MAC dropped', () => {
  const have = parseOverlayState(ROUTES, NEIGH, FDB);
  const moved = planOverlay([peer('b', '10.42.1.0/24', 'aa:aa:aa:aa:aa:01', '172.30.9.11'), peer('c', '10.42.2.0/24', 'aa:aa:aa:aa:aa:02', '172.30.3.11')], have, DEV, '177');
  assert.deepEqual(moved, [{ cmd: 'bridge', args: ['fdb', 'replace', 'aa:aa:aa:aa:aa:01', 'dev', DEV, 'dst', '172.30.9.11', 'self', 'permanent'] }]);
  const remade = planOverlay([peer('b', '10.42.1.0/24', 'bb:bb:bb:bb:bb:01', '172.30.2.11'), peer('c', '10.42.2.0/24', 'aa:aa:aa:aa:aa:02', '172.30.3.11')], have, DEV, '177');
  assert.deepEqual(remade, [
    { cmd: 'bridge', args: ['fdb', 'replace', 'bb:bb:bb:bb:bb:01', 'dev', DEV, 'dst', '172.30.2.11', 'self', 'permanent'] },
    { cmd: 'ip', args: ['neigh', 'replace', '10.42.1.0', 'lladdr', 'bb:bb:bb:bb:bb:01', 'dev', DEV, 'nud', 'permanent'] },
    { cmd: 'bridge', args: ['fdb', 'del', 'aa:aa:aa:aa:aa:01', 'dev', DEV, 'dst', '172.30.2.11', 'self'] },
  ]);
});

test('a host-gw route left from before (via the node, not onlink) is replaced by the overlay route', () => {
  const have = parseOverlayState('[{"dst":"10.42.1.0/24","gateway":"172.30.2.11","dev":"eth0"}]', '', '');
  const plan = planOverlay([peer('b', '10.42.1.0/24', 'aa:aa:aa:aa:aa:01', '172.30.2.11')], have, DEV, '177');
  assert.deepEqual(plan.at(-1), { cmd: 'ip', args: ['route', 'replace', '10.42.1.0/24', 'via', '10.42.1.0', 'dev', DEV, 'onlink', 'proto', '177'] });
  assert.equal(plan.length, 3);
});

test('applying a plan and planning again gives nothing to do', () => {
  const peers = [peer('b', '10.42.1.0/24', 'aa:aa:aa:aa:aa:01', '172.30.2.11'), peer('c', '10.42.2.0/24', 'aa:aa:aa:aa:aa:02', '172.30.3.11')];
  const st = parseOverlayState('[{"dst":"10.42.7.0/24","gateway":"10.42.7.0","dev":"skiff.vxlan","flags":["onlink"]}]', '', '');
  // a tiny model of the kernel applying the commands
  for (const { args } of planOverlay(peers, st, DEV, '177')) {
    const [what, op, key] = args;
    if (what === 'route') {
      if (op === 'replace') st.routes.set(key!, { via: args[4]!, dev: args[6], onlink: true });
      else st.routes.delete(key!);
    }
    if (what === 'neigh') {
      if (op === 'replace') st.neighbours.set(key!, args[4]!);
      else st.neighbours.delete(key!);
    }
    if (what === 'fdb') {
      if (op === 'replace') st.fdb.set(key!, args[6]!);
      else st.fdb.delete(key!);
    }
  }
  assert.deepEqual(planOverlay(peers, st, DEV, '177'), []);
  assert.equal(st.routes.size, 2);
});
