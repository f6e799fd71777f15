// Two real nodes on different subnets behind a router namespace the test made:
// no shared L2, so routes via the other node's address (host-gw) cannot work.
// With the vxlan backend pods reach each other by pod IP and through a
// ClusterIP across the nodes, the overlay holds one route, neighbour and fdb
// entry per other node, and a node removed from the cluster takes them away.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { k, kubectl, until } from './harness.js';
import { startCluster, type Cluster } from './cluster-harness.js';

// index.html names the pod; big is 300 kB, far more than one packet, so a wrong MTU shows
const HTTPD = 'mkdir -p /www && hostname > /www/index.html && head -c 300000 /dev/zero > /www/big && exec httpd -f -p 8080 -h /www';
const get = (ip: string, port: number, path = '/') => `printf 'GET ${path} HTTP/1.0\\r\\n\\r\\n' | timeout 5 nc ${ip} ${port}`;

describe('two nodes on different subnets with the vxlan backend', () => {
  let c: Cluster;
  const json = (args: string[]) => JSON.parse(k(c.s, [...args, '-o', 'json']));
  const inNode = (i: number, cmd: string, args: string[]) => c.inNetns(c.nodes[i]!.netns, cmd, args);
  let nodes: any[] = [];

  before(async () => {
    c = await startCluster('vx', 2, {}, { backend: 'vxlan', routed: true });
  });
  after(async () => {
    await c?.stop();
  });

  test('each node has its VTEP, publishes it, and holds a route, neighbour and fdb entry for the other', async () => {
    // the topology is what it claims: the other node is not on-link, so a host-gw route is refused
    const hostGw = spawnSync('nsenter', [`--net=/var/run/netns/${c.nodes[0]!.netns}`, 'ip', 'route', 'add', '10.99.0.0/24', 'via', c.nodes[1]!.ip], { encoding: 'utf8' });
    assert.notEqual(hostGw.status, 0);
    assert.match(hostGw.stderr, /invalid gateway|unreachable/i);
    nodes = await until('both nodes with pod CIDRs and VTEP MACs', () => {
      const items = json(['get', 'nodes']).items as any[];
      return items.length === 2 && items.every((n) => n.spec.podCIDR && n.metadata.annotations?.['flannel.alpha.coreos.com/backend-data']?.includes('VtepMAC')) ? items : undefined;
    });
    for (const [i, n] of c.nodes.entries()) {
      const me = nodes.find((x) => x.metadata.name === n.name)!;
      const other = nodes.find((x) => x.metadata.name !== n.name)!;
      const [dev] = JSON.parse(inNode(i, 'ip', ['-d', '-j', 'addr', 'show', 'dev', 'skiff.vxlan']));
      const info = dev.linkinfo.info_data;
      assert.deepEqual({ id: info.id, port: info.port, local: info.local, learning: info.learning }, { id: 1, port: 8472, local: n.ip, learning: false });
      assert.equal(dev.mtu, 1450, 'underlay MTU 1500 less 50 bytes of VXLAN headers');
      const vtep = me.spec.podCIDR.replace(/\/\d+$/, '');
      assert.deepEqual(dev.addr_info.filter((a: any) => a.family === 'inet').map((a: any) => `${a.local}/${a.prefixlen}`), [`${vtep}/32`]);
      const a = me.metadata.annotations;
      assert.equal(a['flannel.alpha.coreos.com/backend-type'], 'vxlan');
      assert.deepEqual(JSON.parse(a['flannel.alpha.coreos.com/backend-data']), { VNI: 1, VtepMAC: dev.address });
      assert.equal(a['flannel.alpha.coreos.com/public-ip'], n.ip);

      const otherVtep = other.spec.podCIDR.replace(/\/\d+$/, '');
      const otherMac = JSON.parse(other.metadata.annotations['flannel.alpha.coreos.com/backend-data']).VtepMAC;
      const otherIp = other.status.addresses.find((x: any) => x.type === 'InternalIP').address;
      await until(`overlay entries on ${n.name}`, () => {
        const routes = inNode(i, 'ip', ['route', 'show', 'proto', '177']);
        const neigh = inNode(i, 'ip', ['neigh', 'show', 'dev', 'skiff.vxlan']);
        const fdb = inNode(i, 'bridge', ['fdb', 'show', 'dev', 'skiff.vxlan']);
        return routes.includes(`${other.spec.podCIDR} via ${otherVtep} dev skiff.vxlan onlink`) && neigh.includes(`${otherVtep} lladdr ${otherMac} PERMANENT`) && fdb.includes(`${otherMac} dst ${otherIp} self permanent`);
      }, 20_000);
    }
  });

  test('pods on the two nodes reach each other by pod IP, whole files included, at the overlay MTU', async () => {
    for (const [i, n] of c.nodes.entries()) {
      k(c.s, ['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: `p${i}`, labels: { app: `web${i}` } }, spec: { nodeName: n.name, terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', HTTPD], ports: [{ containerPort: 8080 }] }] } }));
    }
    const ips = await until('two pods with IPs', () => {
      const got = [0, 1].map((i) => json(['get', 'pod', `p${i}`]).status);
      return got.every((s) => s.phase === 'Running' && s.podIP) ? got.map((s) => s.podIP as string) : undefined;
    }, 45_000);
    for (const [from, to] of [[0, 1], [1, 0]] as const) {
      const out = await until(`p${from} -> p${to}`, () => {
        const r = kubectl(c.s, ['exec', `p${from}`, '--', 'sh', '-c', get(ips[to]!, 8080)]);
        return r.stdout.includes(`p${to}`) ? r.stdout : undefined;
      }, 20_000);
      assert.match(out, new RegExp(`p${to}`));
      assert.equal(kubectl(c.s, ['exec', `p${from}`, '--', 'cat', '/sys/class/net/eth0/mtu']).stdout.trim(), '1450');
    }
    const bytes = k(c.s, ['exec', 'p0', '--', 'sh', '-c', `${get(ips[1]!, 8080, '/big')} | wc -c`]).trim();
    assert.ok(Number(bytes) > 300_000, `the whole 300 kB file crossed the overlay (got ${bytes} bytes with headers)`);
  });

  test('a ClusterIP Service on one node answers a pod on the other', async () => {
    k(c.s, ['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web1' }, spec: { selector: { app: 'web1' }, ports: [{ port: 80, targetPort: 8080 }] } }));
    const clusterIP = json(['get', 'svc', 'web1']).spec.clusterIP as string;
    const out = await until('p0 -> web1 ClusterIP (p1 on the other node)', () => {
      const r = kubectl(c.s, ['exec', 'p0', '--', 'sh', '-c', get(clusterIP, 80)]);
      return r.stdout.includes('p1') ? r.stdout : undefined;
    }, 20_000);
    assert.match(out, /p1/);
  });

  test('a node removed from the cluster leaves no route, neighbour or fdb entry on the other', async () => {
    const gone = nodes.find((x) => x.metadata.name === c.nodes[1]!.name)!;
    const vtep = gone.spec.podCIDR.replace(/\/\d+$/, '');
    const mac = JSON.parse(gone.metadata.annotations['flannel.alpha.coreos.com/backend-data']).VtepMAC as string;
    // entries are there before
    assert.match(inNode(0, 'bridge', ['fdb', 'show', 'dev', 'skiff.vxlan']), new RegExp(mac));
    await c.stopAgent(1);
    k(c.s, ['delete', 'node', c.nodes[1]!.name]);
    await until('the overlay forgets the node', () => {
      const routes = inNode(0, 'ip', ['route', 'show', 'proto', '177']);
      const neigh = inNode(0, 'ip', ['neigh', 'show', 'dev', 'skiff.vxlan']);
      const fdb = inNode(0, 'bridge', ['fdb', 'show', 'dev', 'skiff.vxlan']);
      return !routes.includes(gone.spec.podCIDR) && !neigh.includes(vtep) && !fdb.includes(mac);
    }, 20_000);
    assert.equal(inNode(0, 'ip', ['route', 'show', 'proto', '177']).trim(), '');
    // no kubelet is left to confirm its pod's end
    k(c.s, ['delete', 'pod', 'p1', '--force', '--grace-period=0']);
  });
});
