// A pod's hostname and managed /etc/hosts, as upstream's kubelet writes them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostNetworkHostsFile, podHostname, podHostsFile } from '../../../src/kubelet/etc-hosts.js';
import type { KubeObject } from '../../../src/api/object.js';

function pod(spec: Record<string, unknown>, name = 'web-0'): KubeObject {
  return { metadata: { name, namespace: 'shop' }, spec: { containers: [], ...spec } };
}

const LOCAL = '# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n';

test('the hostname is spec.hostname, else the pod name cut to 63 without a trailing dash or dot', () => {
  assert.deepEqual(podHostname(pod({})), { hostname: 'web-0', domain: undefined });
  assert.equal(podHostname(pod({ hostname: 'db' })).hostname, 'db');
  const long = `${'a'.repeat(61)}--b`;
  assert.equal(podHostname(pod({}, long)).hostname, 'a'.repeat(61));
});

test('a subdomain gives the pod a fully qualified name in the namespace under the cluster domain', () => {
  assert.deepEqual(podHostname(pod({ hostname: 'web-0', subdomain: 'web' }), 'corp.local'), { hostname: 'web-0', domain: 'web.shop.svc.corp.local' });
  assert.equal(podHostsFile(pod({ subdomain: 'web' }), ['10.42.0.7']), `${LOCAL}10.42.0.7\tweb-0.web.shop.svc.cluster.local\tweb-0\n`);
});

test('the pod file: localhost lines, each pod address, then host aliases', () => {
  const aliases = [{ ip: '10.1.2.3', hostnames: ['foo.local', 'bar.local'] }, { ip: '10.1.2.4', hostnames: [] }];
  assert.equal(
    podHostsFile(pod({ hostAliases: aliases }), ['10.42.0.7', 'fd00::7']),
    `${LOCAL}10.42.0.7\tweb-0\nfd00::7\tweb-0\n\n# Entries added by HostAliases.\n10.1.2.3\tfoo.local\tbar.local\n`,
  );
  assert.equal(podHostsFile(pod({}), []), `${LOCAL}127.0.1.1\tweb-0\n`, 'before an address is known');
});

test('a pod on the node network gets the node file with its aliases', () => {
  assert.equal(hostNetworkHostsFile(pod({}), '127.0.0.1 localhost\n'), '127.0.0.1 localhost\n');
  assert.equal(hostNetworkHostsFile(pod({ hostAliases: [{ ip: '1.2.3.4', hostnames: ['x'] }] }), '127.0.0.1 localhost'), '127.0.0.1 localhost\n\n# Entries added by HostAliases.\n1.2.3.4\tx\n');
});
