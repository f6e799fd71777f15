// Services against a real `skiff server` with the real kubectl: ClusterIPs and
// node ports allocated (and refused as upstream refuses them), kept over a
// restart, the `kubernetes` and `kube-dns` Services, EndpointSlices and
// Endpoints following pods; then the cluster DNS server (ClusterDns, fed by
// informers on that server) asked by `dig` on 127.0.0.1; last, on three real
// nodes, a rolling update under constant traffic without a failed request.
//
// No node runs here, so nothing gives pods addresses: the test plays the kubelet
// and writes pod status (podIP, the Ready condition) through pods/status, as a
// kubelet would.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import dgram from 'node:dgram';
import { promisify } from 'node:util';
import * as dnsPacket from 'dns-packet';
import { k, kubectl, freePort, startServer, until, type ServerHandle } from './harness.js';
import { startCluster, type Cluster } from './cluster-harness.js';
import { runTraffic, startTraffic, type TrafficFailure } from './http-traffic.js';
import { loadKubeconfig } from '../../src/client/kubeconfig.js';
import { RestClient } from '../../src/client/rest-client.js';
import { SharedInformerFactory } from '../../src/client/informer.js';
import { ClusterDns } from '../../src/network/dns/cluster-dns.js';

const run = promisify(execFile);

function json(s: ServerHandle, args: string[]): any {
  return JSON.parse(k(s, [...args, '-o', 'json']));
}

/** The fake kubelet: a pod's address and readiness, written through the status subresource. */
function setPodStatus(s: ServerHandle, name: string, ip: string, ready: boolean, namespace = 'default'): void {
  const status = { phase: 'Running', podIP: ip, podIPs: [{ ip }], conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] };
  k(s, ['-n', namespace, 'patch', 'pod', name, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status })]);
}

function refused(s: ServerHandle, args: string[], message: RegExp): void {
  const r = kubectl(s, args);
  assert.notEqual(r.code, 0, `${args.join(' ')} should fail`);
  assert.match(r.stderr, /is invalid/, 'a 422 Invalid');
  assert.match(r.stderr, message);
}

describe('services', () => {
  let s: ServerHandle;
  before(async () => {
    s = await startServer({ args: ['--service-node-port-range', '30000-30999'] });
  });
  after(() => s?.cleanup());

  test('the server keeps the kubernetes Service (first IP, 443 -> its port, endpoints at itself) and kube-dns (10.43.0.10)', async () => {
    const svc = json(s, ['get', 'svc', 'kubernetes']);
    assert.equal(svc.spec.clusterIP, '10.43.0.1');
    assert.deepEqual(svc.spec.ports.map((p: any) => [p.name, p.port, p.targetPort]), [['https', 443, s.port]]);
    const ep = await until('kubernetes endpoints', () => kubectl(s, ['get', 'endpoints', 'kubernetes', '-o', 'json']).stdout);
    assert.deepEqual(JSON.parse(ep).subsets[0].ports[0].port, s.port);
    const slice = json(s, ['get', 'endpointslice', 'kubernetes']);
    assert.equal(slice.ports[0].port, s.port);
    const dns = json(s, ['-n', 'kube-system', 'get', 'svc', 'kube-dns']);
    assert.equal(dns.spec.clusterIP, '10.43.0.10');
    assert.deepEqual(dns.spec.ports.map((p: any) => `${p.port}/${p.protocol}`), ['53/UDP', '53/TCP', '9153/TCP']);
    assert.deepEqual(dns.spec.selector, { 'k8s-app': 'kube-dns' });
    // a deleted kubernetes Endpoints comes back (the repair loop runs every 10 s)
    k(s, ['delete', 'endpoints', 'kubernetes']);
    await until('kubernetes endpoints restored', () => kubectl(s, ['get', 'endpoints', 'kubernetes']).code === 0, 15_000);
  });

  test('kubectl create service clusterip/nodeport: IPs from 10.43.0.0/16, node ports from the range, requests honoured', () => {
    k(s, ['create', 'service', 'clusterip', 'alpha', '--tcp=80:8080']);
    const alpha = json(s, ['get', 'svc', 'alpha']);
    assert.match(alpha.spec.clusterIP, /^10\.43\.\d+\.\d+$/);
    assert.deepEqual(alpha.spec.clusterIPs, [alpha.spec.clusterIP]);
    assert.deepEqual(alpha.spec.ipFamilies, ['IPv4']);
    assert.equal(alpha.spec.ipFamilyPolicy, 'SingleStack');
    k(s, ['create', 'service', 'nodeport', 'beta', '--tcp=80:8080']);
    const beta = json(s, ['get', 'svc', 'beta']);
    assert.ok(beta.spec.ports[0].nodePort >= 30000 && beta.spec.ports[0].nodePort <= 30999, `nodePort ${beta.spec.ports[0].nodePort} in range`);
    k(s, ['create', 'service', 'nodeport', 'gamma', '--tcp=80:8080', '--node-port=30080']);
    assert.equal(json(s, ['get', 'svc', 'gamma']).spec.ports[0].nodePort, 30080);
    k(s, ['create', 'service', 'clusterip', 'delta', '--tcp=80', '--clusterip=10.43.0.77']);
    assert.equal(json(s, ['get', 'svc', 'delta']).spec.clusterIP, '10.43.0.77');
    k(s, ['create', 'service', 'clusterip', 'headless', '--clusterip=None']);
    assert.deepEqual(json(s, ['get', 'svc', 'headless']).spec.clusterIPs, ['None']);
    k(s, ['create', 'service', 'externalname', 'outside', '--external-name=example.com']);
    assert.equal(json(s, ['get', 'svc', 'outside']).spec.clusterIP, undefined);
  });

  test('requested IPs and ports that are taken or out of range are 422s; delete and type change give them back', () => {
    refused(s, ['create', 'service', 'clusterip', 'dup-ip', '--tcp=80', '--clusterip=10.43.0.10'], /spec\.clusterIPs\[0\]: Invalid value: "10\.43\.0\.10": failed to allocate IP 10\.43\.0\.10: provided IP is already allocated/);
    refused(s, ['create', 'service', 'clusterip', 'far-ip', '--tcp=80', '--clusterip=192.168.1.1'], /the provided IP \(192\.168\.1\.1\) is not in the valid range\. The range of valid IPs is 10\.43\.0\.0\/16/);
    refused(s, ['create', 'service', 'nodeport', 'dup-port', '--tcp=80', '--node-port=30080'], /spec\.ports\[0\]\.nodePort: Invalid value: 30080: provided port is already allocated/);
    refused(s, ['create', 'service', 'nodeport', 'far-port', '--tcp=80', '--node-port=31500'], /provided port is not in the valid range\. The range of valid ports is 30000-30999/);
    assert.equal(kubectl(s, ['get', 'svc', 'dup-ip']).code, 1, 'nothing was stored');
    // a dry run checks but holds nothing
    k(s, ['create', 'service', 'clusterip', 'dry', '--tcp=80', '--clusterip=10.43.0.88', '--dry-run=server']);
    k(s, ['create', 'service', 'clusterip', 'wet', '--tcp=80', '--clusterip=10.43.0.88']);
    k(s, ['delete', 'svc', 'gamma']);
    k(s, ['create', 'service', 'nodeport', 'gamma2', '--tcp=80', '--node-port=30080']);
    k(s, ['delete', 'svc', 'delta']);
    k(s, ['create', 'service', 'clusterip', 'delta2', '--tcp=80', '--clusterip=10.43.0.77']);
    // NodePort -> ClusterIP hands its node port back
    k(s, ['patch', 'svc', 'gamma2', '--type=merge', '-p', '{"spec":{"type":"ClusterIP"}}']);
    assert.equal(json(s, ['get', 'svc', 'gamma2']).spec.ports[0].nodePort, undefined);
    k(s, ['create', 'service', 'nodeport', 'gamma3', '--tcp=80', '--node-port=30080']);
    // ClusterIP -> ExternalName gives the IP back
    const gammaIP = json(s, ['get', 'svc', 'gamma2']).spec.clusterIP;
    k(s, ['patch', 'svc', 'gamma2', '--type=merge', '-p', '{"spec":{"type":"ExternalName","externalName":"example.com"}}']);
    const ext = json(s, ['get', 'svc', 'gamma2']).spec;
    assert.equal(ext.clusterIP, undefined);
    assert.equal(ext.ipFamilies, undefined);
    k(s, ['create', 'service', 'clusterip', 'gamma4', '--tcp=80', `--clusterip=${gammaIP}`]);
    // a replace that leaves the IP empty keeps it
    const alpha = json(s, ['get', 'svc', 'alpha']);
    const replaced = { ...alpha, spec: { ...alpha.spec, clusterIP: '', clusterIPs: [] } };
    k(s, ['replace', '-f', '-'], JSON.stringify(replaced));
    assert.equal(json(s, ['get', 'svc', 'alpha']).spec.clusterIP, alpha.spec.clusterIP);
    // the ClusterIP is immutable
    const r = kubectl(s, ['patch', 'svc', 'alpha', '--type=merge', '-p', '{"spec":{"clusterIP":"10.43.0.99","clusterIPs":["10.43.0.99"]}}']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /immutable/);
  });

  test('concurrent creates never share an IP: one of many asking for the same IP wins, dynamic ones all differ', async () => {
    const create = (name: string, extra: string[]) => run('kubectl', ['create', 'service', 'clusterip', name, '--tcp=80', ...extra], { env: { ...process.env, KUBECONFIG: s.kubeconfig } }).then(() => true, () => false);
    const same = await Promise.all(Array.from({ length: 8 }, (_, i) => create(`race-${i}`, ['--clusterip=10.43.0.200'])));
    assert.equal(same.filter(Boolean).length, 1);
    const dynamic = await Promise.all(Array.from({ length: 8 }, (_, i) => create(`many-${i}`, [])));
    assert.ok(dynamic.every(Boolean));
    const ips = json(s, ['get', 'svc']).items.map((x: any) => x.spec.clusterIP).filter((ip: string) => ip !== 'None' && ip);
    assert.equal(new Set(ips).size, ips.length, `no IP twice: ${ips.join(' ')}`);
    const np = kubectl(s, ['create', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'headless-np' }, spec: { type: 'NodePort', clusterIP: 'None', ports: [{ port: 80 }] } }));
    assert.notEqual(np.code, 0);
    assert.match(np.stderr, /is invalid: spec\.clusterIPs\[0\]: Invalid value: "None": may not be set to 'None' for NodePort services/);
  });

  test('kubectl expose; EndpointSlices and Endpoints follow pod readiness (the test writes pod status as a kubelet would)', async () => {
    const deploy = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'busybox', ports: [{ name: 'http', containerPort: 8080 }] }] } },
      },
    };
    k(s, ['apply', '-f', '-'], JSON.stringify(deploy));
    k(s, ['expose', 'deployment', 'web', '--port=80', '--target-port=http']);
    const svc = json(s, ['get', 'svc', 'web']);
    assert.deepEqual(svc.spec.selector, { app: 'web' });
    const pods = await until('two pods', () => {
      const items = json(s, ['get', 'pods', '-l', 'app=web']).items;
      return items.length === 2 && items;
    });
    // no addresses yet: one empty slice, as upstream's placeholder
    const empty = await until('placeholder slice', () => json(s, ['get', 'endpointslice', '-l', 'kubernetes.io/service-name=web']).items[0]);
    assert.deepEqual(empty.endpoints ?? [], []);
    assert.equal(empty.metadata.labels['endpointslice.kubernetes.io/managed-by'], 'endpointslice-controller.k8s.io');
    assert.deepEqual(empty.metadata.ownerReferences.map((o: any) => [o.kind, o.name, o.uid, o.controller]), [['Service', 'web', svc.metadata.uid, true]]);
    const [a, b] = pods.map((p: any) => p.metadata.name).sort();
    setPodStatus(s, a, '10.42.0.11', true);
    setPodStatus(s, b, '10.42.0.12', false);
    const slice = await until('slice with both pods', () => {
      const sl = json(s, ['get', 'endpointslice', '-l', 'kubernetes.io/service-name=web']).items[0];
      return sl?.endpoints?.length === 2 && sl;
    });
    assert.deepEqual(slice.ports, [{ name: '', port: 8080, protocol: 'TCP' }], 'the named targetPort resolved in the pod');
    const byIp = Object.fromEntries(slice.endpoints.map((e: any) => [e.addresses[0], e]));
    assert.deepEqual(byIp['10.42.0.11'].conditions, { ready: true, serving: true, terminating: false });
    assert.deepEqual(byIp['10.42.0.12'].conditions, { ready: false, serving: false, terminating: false });
    assert.equal(byIp['10.42.0.11'].targetRef.name, a);
    const ep = await until('endpoints', () => {
      const e = json(s, ['get', 'endpoints', 'web']);
      return e.subsets?.[0]?.notReadyAddresses?.length === 1 && e;
    });
    assert.deepEqual(ep.subsets[0].addresses.map((x: any) => x.ip), ['10.42.0.11']);
    assert.deepEqual(ep.subsets[0].notReadyAddresses.map((x: any) => x.ip), ['10.42.0.12']);
    assert.deepEqual(ep.subsets[0].ports, [{ port: 8080, protocol: 'TCP' }]);
    // readiness flips both ways
    setPodStatus(s, b, '10.42.0.12', true);
    setPodStatus(s, a, '10.42.0.11', false);
    await until('slice follows readiness', () => {
      const sl = json(s, ['get', 'endpointslice', '-l', 'kubernetes.io/service-name=web']).items[0];
      const ready = Object.fromEntries((sl?.endpoints ?? []).map((e: any) => [e.addresses[0], e.conditions.ready]));
      return ready['10.42.0.11'] === false && ready['10.42.0.12'] === true;
    });
    await until('endpoints follow readiness', () => json(s, ['get', 'endpoints', 'web']).subsets?.[0]?.addresses?.[0]?.ip === '10.42.0.12');
    // publishNotReadyAddresses: every address counts as ready
    k(s, ['patch', 'svc', 'web', '--type=merge', '-p', '{"spec":{"publishNotReadyAddresses":true}}']);
    await until('all ready when publishing not-ready addresses', () => (json(s, ['get', 'endpoints', 'web']).subsets?.[0]?.addresses?.length ?? 0) === 2);
    // the Service goes, its Endpoints go, its slices go with it (garbage collector, owner references)
    k(s, ['delete', 'svc', 'web']);
    await until('endpoints removed', () => kubectl(s, ['get', 'endpoints', 'web']).code === 1);
    await until('slices collected', () => json(s, ['get', 'endpointslice', '-l', 'kubernetes.io/service-name=web']).items.length === 0, 20_000);
  });

  test('a restart keeps every allocation and refuses what is held', async () => {
    const before = Object.fromEntries(json(s, ['get', 'svc', '-A']).items.map((x: any) => [`${x.metadata.namespace}/${x.metadata.name}`, [x.spec.clusterIP, x.spec.ports?.map((p: any) => p.nodePort)]]));
    assert.equal(await s.stop(), 0);
    s = await startServer({ dataDir: s.dataDir, port: s.port, args: ['--service-node-port-range', '30000-30999'] });
    const afterRestart = Object.fromEntries(json(s, ['get', 'svc', '-A']).items.map((x: any) => [`${x.metadata.namespace}/${x.metadata.name}`, [x.spec.clusterIP, x.spec.ports?.map((p: any) => p.nodePort)]]));
    assert.deepEqual(afterRestart, before);
    const beta = json(s, ['get', 'svc', 'beta']);
    refused(s, ['create', 'service', 'clusterip', 'steal-ip', '--tcp=80', `--clusterip=${beta.spec.clusterIP}`], /provided IP is already allocated/);
    refused(s, ['create', 'service', 'nodeport', 'steal-port', '--tcp=80', `--node-port=${beta.spec.ports[0].nodePort}`], /provided port is already allocated/);
    refused(s, ['create', 'service', 'nodeport', 'steal-port2', '--tcp=80', '--node-port=30080'], /provided port is already allocated/);
  });

  describe('cluster DNS (ClusterDns on 127.0.0.1, informers on this server, queried by dig)', () => {
    let factory: SharedInformerFactory;
    let client: RestClient;
    let dns: ClusterDns;
    let quiet: ClusterDns;
    let upstream: dgram.Socket;
    let silent: dgram.Socket;
    let port: number;

    async function dig(...args: string[]): Promise<string> {
      const { stdout } = await run('dig', ['@127.0.0.1', '-p', String(port), '+tries=1', '+time=5', ...args], { encoding: 'utf8' });
      return stdout;
    }
    const answers = (out: string) =>
      out
        .split('\n')
        .filter((l) => l && !l.startsWith(';'))
        .map((l) => l.split(/\s+/).filter((_, i) => i !== 1).join(' '));

    before(async () => {
      // a stand-in for the node's resolver: answers example.org A 192.0.2.1, over UDP
      upstream = dgram.createSocket('udp4');
      upstream.on('message', (msg, r) => {
        const q = dnsPacket.decode(msg);
        const reply = dnsPacket.encode({ id: q.id, type: 'response', flags: dnsPacket.RECURSION_AVAILABLE, questions: q.questions, answers: [{ type: 'A', name: q.questions![0].name, ttl: 60, data: '192.0.2.1' }] });
        upstream.send(reply, r.port, r.address);
      });
      await new Promise<void>((r) => upstream.bind(0, '127.0.0.1', () => r()));
      // and one that never answers
      silent = dgram.createSocket('udp4');
      await new Promise<void>((r) => silent.bind(0, '127.0.0.1', () => r()));

      client = new RestClient(loadKubeconfig(s.kubeconfig));
      factory = new SharedInformerFactory(client);
      const sources = { services: factory.informerFor({ group: '', version: 'v1', plural: 'services', namespaced: true }), endpointSlices: factory.informerFor({ group: 'discovery.k8s.io', version: 'v1', plural: 'endpointslices', namespaced: true }), pods: factory.informerFor({ group: '', version: 'v1', plural: 'pods', namespaced: true }) };
      dns = new ClusterDns({ ...sources, upstreams: [{ host: '127.0.0.1', port: silent.address().port }, { host: '127.0.0.1', port: upstream.address().port }], upstreamTimeoutMs: 300 });
      port = await freePort();
      await dns.start({ addresses: ['127.0.0.1'], port });
      quiet = new ClusterDns({ ...sources, upstreams: [{ host: '127.0.0.1', port: silent.address().port }], upstreamTimeoutMs: 300 });
      await quiet.start({ addresses: ['127.0.0.1'], port: 0 });
      factory.start();
      await factory.waitForSync();

      // a headless Service whose pods have hostnames, and one big hand-made slice
      k(s, ['create', 'ns', 'dns']);
      const pod = (name: string) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'dns', labels: { app: 'db' } }, spec: { hostname: name, subdomain: 'db', containers: [{ name: 'c', image: 'busybox', ports: [{ name: 'pg', containerPort: 5432 }] }] } });
      const db = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'db', namespace: 'dns' }, spec: { clusterIP: 'None', selector: { app: 'db' }, ports: [{ name: 'pg', port: 5432, targetPort: 'pg' }] } };
      const web = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'dns' }, spec: { clusterIP: '10.43.0.50', ports: [{ name: 'http', port: 80, protocol: 'TCP' }, { name: 'dns', port: 53, protocol: 'UDP' }] } };
      const ext = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'ext', namespace: 'dns' }, spec: { type: 'ExternalName', externalName: 'db.example.com' } };
      const many = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'many', namespace: 'dns' }, spec: { clusterIP: 'None', ports: [{ name: 'x', port: 1 }] } };
      const manySlice = {
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: { name: 'many-1', namespace: 'dns', labels: { 'kubernetes.io/service-name': 'many' } },
        addressType: 'IPv4',
        ports: [{ name: 'x', port: 1, protocol: 'TCP' }],
        endpoints: Array.from({ length: 100 }, (_, i) => ({ addresses: [`10.42.1.${i + 1}`], conditions: { ready: true } })),
      };
      k(s, ['apply', '-f', '-'], [pod('db-0'), pod('db-1'), db, web, ext, many, manySlice].map((o) => JSON.stringify(o)).join('\n'));
      setPodStatus(s, 'db-0', '10.42.0.21', true, 'dns');
      setPodStatus(s, 'db-1', '10.42.0.22', false, 'dns');
    });
    after(async () => {
      await dns?.stop();
      await quiet?.stop();
      factory?.stop();
      client?.close();
      upstream?.close();
      silent?.close();
    });

    test('Service names: ClusterIP A, headless ready endpoints, endpoint hostnames, SRV, ExternalName CNAME', async () => {
      // the informers catch up with the writes above first
      const web = await until('web answers', async () => {
        const a = answers(await dig('+noall', '+answer', 'web.dns.svc.cluster.local'));
        return a.length > 0 && a;
      });
      assert.deepEqual(web, ['web.dns.svc.cluster.local. IN A 10.43.0.50']);
      assert.match(await dig('web.dns.svc.cluster.local'), /flags: qr aa rd ra/, 'authoritative');
      // db-0 is ready, db-1 is not: only db-0 answers (the test wrote their status as a kubelet would)
      const db = await until('headless answer', async () => {
        const a = answers(await dig('+noall', '+answer', 'db.dns.svc.cluster.local'));
        return a.length > 0 && a;
      });
      assert.deepEqual(db, ['db.dns.svc.cluster.local. IN A 10.42.0.21']);
      assert.deepEqual(answers(await dig('+noall', '+answer', 'db-0.db.dns.svc.cluster.local')), ['db-0.db.dns.svc.cluster.local. IN A 10.42.0.21']);
      assert.deepEqual(answers(await dig('+noall', '+answer', 'SRV', '_pg._tcp.db.dns.svc.cluster.local')), ['_pg._tcp.db.dns.svc.cluster.local. IN SRV 0 100 5432 db-0.db.dns.svc.cluster.local.']);
      assert.deepEqual(answers(await dig('+noall', '+answer', 'SRV', '_dns._udp.web.dns.svc.cluster.local')), ['_dns._udp.web.dns.svc.cluster.local. IN SRV 0 100 53 web.dns.svc.cluster.local.']);
      const srvAdditional = await dig('+noall', '+additional', 'SRV', '_http._tcp.web.dns.svc.cluster.local');
      assert.match(srvAdditional, /web\.dns\.svc\.cluster\.local\.\s+5\s+IN\s+A\s+10\.43\.0\.50/);
      assert.deepEqual(answers(await dig('+noall', '+answer', 'ext.dns.svc.cluster.local')).slice(0, 1), ['ext.dns.svc.cluster.local. IN CNAME db.example.com.']);
      // db-1 becomes ready: it joins
      setPodStatus(s, 'db-1', '10.42.0.22', true, 'dns');
      await until('both endpoints answer', async () => answers(await dig('+noall', '+answer', 'db.dns.svc.cluster.local')).length === 2);
    });

    test('PTR for Service and endpoint IPs, pod A records, TTL 5', async () => {
      assert.deepEqual(answers(await dig('+noall', '+answer', '-x', '10.43.0.50')), ['50.0.43.10.in-addr.arpa. IN PTR web.dns.svc.cluster.local.']);
      assert.deepEqual(answers(await dig('+noall', '+answer', '-x', '10.42.0.21')), ['21.0.42.10.in-addr.arpa. IN PTR db-0.db.dns.svc.cluster.local.']);
      assert.deepEqual(answers(await dig('+noall', '+answer', '10-42-0-99.dns.pod.cluster.local')), ['10-42-0-99.dns.pod.cluster.local. IN A 10.42.0.99']);
      assert.match(await dig('+noall', '+answer', 'web.dns.svc.cluster.local'), /\s5\s+IN\s+A/);
    });

    test('NXDOMAIN for names that do not exist, NODATA for names without that type; both with the SOA', async () => {
      const nx = await dig('nope.dns.svc.cluster.local');
      assert.match(nx, /status: NXDOMAIN/);
      assert.match(nx, /AUTHORITY SECTION:\ncluster\.local\.\s+5\s+IN\s+SOA\s+ns\.dns\.cluster\.local\. hostmaster\.cluster\.local\./);
      const nodata = await dig('AAAA', 'web.dns.svc.cluster.local');
      assert.match(nodata, /status: NOERROR/);
      assert.match(nodata, /ANSWER: 0/);
      assert.match(nodata, /IN\s+SOA/);
      assert.match(await dig('_nope._tcp.web.dns.svc.cluster.local', 'SRV'), /status: NXDOMAIN/);
      assert.match(await dig('nonamespace.svc.cluster.local'), /status: NXDOMAIN/);
      assert.match(await dig('dns.svc.cluster.local'), /status: NOERROR/);
    });

    test('a large answer is truncated over UDP and whole over TCP', async () => {
      const udp = await dig('+ignore', '+bufsize=512', 'many.dns.svc.cluster.local');
      assert.match(udp, /flags: qr aa tc rd ra/);
      // as many whole answers as fit in 512 bytes, TC telling the client the rest is over TCP
      const partial = Number(/ANSWER: (\d+)/.exec(udp)?.[1]);
      assert.ok(partial > 0 && partial < 100, `partial answer count ${partial}`);
      const tcp = await dig('+tcp', '+noall', '+answer', 'many.dns.svc.cluster.local');
      assert.equal(answers(tcp).length, 100);
      // dig without +ignore retries over TCP by itself
      assert.equal(answers(await dig('+noall', '+answer', '+bufsize=512', 'many.dns.svc.cluster.local')).length, 100);
    });

    test('other names go to the upstream resolvers (a silent one is skipped); none answering is SERVFAIL', async () => {
      assert.deepEqual(answers(await dig('+noall', '+answer', 'example.org')), ['example.org. IN A 192.0.2.1']);
      const { stdout } = await run('dig', ['@127.0.0.1', '-p', String(quiet.addresses[0].port), '+tries=1', '+time=5', 'example.org'], { encoding: 'utf8' });
      assert.match(stdout, /status: SERVFAIL/);
    });
  });
});

// Three real nodes (test/e2e/cluster-harness.ts): a rolling update of the
// Deployment behind a Service while a host outside the cluster sends it
// constant traffic through node 0. With the usual upstream recipe (a readiness
// probe, so new pods get traffic only once they answer, and a preStop sleep, so
// an old pod keeps serving while its endpoint leaves every node's rules) no
// request may fail. The app stops at once on SIGTERM, as most servers do. The
// sleep is 10 s (the bench's 5 s is plenty on a quiet machine; an endpoint's
// removal took seconds on one loaded to 20 when its controller still retried
// conflicts with back-off).
describe('services on three nodes', () => {
  let c: Cluster;
  before(async () => {
    c = await startCluster('svr', 3);
    execFileSync('ip', ['-n', c.client.netns, 'route', 'add', '10.43.0.0/16', 'via', c.nodes[0]!.ip]);
  });
  after(async () => {
    await c?.stop();
  });

  test('rolling update with readiness probe and preStop sleep under constant traffic: no request fails', async () => {
    const app = `mkdir -p /www && echo ok > /www/index.html && trap 'kill $p; exit 0' TERM; httpd -f -p 8080 -h /www & p=$!; wait`;
    const template = (image: string) => ({
      metadata: { labels: { app: 'roll' } },
      spec: {
        terminationGracePeriodSeconds: 30,
        containers: [{ name: 'c', image, command: ['sh', '-c', app], ports: [{ containerPort: 8080 }], readinessProbe: { httpGet: { path: '/', port: 8080 }, periodSeconds: 1 }, lifecycle: { preStop: { sleep: { seconds: 10 } } } }],
      },
    });
    k(c.s, ['apply', '-f', '-'], JSON.stringify({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'roll' }, spec: { replicas: 3, selector: { matchLabels: { app: 'roll' } }, strategy: { rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } }, template: template('busybox:v1') } }));
    k(c.s, ['expose', 'deployment', 'roll', '--port', '80', '--target-port', '8080']);
    const podsNow = () => (json(c.s, ['get', 'pods', '-l', 'app=roll']).items as any[]).map((p) => ({ name: p.metadata.name as string, image: p.spec.containers[0].image as string, ready: (p.status?.conditions ?? []).some((x: any) => x.type === 'Ready' && x.status === 'True') }));
    const before = await until('3 ready pods', () => {
      const ps = podsNow();
      return ps.length === 3 && ps.every((p) => p.ready) && ps;
    }, 180_000, 500);
    const ip = json(c.s, ['get', 'svc', 'roll']).spec.clusterIP as string;
    // every node's proxy has the endpoints before the traffic starts
    await until('the Service answering from outside', () => runTraffic(c.client.netns, ip, 80, 20, 2).failed === 0, 60_000, 500);

    const failures: TrafficFailure[] = [];
    const traffic = startTraffic(c.client.netns, ip, 80, 4, (f) => failures.push(f));
    await new Promise((r) => setTimeout(r, 1000));
    k(c.s, ['set', 'image', 'deployment/roll', 'c=busybox:v2']);
    const after = await until('3 new ready pods and the old ones gone', () => {
      const ps = podsNow();
      return ps.length === 3 && ps.every((p) => p.ready && p.image === 'busybox:v2') && ps;
    }, 240_000, 500);
    await new Promise((r) => setTimeout(r, 1000));
    const res = await traffic.stop();

    assert.ok(after.every((p) => !before.some((b) => b.name === p.name)), 'every pod was replaced');
    assert.ok(res.ok > 100, `traffic flowed during the update (${res.ok} answered)`);
    assert.equal(res.failed, failures.length);
    assert.equal(failures.length, 0, `failed requests: ${JSON.stringify(failures.slice(0, 20))}`);
  });
});
