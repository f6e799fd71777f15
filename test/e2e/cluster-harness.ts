// A cluster of several real nodes on this one machine: every node is a network
// namespace the test made, all joined by veths to a bridge in a "switch"
// namespace (also the test's), with a client namespace on the same segment.
// Node 0 runs `skiff up`; the others join it over that network with the
// server's join token (`skiff agent --server URL --token-file DIR/node-token`). The root network namespace is never touched: links are created
// directly inside the test's namespaces (`ip -n`).
// With `routed`, every node (and the client) sits on a subnet of its own
// behind a router namespace instead: nodes share no L2 segment, so routes
// via another node's address (host-gw) cannot work and only an overlay can.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AGENT_NODE_FLAGS, kubectl, startServer, type ServerHandle } from './harness.js';
import { makeNetns, removeNetns } from './netns.js';
import { removeCgroupParent, removeContainers } from './node-harness.js';

const ROOT = new URL('../../', import.meta.url).pathname;

export interface ClusterNode {
  name: string;
  netns: string;
  ip: string;
  dataDir: string;
}

export interface Cluster {
  s: ServerHandle;
  nodes: ClusterNode[];
  /** a namespace on the nodes' segment, for traffic from outside the cluster */
  client: { netns: string; ip: string };
  cgroupParent: string;
  /** the router namespace between the nodes' subnets (routed clusters only) */
  router?: string;
  /** stops node i's agent (not node 0, which holds the server); its containers stay until stop() */
  stopAgent(i: number): Promise<void>;
  /** runs a command in a namespace of the cluster */
  inNetns(netns: string, cmd: string, args: string[], timeoutMs?: number): string;
  stop(): Promise<void>;
}

function ip(args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

export interface ClusterOptions {
  /** --flannel-backend for every node; skiff's default (vxlan) when not given */
  backend?: 'vxlan' | 'host-gw';
  /** nodes on subnets of their own behind a router (no shared L2) */
  routed?: boolean;
}

export async function startCluster(prefix: string, count = 3, env: Record<string, string> = {}, opts: ClusterOptions = {}): Promise<Cluster> {
  const subnet = `172.31.${10 + Math.floor(Math.random() * 200)}`;
  const backendArgs = opts.backend ? ['--flannel-backend', opts.backend] : [];
  const cgroupParent = `/skiff-e2e-${prefix}-${process.pid}`;
  const made: string[] = [];
  const agents: ChildProcess[] = [];
  const byNode = new Map<string, ChildProcess>();
  const dataDirs: string[] = [];
  let s: ServerHandle | undefined;
  const teardown = async () => {
    for (const a of agents) if (a.exitCode === null) a.kill('SIGTERM');
    await Promise.all(agents.map((a) => (a.exitCode === null ? new Promise((r) => a.once('exit', r)) : undefined)));
    if (s) await s.stop();
    for (const d of dataDirs) removeContainers(d);
    s?.cleanup();
    for (const d of dataDirs.slice(1)) rmSync(d, { recursive: true, force: true });
    for (const n of made) removeNetns(n);
    await removeCgroupParent(cgroupParent);
  };
  try {
    const sw = makeNetns(opts.routed ? `${prefix}-rt` : `${prefix}-sw`);
    made.push(sw);
    if (opts.routed) execFileSync('nsenter', [`--net=/var/run/netns/${sw}`, 'sysctl', '-qw', 'net.ipv4.ip_forward=1']);
    else {
      ip(['-n', sw, 'link', 'add', 'br0', 'type', 'bridge']);
      ip(['-n', sw, 'link', 'set', 'br0', 'up']);
    }
    // switched: one /24 on the bridge; routed: a /24 per attachment, the router at .1 of each
    const addrOf = (idx: number) => (opts.routed ? `172.30.${idx + 1}.${idx === 99 ? 100 : 11}` : `${subnet}.${idx === 99 ? 100 : 11 + idx}`);
    const attach = (netns: string, idx: number) => {
      const addr = addrOf(idx);
      ip(['-n', sw, 'link', 'add', `p${idx}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns]);
      if (opts.routed) ip(['-n', sw, 'addr', 'add', `172.30.${idx + 1}.1/24`, 'dev', `p${idx}`]);
      else ip(['-n', sw, 'link', 'set', `p${idx}`, 'master', 'br0']);
      ip(['-n', sw, 'link', 'set', `p${idx}`, 'up']);
      ip(['-n', netns, 'addr', 'add', `${addr}/24`, 'dev', 'eth0']);
      ip(['-n', netns, 'link', 'set', 'eth0', 'up']);
      if (opts.routed) ip(['-n', netns, 'route', 'add', '172.30.0.0/16', 'via', `172.30.${idx + 1}.1`]);
      return addr;
    };
    const nodes: ClusterNode[] = [];
    for (let i = 0; i < count; i++) {
      const netns = makeNetns(`${prefix}${i}`);
      made.push(netns);
      nodes.push({ name: `${prefix}-n${i}`, netns, ip: attach(netns, i), dataDir: '' });
    }
    const clientNs = makeNetns(`${prefix}-cl`);
    made.push(clientNs);
    const clientIp = attach(clientNs, 99);

    const first = nodes[0]!;
    s = await startServer({
      netns: first.netns,
      command: 'up',
      env,
      args: ['--node-name', first.name, '--node-ip', first.ip, '--bind-address', '0.0.0.0', '--tls-san', first.ip, '--cgroup-parent', `${cgroupParent}/${first.name}`, ...backendArgs],
    });
    first.dataDir = s.dataDir;
    dataDirs.push(s.dataDir);
    const server = `https://${first.ip}:${s.port}`;
    await Promise.all(
      nodes.slice(1).map((n) => {
        n.dataDir = mkdtempSync(join(tmpdir(), `skiff-e2e-${n.name}-`));
        dataDirs.push(n.dataDir);
        const argv = [`--net=/var/run/netns/${n.netns}`, process.execPath, ...AGENT_NODE_FLAGS, '--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'agent', '--server', server, '--token-file', join(s!.dataDir, 'node-token'), '--node-name', n.name, '--node-ip', n.ip, '--data-dir', n.dataDir, '--cgroup-parent', `${cgroupParent}/${n.name}`, ...backendArgs];
        const p = spawn('nsenter', argv, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
        agents.push(p);
        byNode.set(n.name, p);
        let out = '';
        p.stdout!.on('data', (d) => (out += d));
        p.stderr!.on('data', (d) => (out += d));
        return new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`agent ${n.name} not ready:\n${out}`)), 60_000);
          p.stdout!.on('data', () => {
            if (out.includes('skiff agent ready')) {
              clearTimeout(timer);
              resolve();
            }
          });
          p.once('exit', (code) => {
            clearTimeout(timer);
            reject(new Error(`agent ${n.name} exited with ${code}:\n${out}`));
          });
        });
      }),
    );
    const handle = s;
    return {
      s: handle,
      nodes,
      client: { netns: clientNs, ip: clientIp },
      cgroupParent,
      router: opts.routed ? sw : undefined,
      async stopAgent(i) {
        const p = byNode.get(nodes[i]?.name ?? '');
        if (!p) throw new Error(`node ${i} has no agent of its own (node 0 runs the server)`);
        if (p.exitCode === null && p.signalCode === null) {
          const exited = new Promise((r) => p.once('exit', r));
          p.kill('SIGTERM');
          await exited;
        }
      },
      inNetns: (netns, cmd, args, timeoutMs = 30_000) => execFileSync('nsenter', [`--net=/var/run/netns/${netns}`, cmd, ...args], { encoding: 'utf8', timeout: timeoutMs }),
      async stop() {
        kubectl(handle, ['delete', 'deploy,rs,ds,sts,job', '--all', '-A', '--timeout=20s']);
        kubectl(handle, ['delete', 'pods', '--all', '-A', '--grace-period=1', '--timeout=30s']);
        await teardown();
      },
    };
  } catch (e) {
    await teardown();
    throw e;
  }
}
