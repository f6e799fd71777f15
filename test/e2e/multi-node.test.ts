// Three real nodes on one machine (a network namespace each, joined by a
// test-made switch namespace): pods reach each other across nodes by pod IP,
// Services balance over ready endpoints by ClusterIP and NodePort, and a pod
// that turns unready leaves the rotation. Real kubectl, real runc, nftables.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { k, kubectl, until as waitUntil } from './harness.js';
import { startCluster, type Cluster } from './cluster-harness.js';

// this file's waits are slower (nodes joining): a longer default than the harness's
const until = <T,>(what: string, fn: () => T | undefined | false, ms = 60_000) => waitUntil(what, fn, ms);

const HTTPD = 'mkdir -p /www && hostname > /www/index.html && touch /tmp/ready && exec httpd -f -p 8080 -h /www';
const get = (ip: string, port: number) => `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 2 ${ip} ${port} | tail -n 1`;

describe('a three-node cluster', () => {
  let c: Cluster;
  const json = (args: string[]) => JSON.parse(k(c.s, [...args, '-o', 'json']));

  before(async () => {
    // nodes on one segment: host-gw routes (vxlan, the default, has test/e2e/vxlan.test.ts and network-policy)
    c = await startCluster('mn', 3, {}, { backend: 'host-gw' });
  });
  after(async () => {
    await c?.stop();
  });

  test('nodes are Ready with their own pod CIDRs, and each routes to the others', async () => {
    const nodes = await until('3 ready nodes', () => {
      const items = json(['get', 'nodes']).items as any[];
      return items.length === 3 && items.every((n) => n.spec.podCIDR && n.status.conditions.some((x: any) => x.type === 'Ready' && x.status === 'True')) ? items : undefined;
    });
    const cidrs = nodes.map((n) => n.spec.podCIDR);
    assert.equal(new Set(cidrs).size, 3, `distinct pod CIDRs: ${cidrs}`);
    for (const n of c.nodes) {
      const others = nodes.filter((x) => x.metadata.name !== n.name);
      await until(`routes on ${n.name}`, () => {
        const routes = c.inNetns(n.netns, 'ip', ['route', 'show', 'proto', '177']);
        return others.every((o) => routes.includes(`${o.spec.podCIDR} via ${o.status.addresses.find((a: any) => a.type === 'InternalIP').address}`));
      }, 20_000);
    }
  });

  test('agents joined with the token hold their own node identity; a wrong token is refused', async () => {
    const kc = readFileSync(join(c.nodes[1]!.dataDir, 'agent/tls/kubelet.kubeconfig'), 'utf8');
    assert.match(kc, /system:node:mn-n1/);
    const token = readFileSync(join(c.s.dataDir, 'node-token'), 'utf8').trim();
    assert.match(token, /^K10[0-9a-f]{64}::server:[0-9a-f]+$/);
    const server = `https://${c.nodes[0]!.ip}:${c.s.port}`;
    const tryJoin = (t: string) =>
      spawnSync('nsenter', [`--net=/var/run/netns/${c.nodes[2]!.netns}`, process.execPath, '--import', 'tsx', 'src/cli/main.ts', 'agent', '--server', server, '--token', t, '--node-name', 'intruder', '--data-dir', mkdtempSync(join(tmpdir(), 'skiff-intruder-'))], { encoding: 'utf8', timeout: 30_000 });
    const wrongSecret = tryJoin(token.replace(/server:.*/, 'server:not-the-secret'));
    assert.notEqual(wrongSecret.status, 0);
    assert.match(wrongSecret.stderr, /join token is not valid/);
    const wrongCa = tryJoin(`K10${'0'.repeat(64)}::server:whatever`);
    assert.notEqual(wrongCa.status, 0);
    assert.match(wrongCa.stderr, /does not match the join token/);
    assert.ok(!JSON.parse(k(c.s, ['get', 'nodes', '-o', 'json'])).items.some((n: any) => n.metadata.name === 'intruder'));
  });

  test('pods on different nodes reach each other by pod IP', async () => {
    for (const [i, n] of c.nodes.entries()) {
      k(c.s, ['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: `p${i}` }, spec: { nodeName: n.name, terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', HTTPD] }] } }));
    }
    const ips = await until('three pods with IPs', () => {
      const got = [0, 1, 2].map((i) => json(['get', 'pod', `p${i}`]).status);
      return got.every((s) => s.phase === 'Running' && s.podIP) ? got.map((s) => s.podIP as string) : undefined;
    });
    for (const target of [1, 2]) {
      const out = await until(`p0 -> p${target}`, () => {
        const r = kubectl(c.s, ['exec', 'p0', '--', 'sh', '-c', get(ips[target]!, 8080)]);
        return r.stdout.includes(`p${target}`) ? r.stdout : undefined;
      }, 20_000);
      assert.match(out, new RegExp(`p${target}`));
    }
    k(c.s, ['delete', 'pod', 'p0', 'p1', 'p2', '--grace-period=1']);
  });

  test('a Service spreads requests over all ready replicas by ClusterIP, and NodePort answers on every node', async () => {
    k(c.s, ['apply', '-f', '-'], JSON.stringify({
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' },
      spec: {
        replicas: 3, selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: {
            terminationGracePeriodSeconds: 1,
            containers: [{ name: 'httpd', image: 'busybox', command: ['sh', '-c', HTTPD], ports: [{ name: 'http', containerPort: 8080 }], resources: { requests: { cpu: '500m' } }, readinessProbe: { exec: { command: ['cat', '/tmp/ready'] }, periodSeconds: 1 } }],
          },
        },
      },
    }));
    k(c.s, ['expose', 'deployment', 'web', '--port', '80', '--target-port', 'http', '--type', 'NodePort']);
    k(c.s, ['run', 'client', '--image=busybox', '--restart=Never', '--', 'sleep', '3600']);
    await until('web available', () => json(['get', 'deploy', 'web']).status.availableReplicas === 3);
    const names = (json(['get', 'pods', '-l', 'app=web']).items as any[]).map((p) => p.metadata.name as string);
    const svc = json(['get', 'svc', 'web']);
    const clusterIP = svc.spec.clusterIP as string;
    const nodePort = svc.spec.ports[0].nodePort as number;
    assert.match(clusterIP, /^10\.43\./);
    await until('client running', () => json(['get', 'pod', 'client']).status.phase === 'Running');

    const seen = await until('all replicas answer through the ClusterIP', () => {
      const out = kubectl(c.s, ['exec', 'client', '--', 'sh', '-c', `for i in $(seq 24); do ${get(clusterIP, 80)}; done`]).stdout;
      const answered = new Set(out.split('\n').map((l) => l.trim()).filter(Boolean));
      return names.every((n) => answered.has(n)) ? answered : undefined;
    }, 30_000);
    assert.deepEqual([...seen].filter((n) => !names.includes(n)), [], 'only the service\'s pods answer');

    for (const n of c.nodes) {
      const out = await until(`NodePort on ${n.name}`, () => {
        const r = c.inNetns(c.client.netns, 'busybox', ['sh', '-c', get(n.ip, nodePort)]);
        return names.some((x) => r.includes(x)) ? r : undefined;
      }, 20_000);
      assert.ok(names.some((x) => out.includes(x)));
    }
  });

  test('cluster DNS: service names resolve from pods, headless services give pod addresses, SRV for named ports', async () => {
    const clusterIP = json(['get', 'svc', 'web']).spec.clusterIP as string;
    const resolv = k(c.s, ['exec', 'client', '--', 'cat', '/etc/resolv.conf']);
    assert.match(resolv, /nameserver 10\.43\.0\.10/);
    assert.match(resolv, /search default\.svc\.cluster\.local svc\.cluster\.local cluster\.local/);
    assert.match(resolv, /options ndots:5/);
    const lookup = (args: string) => kubectl(c.s, ['exec', 'client', '--', 'sh', '-c', `nslookup ${args}`]);
    const full = await until('web.default.svc.cluster.local resolves', () => {
      const r = lookup('web.default.svc.cluster.local');
      return r.stdout.includes(clusterIP) ? r.stdout : undefined;
    }, 20_000);
    assert.match(full, new RegExp(clusterIP.replace(/\./g, '\\.')));
    // the short name through the search path, then traffic to what it names
    assert.match(lookup('web').stdout, new RegExp(clusterIP.replace(/\./g, '\\.')));
    assert.match(kubectl(c.s, ['exec', 'client', '--', 'sh', '-c', `ip=$(nslookup web.default.svc.cluster.local | awk '/^Address/ {a=$2} END {print a}'); ${get('$ip', 80)}`]).stdout, /web-/);
    // the API server's own Service, from inside a pod
    assert.match(lookup('kubernetes.default.svc.cluster.local').stdout, /10\.43\.0\.1\b/);
    assert.match(lookup('no-such-service.default.svc.cluster.local').stdout + lookup('no-such-service.default.svc.cluster.local').stderr, /NXDOMAIN|can't find/);

    k(c.s, ['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web-headless' }, spec: { clusterIP: 'None', selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] } }));
    const podIPs = (json(['get', 'pods', '-l', 'app=web']).items as any[]).map((p) => p.status.podIP as string);
    const headless = await until('headless name lists the pods', () => {
      const out = lookup('web-headless.default.svc.cluster.local').stdout;
      return podIPs.every((ip) => out.includes(ip)) ? out : undefined;
    }, 20_000);
    assert.ok(!headless.includes(clusterIP));
    // SRV for the named port of a headless Service: a record per ready endpoint, its port (8080) and a name per pod address
    const srv = lookup('-type=srv _http._tcp.web-headless.default.svc.cluster.local').stdout;
    assert.match(srv, /service = 0 100 8080 10-42-\d+-\d+\.web-headless\.default\.svc\.cluster\.local/);
  });

  test('a replica that turns unready leaves the rotation, and comes back', async () => {
    const svc = json(['get', 'svc', 'web']);
    const clusterIP = svc.spec.clusterIP as string;
    const victim = (json(['get', 'pods', '-l', 'app=web']).items as any[])[0].metadata.name as string;
    k(c.s, ['exec', victim, '--', 'rm', '/tmp/ready']);
    await until('victim unready in its EndpointSlice', () => {
      const slices = json(['get', 'endpointslices', '-l', 'kubernetes.io/service-name=web']).items as any[];
      return slices.flatMap((s) => s.endpoints ?? []).some((e: any) => e.targetRef?.name === victim && e.conditions?.ready === false);
    }, 20_000);
    // the proxy follows the slice at once: from now on the victim never answers
    await new Promise((r) => setTimeout(r, 500));
    const out = kubectl(c.s, ['exec', 'client', '--', 'sh', '-c', `for i in $(seq 20); do ${get(clusterIP, 80)}; done`]).stdout;
    assert.ok(!out.includes(victim), `unready ${victim} got traffic:\n${out}`);
    assert.ok(out.trim().split('\n').length >= 18, `the others keep answering:\n${out}`);
    k(c.s, ['exec', victim, '--', 'touch', '/tmp/ready']);
    await until('victim back in rotation', () => kubectl(c.s, ['exec', 'client', '--', 'sh', '-c', `for i in $(seq 20); do ${get(clusterIP, 80)}; done`]).stdout.includes(victim), 20_000);
  });

  test('a LoadBalancer Service gets the nodes\' addresses and answers there; an Ingress routes by host and path on every node', async () => {
    k(c.s, ['expose', 'deployment', 'web', '--name', 'web-lb', '--port', '8088', '--target-port', 'http', '--type', 'LoadBalancer']);
    const ips = await until('load balancer addresses', () => {
      const ing = json(['get', 'svc', 'web-lb']).status?.loadBalancer?.ingress as any[] | undefined;
      return ing?.length === 3 ? ing.map((i) => i.ip as string).sort() : undefined;
    }, 20_000);
    assert.deepEqual(ips, c.nodes.map((n) => n.ip).sort());
    assert.match(k(c.s, ['get', 'svc', 'web-lb']), new RegExp(c.nodes[0]!.ip.replace(/\./g, '\\.')));
    for (const n of c.nodes) {
      await until(`LoadBalancer port on ${n.name}`, () => /web-/.test(c.inNetns(c.client.netns, 'busybox', ['sh', '-c', get(n.ip, 8088)])), 20_000);
    }

    k(c.s, ['apply', '-f', '-'], JSON.stringify({
      apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'site' },
      spec: { rules: [
        { host: 'web.test', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } },
        { host: 'missing.test', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'nothing-here', port: { number: 80 } } } }] } },
      ] },
    }));
    assert.equal(JSON.parse(k(c.s, ['get', 'ingressclass', 'skiff', '-o', 'json'])).spec.controller, 'skiff.io/ingress');
    await until('ingress status', () => (json(['get', 'ingress', 'site']).status?.loadBalancer?.ingress ?? []).length === 3, 20_000);
    const req = (ip: string, host: string, path = '/') => c.inNetns(c.client.netns, 'busybox', ['sh', '-c', `(printf 'GET ${path} HTTP/1.0\\r\\nHost: ${host}\\r\\n\\r\\n'; sleep 1) | busybox nc -w 3 ${ip} 80`]);
    for (const n of c.nodes) {
      const out = await until(`ingress on ${n.name}`, () => {
        const r = req(n.ip, 'web.test');
        return /200 OK/.test(r) && /web-/.test(r) ? r : undefined;
      }, 20_000);
      assert.match(out, /web-/);
    }
    assert.match(req(c.nodes[1]!.ip, 'unknown.test'), /404/);
    assert.match(req(c.nodes[1]!.ip, 'missing.test'), /503/);

    // TLS: the certificate of the Ingress's spec.tls Secret by SNI, plain HTTP redirected, others get the default certificate
    const dir = mkdtempSync(join(tmpdir(), 'skiff-ingress-tls-'));
    spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=web.test', '-addext', 'subjectAltName=DNS:web.test', '-keyout', join(dir, 'tls.key'), '-out', join(dir, 'tls.crt')], { stdio: 'ignore' });
    k(c.s, ['create', 'secret', 'tls', 'web-tls', '--cert', join(dir, 'tls.crt'), '--key', join(dir, 'tls.key')]);
    k(c.s, ['patch', 'ingress', 'site', '--type=merge', '-p', JSON.stringify({ spec: { tls: [{ hosts: ['web.test'], secretName: 'web-tls' }] } })]);
    const https = (ip: string, host: string, extra: string[] = []) => spawnSync('nsenter', [`--net=/var/run/netns/${c.client.netns}`, 'curl', '-sS', '--max-time', '5', '--resolve', `${host}:443:${ip}`, ...extra, `https://${host}/`], { encoding: 'utf8' });
    for (const n of c.nodes) {
      // curl verifies the chain and the name against the test's own certificate: a wrong or default certificate fails
      const out = await until(`https on ${n.name}`, () => {
        const r = https(n.ip, 'web.test', ['--cacert', join(dir, 'tls.crt')]);
        return r.status === 0 && /web-/.test(r.stdout) ? r.stdout : undefined;
      }, 20_000);
      assert.match(out, /web-/);
    }
    assert.match(req(c.nodes[0]!.ip, 'web.test', '/x?y=1'), /308 Permanent Redirect[\s\S]*location: https:\/\/web\.test\/x\?y=1/i);
    const other = spawnSync('nsenter', [`--net=/var/run/netns/${c.client.netns}`, 'openssl', 's_client', '-connect', `${c.nodes[2]!.ip}:443`, '-servername', 'other.test'], { encoding: 'utf8', input: '', timeout: 10_000 });
    assert.match(other.stdout, /Kubernetes Ingress Controller Fake Certificate/, other.stdout + other.stderr);
    k(c.s, ['delete', 'ingress', 'site']);
    k(c.s, ['delete', 'secret', 'web-tls']);
    rmSync(dir, { recursive: true, force: true });
    k(c.s, ['delete', 'svc', 'web-lb']);
  });

  test('NetworkPolicy: deny-all ingress, then allow from a label, enforced across nodes and through the ClusterIP', async () => {
    const clusterIP = json(['get', 'svc', 'web']).spec.clusterIP as string;
    const webIPs = (json(['get', 'pods', '-l', 'app=web']).items as any[]).map((p) => p.status.podIP as string);
    k(c.s, ['run', 'friend', '--image=busybox', '--restart=Never', '--labels=role=friend', '--', 'sleep', '3600']);
    await until('friend running', () => json(['get', 'pod', 'friend']).status.phase === 'Running');
    const reaches = (from: string, ip: string, port: number) => /web-/.test(kubectl(c.s, ['exec', from, '--', 'sh', '-c', `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 2 ${ip} ${port} | tail -n 1`]).stdout);
    assert.ok(reaches('client', clusterIP, 80), 'open before any policy');

    k(c.s, ['apply', '-f', '-'], JSON.stringify({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'web-deny' }, spec: { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Ingress'] } }));
    await until('deny-all enforced on every web pod', () => webIPs.every((ip) => !reaches('client', ip, 8080)), 30_000);
    assert.ok(!reaches('client', clusterIP, 80));
    assert.ok(!reaches('friend', webIPs[0]!, 8080));

    k(c.s, ['apply', '-f', '-'], JSON.stringify({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'web-allow-friends' }, spec: { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ podSelector: { matchLabels: { role: 'friend' } } }], ports: [{ port: 'http' }] }] } }));
    await until('friends let in to every web pod', () => webIPs.every((ip) => reaches('friend', ip, 8080)), 30_000);
    assert.ok(reaches('friend', clusterIP, 80));
    assert.ok(webIPs.every((ip) => !reaches('client', ip, 8080)), 'others still kept out');

    k(c.s, ['delete', 'networkpolicy', 'web-deny', 'web-allow-friends']);
    await until('open again', () => webIPs.every((ip) => reaches('client', ip, 8080)), 30_000);
    k(c.s, ['delete', 'pod', 'friend', '--grace-period=1']);
  });

  test('scaled to zero, the service refuses at once; scaled back, it answers again', async () => {
    const svc = json(['get', 'svc', 'web']);
    const clusterIP = svc.spec.clusterIP as string;
    const nodePort = svc.spec.ports[0].nodePort as number;
    k(c.s, ['scale', 'deployment', 'web', '--replicas=0']);
    await until('no endpoints', () => (json(['get', 'endpointslices', '-l', 'kubernetes.io/service-name=web']).items as any[]).every((s) => !(s.endpoints ?? []).length));
    await new Promise((r) => setTimeout(r, 300));
    // refused, not a timeout: nc -w 5 would take 5 s to give up on a silent drop
    const started = Date.now();
    const r = kubectl(c.s, ['exec', 'client', '--', 'sh', '-c', `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 5 ${clusterIP} 80; echo rc=$?`]);
    assert.match(r.stdout + r.stderr, /rc=1/);
    assert.ok(Date.now() - started < 4000, 'the connection was refused, not left to time out');
    assert.throws(() => c.inNetns(c.client.netns, 'busybox', ['sh', '-c', `printf x | busybox nc -w 5 ${c.nodes[1]!.ip} ${nodePort} || exit 7`]));
    k(c.s, ['scale', 'deployment', 'web', '--replicas=3']);
    await until('answers again', () => /web-/.test(kubectl(c.s, ['exec', 'client', '--', 'sh', '-c', get(clusterIP, 80)]).stdout), 40_000);
  });
});
