// A pod's resolv.conf per dnsPolicy, as upstream's kubelet builds it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { podResolvConf, podResolvConfText } from '../../../src/kubelet/dns-config.js';
import type { KubeObject } from '../../../src/api/object.js';

const HOST = 'nameserver 192.168.1.1\nnameserver 192.168.1.2\nsearch corp.example lab.example.\noptions edns0 timeout:2\n';
const node = { clusterDNS: ['10.43.0.10'], hostResolvConf: HOST };

function pod(spec: Record<string, unknown>, namespace = 'shop'): KubeObject {
  return { metadata: { name: 'p', namespace }, spec: { containers: [], ...spec } };
}

test('ClusterFirst (the default): cluster DNS, the namespace search path then the host search, ndots:5', () => {
  assert.equal(
    podResolvConfText(pod({}), node),
    'nameserver 10.43.0.10\nsearch shop.svc.cluster.local svc.cluster.local cluster.local corp.example lab.example\noptions ndots:5\n',
  );
});

test('Default: the node resolv.conf as is', () => {
  assert.deepEqual(podResolvConf(pod({ dnsPolicy: 'Default' }), node), { nameservers: ['192.168.1.1', '192.168.1.2'], search: ['corp.example', 'lab.example'], options: ['edns0', 'timeout:2'] });
});

test('hostNetwork pods use the node DNS under ClusterFirst, the cluster DNS under ClusterFirstWithHostNet', () => {
  assert.deepEqual(podResolvConf(pod({ hostNetwork: true }), node).nameservers, ['192.168.1.1', '192.168.1.2']);
  assert.deepEqual(podResolvConf(pod({ hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' }), node).nameservers, ['10.43.0.10']);
});

test('None: only dnsConfig; dnsConfig merges into the others (options by name, at most 3 nameservers)', () => {
  const none = pod({ dnsPolicy: 'None', dnsConfig: { nameservers: ['1.1.1.1'], searches: ['a.example'], options: [{ name: 'ndots', value: '2' }, { name: 'rotate' }] } });
  assert.equal(podResolvConfText(none, node), 'nameserver 1.1.1.1\nsearch a.example\noptions ndots:2 rotate\n');
  const merged = podResolvConf(pod({ dnsConfig: { nameservers: ['1.1.1.1', '8.8.8.8', '9.9.9.9'], searches: ['extra.example'], options: [{ name: 'ndots', value: '1' }] } }), node);
  assert.deepEqual(merged.nameservers, ['10.43.0.10', '1.1.1.1', '8.8.8.8']);
  assert.equal(merged.search.at(-1), 'extra.example');
  assert.deepEqual(merged.options, ['ndots:1']);
});

test('no cluster DNS configured: ClusterFirst falls back to the node DNS; search lists are capped', () => {
  assert.deepEqual(podResolvConf(pod({}), { clusterDNS: [], hostResolvConf: HOST }).nameservers, ['192.168.1.1', '192.168.1.2']);
  const many = Array.from({ length: 40 }, (_, i) => `d${i}.example`);
  assert.equal(podResolvConf(pod({ dnsConfig: { searches: many } }), node).search.length, 32);
});
