// Every pod gets an address from its node's pod CIDR through the CNI plugins;
// pods reach each other by IP, hostNetwork pods use the node's address and
// hostPorts reach the pod. One real node (`skiff up` in a test-made network
// namespace), real runc containers, real kubectl.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { k, kubectl, until } from './harness.js';
import { startNodeCluster, type NodeCluster } from './node-harness.js';


function inRange(ip: string, cidr: string): boolean {
  const toInt = (a: string) => a.split('.').reduce((n, o) => n * 256 + Number(o), 0);
  const [base, bits] = cidr.split('/');
  const size = 2 ** (32 - Number(bits));
  return Math.floor(toInt(ip) / size) === Math.floor(toInt(base!) / size);
}

describe('pod network on a node', () => {
  let c: NodeCluster;
  const pod = (name: string, spec: object) => JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: { app: name } }, spec: { terminationGracePeriodSeconds: 1, ...spec } });
  const get = (name: string) => JSON.parse(k(c.s, ['get', 'pod', name, '-o', 'json']));
  const runningIp = (name: string) => until(`${name} running with an IP`, () => {
    const p = get(name);
    return p.status.phase === 'Running' && p.status.podIP ? (p.status.podIP as string) : undefined;
  });

  before(async () => {
    c = await startNodeCluster('podnet');
  });
  after(async () => {
    await c?.stop();
  });

  test('the node gets a pod CIDR from the cluster CIDR', async () => {
    const cidr = await until('podCIDR', () => JSON.parse(k(c.s, ['get', 'node', c.nodeName, '-o', 'json'])).spec.podCIDR as string | undefined);
    assert.match(cidr, /^10\.42\.\d+\.0\/24$/);
    const node = JSON.parse(k(c.s, ['get', 'node', c.nodeName, '-o', 'json']));
    assert.deepEqual(node.spec.podCIDRs, [cidr]);
    // set once: an attempt to move it is refused
    const r = kubectl(c.s, ['patch', 'node', c.nodeName, '-p', '{"spec":{"podCIDR":"10.99.0.0/24"}}']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /may not change podCIDR/);
  });

  test('an httpd pod is reached by its pod IP from another pod', async () => {
    k(c.s, ['apply', '-f', '-'], pod('web', { containers: [{ name: 'httpd', image: 'busybox', command: ['sh', '-c', 'mkdir -p /www && echo hello-from-web > /www/index.html && exec httpd -f -p 8080 -h /www'], ports: [{ containerPort: 8080 }] }] }));
    const webIp = await runningIp('web');
    const cidr = JSON.parse(k(c.s, ['get', 'node', c.nodeName, '-o', 'json'])).spec.podCIDR as string;
    assert.ok(inRange(webIp, cidr), `${webIp} is in ${cidr}`);
    const p = get('web');
    assert.deepEqual(p.status.podIPs, [{ ip: webIp }]);
    assert.match(k(c.s, ['get', 'pod', 'web', '-o', 'wide']), new RegExp(webIp.replace(/\./g, '\\.')));

    k(c.s, ['apply', '-f', '-'], pod('client', { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', `for i in 1 2 3 4 5 6 7 8 9 10; do printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 2 ${webIp} 8080 && exit 0; sleep 0.5; done; exit 1`] }] }));
    await until('client finished', () => ['Succeeded', 'Failed'].includes(get('client').status.phase));
    assert.equal(get('client').status.phase, 'Succeeded', k(c.s, ['logs', 'client']));
    assert.match(k(c.s, ['logs', 'client']), /hello-from-web/);
    const clientIp = get('client').status.podIP as string;
    assert.ok(clientIp && clientIp !== webIp, 'pods have distinct addresses');

    // the pod's own /etc/hosts names it with its address; the node reaches the pod directly too
    assert.match(k(c.s, ['exec', 'web', '--', 'cat', '/etc/hosts']), new RegExp(`${webIp.replace(/\./g, '\\.')}\\s+web`));
    assert.match(c.inNode('busybox', ['sh', '-c', `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | busybox nc -w 2 ${webIp} 8080`]), /hello-from-web/);
  });

  test('spec.hostname, subdomain and hostAliases make the pod hostname and /etc/hosts', async () => {
    k(c.s, ['apply', '-f', '-'], pod('named', { hostname: 'db-0', subdomain: 'db', hostAliases: [{ ip: '10.9.8.7', hostnames: ['legacy.example', 'old'] }], containers: [{ name: 'c', image: 'busybox', command: ['sleep', '3600'] }] }));
    const ip = await runningIp('named');
    assert.equal(k(c.s, ['exec', 'named', '--', 'hostname']).trim(), 'db-0');
    // HOSTNAME in the environment is that hostname too (containerd sets it from the sandbox's)
    assert.equal(k(c.s, ['exec', 'named', '--', 'sh', '-c', 'echo $HOSTNAME']).trim(), 'db-0');
    const hosts = k(c.s, ['exec', 'named', '--', 'cat', '/etc/hosts']);
    assert.match(hosts, new RegExp(`^${ip.replace(/\./g, '[.]')}\tdb-0[.]db[.]default[.]svc[.]cluster[.]local\tdb-0$`, 'm'));
    assert.match(hosts, /^# Entries added by HostAliases\.\n10\.9\.8\.7\tlegacy\.example\told$/m);
    k(c.s, ['delete', 'pod', 'named', '--grace-period=1']);
  });

  test('a deleted pod gives its address back', async () => {
    const ipam = join(c.s.dataDir, 'agent/cni/ipam/skiff');
    const webIp = get('web').status.podIP as string;
    assert.ok(existsSync(join(ipam, webIp)), 'the address is leased while the pod runs');
    k(c.s, ['delete', 'pod', 'web', 'client', '--grace-period=1']);
    await until('lease released', () => !existsSync(join(ipam, webIp)));
    assert.ok(!readdirSync(ipam).includes(webIp));
  });

  test('hostNetwork pods use the node address; hostPort reaches a pod through the node', async () => {
    k(c.s, ['apply', '-f', '-'], pod('hostnet', { hostNetwork: true, containers: [{ name: 'c', image: 'busybox', command: ['sleep', '3600'] }] }));
    await until('hostnet running', () => get('hostnet').status.phase === 'Running');
    const p = get('hostnet');
    assert.equal(p.status.podIP, p.status.hostIP);
    // the container sees the node's interfaces (the bridge cni0 among them) and the node's hostname, as upstream's runtimes do
    assert.match(k(c.s, ['exec', 'hostnet', '--', 'ip', 'link']), /cni0/);
    assert.equal(k(c.s, ['exec', 'hostnet', '--', 'hostname']).trim(), hostname());
    assert.equal(k(c.s, ['exec', 'hostnet', '--', 'sh', '-c', 'echo $HOSTNAME']).trim(), hostname());

    k(c.s, ['apply', '-f', '-'], pod('hp', { containers: [{ name: 'httpd', image: 'busybox', command: ['sh', '-c', 'mkdir -p /www && echo via-host-port > /www/index.html && exec httpd -f -p 80 -h /www'], ports: [{ containerPort: 80, hostPort: 18080 }] }] }));
    await runningIp('hp');
    const hostIp = get('hp').status.hostIP as string;
    const out = await until('hostPort answers', () => {
      try {
        const r = c.inNode('busybox', ['sh', '-c', `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | busybox nc -w 2 ${hostIp} 18080`]);
        return /via-host-port/.test(r) ? r : undefined;
      } catch {
        return undefined;
      }
    }, 15_000);
    assert.match(out, /via-host-port/);
  });
});
