// Pod-to-pod across two nodes, host-gw routes vs the vxlan overlay, same run,
// same wire: two node namespaces joined by a veth, a pod namespace behind each
// node's bridge (as the CNI bridge plugin makes it). The vxlan entries are the
// ones skiff's planner writes (planOverlay); host-gw is a route via the other
// node. Prints TCP throughput (one stream) and request/response latency
// (1-byte ping-pong). Every namespace is made here (root needed); the root
// namespace is never changed. Both ends are Node.js sockets, so on a busy
// machine the figures are CPU-bound: compare the two backends within one run
// (they alternate, twice each).
// Run: node --import tsx bench/overlay-datapath.ts [megabytes=512] [roundTrips=5000]
import { execFileSync, spawn } from 'node:child_process';
import { planOverlay, vtepAddress, VXLAN_DEVICE, VXLAN_OVERHEAD, VXLAN_PORT, VXLAN_VNI } from '../src/network/vxlan/vxlan-plan.js';
import { ROUTE_PROTO } from '../src/network/node-routes.js';
import { makeNetns, removeNetns } from '../test/e2e/netns.js';

const megabytes = Number(process.argv[2] ?? 512);
const roundTrips = Number(process.argv[3] ?? 5000);

const sh = (cmd: string, args: string[]) => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const ipn = (ns: string, args: string[]) => sh('ip', ['-n', ns, ...args]);

// in the receiving pod: 5001 counts bytes and answers with the count; 5002 echoes
const SERVER = `
const net = require('net');
net.createServer((s) => { let n = 0; s.on('data', (d) => (n += d.length)); s.on('end', () => s.end(String(n))); }).listen(5001);
net.createServer((s) => { s.setNoDelay(true); s.pipe(s); }).listen(5002, () => console.log('listening'));
`;
// in the sending pod: one stream of MB megabytes, then RT one-byte round trips
const CLIENT = `
const net = require('net'); const [ip, mb, rt] = process.argv.slice(1);
const stream = () => new Promise((resolve) => { const s = net.connect(5001, ip); const chunk = Buffer.alloc(1 << 16); let left = Number(mb) * 16; const t = process.hrtime.bigint(); let reply = '';
  const pump = () => { while (left > 0) { left--; if (!s.write(chunk)) return s.once('drain', pump); } s.end(); };
  s.on('connect', pump); s.on('data', (d) => (reply += d)); s.on('close', () => resolve({ bytes: Number(reply), ms: Number(process.hrtime.bigint() - t) / 1e6 })); });
const pingpong = () => new Promise((resolve) => { const s = net.connect(5002, ip); s.setNoDelay(true); const lat = []; let t;
  const one = () => { t = process.hrtime.bigint(); s.write('x'); };
  s.on('connect', one); s.on('data', () => { lat.push(Number(process.hrtime.bigint() - t) / 1e3); if (lat.length < Number(rt)) one(); else { s.destroy(); resolve(lat); } }); });
(async () => { const st = await stream(); const lat = (await pingpong()).sort((a, b) => a - b);
  console.log(JSON.stringify({ mbps: (st.bytes * 8) / 1e6 / (st.ms / 1000), bytes: st.bytes, p50us: lat[Math.floor(lat.length / 2)], p99us: lat[Math.floor(lat.length * 0.99)] })); })();
`;

interface Pair {
  made: string[];
  nodes: { ns: string; ip: string; cidr: string }[];
  pods: { ns: string; ip: string }[];
}

/** two nodes on one wire, a pod behind each node's bridge */
function build(backend: 'host-gw' | 'vxlan'): Pair {
  const made: string[] = [];
  const mk = (p: string) => {
    const ns = makeNetns(p);
    made.push(ns);
    return ns;
  };
  const nodes = [0, 1].map((i) => ({ ns: mk(`bov-n${i}`), ip: `172.29.0.${i + 1}`, cidr: `10.42.${i}.0/24` }));
  ipn(nodes[0]!.ns, ['link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', nodes[1]!.ns]);
  const mtu = backend === 'vxlan' ? 1500 - VXLAN_OVERHEAD : 1500;
  const pods = nodes.map((n, i) => {
    ipn(n.ns, ['addr', 'add', `${n.ip}/24`, 'dev', 'eth0']);
    ipn(n.ns, ['link', 'set', 'eth0', 'up']);
    sh('nsenter', [`--net=/var/run/netns/${n.ns}`, 'sysctl', '-qw', 'net.ipv4.ip_forward=1']);
    ipn(n.ns, ['link', 'add', 'cni0', 'type', 'bridge']);
    ipn(n.ns, ['addr', 'add', `10.42.${i}.1/24`, 'dev', 'cni0']);
    ipn(n.ns, ['link', 'set', 'cni0', 'mtu', String(mtu), 'up']);
    const pod = mk(`bov-p${i}`);
    ipn(n.ns, ['link', 'add', 'veth0', 'mtu', String(mtu), 'type', 'veth', 'peer', 'name', 'eth0', 'netns', pod]);
    ipn(n.ns, ['link', 'set', 'veth0', 'master', 'cni0', 'up']);
    ipn(pod, ['addr', 'add', `10.42.${i}.10/24`, 'dev', 'eth0']);
    ipn(pod, ['link', 'set', 'eth0', 'up']);
    ipn(pod, ['route', 'add', 'default', 'via', `10.42.${i}.1`]);
    return { ns: pod, ip: `10.42.${i}.10` };
  });
  const macs: string[] = [];
  if (backend === 'vxlan') {
    for (const n of nodes) {
      ipn(n.ns, ['link', 'add', VXLAN_DEVICE, 'type', 'vxlan', 'id', String(VXLAN_VNI), 'local', n.ip, 'dev', 'eth0', 'dstport', String(VXLAN_PORT), 'nolearning']);
      ipn(n.ns, ['link', 'set', VXLAN_DEVICE, 'mtu', String(mtu), 'up']);
      ipn(n.ns, ['addr', 'add', `${vtepAddress(n.cidr)}/32`, 'dev', VXLAN_DEVICE]);
      macs.push((JSON.parse(ipn(n.ns, ['-j', 'link', 'show', VXLAN_DEVICE]))[0].address as string));
    }
  }
  nodes.forEach((n, i) => {
    const other = nodes[1 - i]!;
    if (backend === 'host-gw') ipn(n.ns, ['route', 'add', other.cidr, 'via', other.ip, 'proto', ROUTE_PROTO]);
    else {
      const peer = { node: `n${1 - i}`, podCIDR: other.cidr, vtepIP: vtepAddress(other.cidr), vtepMac: macs[1 - i]!, nodeIP: other.ip };
      for (const c of planOverlay([peer], { routes: new Map(), neighbours: new Map(), fdb: new Map() }, VXLAN_DEVICE, ROUTE_PROTO)) sh(c.cmd, ['-n', n.ns, ...c.args]);
    }
  });
  return { made, nodes, pods };
}

async function measure(backend: 'host-gw' | 'vxlan'): Promise<Record<string, number>> {
  const p = build(backend);
  let server: ReturnType<typeof spawn> | undefined;
  try {
    server = spawn('nsenter', [`--net=/var/run/netns/${p.pods[1]!.ns}`, process.execPath, '-e', SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise((r) => server!.stdout!.once('data', r));
    // `node -e CODE a b`: the arguments start at argv[1]
    const out = sh('nsenter', [`--net=/var/run/netns/${p.pods[0]!.ns}`, process.execPath, '-e', CLIENT, p.pods[1]!.ip, String(megabytes), String(roundTrips)]);
    return JSON.parse(out) as Record<string, number>;
  } finally {
    server?.kill();
    for (const ns of p.made) removeNetns(ns);
  }
}

const rows: Record<string, Record<string, number>> = {};
for (const backend of ['host-gw', 'vxlan', 'host-gw', 'vxlan'] as const) {
  const r = await measure(backend);
  rows[backend] = rows[backend] ? { mbps: Math.max(rows[backend]!.mbps!, r.mbps!), p50us: Math.min(rows[backend]!.p50us!, r.p50us!), p99us: Math.min(rows[backend]!.p99us!, r.p99us!) } : r;
  console.log(`${backend.padEnd(8)} ${r.mbps!.toFixed(0).padStart(6)} Mbit/s  rtt p50 ${r.p50us!.toFixed(0)} µs  p99 ${r.p99us!.toFixed(0)} µs  (${megabytes} MB, ${roundTrips} round trips)`);
}
const h = rows['host-gw']!;
const v = rows.vxlan!;
console.log(`best of two: vxlan throughput ${((v.mbps! / h.mbps!) * 100).toFixed(0)}% of host-gw; rtt p50 ${v.p50us!.toFixed(0)} vs ${h.p50us!.toFixed(0)} µs`);
