// A cluster of several real nodes on this one machine: every node is a network
// namespace the test made, all joined by veths to a bridge in a "switch"
// namespace (also the test's), with a client namespace on the same segment.
// Node 0 runs `skiff up`; the others join it over that network with the
// server's join token (`skiff agent --server URL --token-file DIR/node-token`). The root network namespace is never touched: links are created
// directly inside the test's namespaces (`ip -n`).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kubectl, startServer, type ServerHandle } from './harness.js';
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
  /** runs a command in a namespace of the cluster */
  inNetns(netns: string, cmd: string, args: string[], timeoutMs?: number): string;
  stop(): Promise<void>;
}

function ip(args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

export async function startCluster(prefix: string, count = 3, env: Record<string, string> = {}): Promise<Cluster> {
  const subnet = `172.31.${10 + Math.floor(Math.random() * 200)}`;
  const cgroupParent = `/skiff-e2e-${prefix}-${process.pid}`;
  const made: string[] = [];
  const agents: ChildProcess[] = [];
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
    const sw = makeNetns(`${prefix}-sw`);
    made.push(sw);
    ip(['-n', sw, 'link', 'add', 'br0', 'type', 'bridge']);
    ip(['-n', sw, 'link', 'set', 'br0', 'up']);
    const attach = (netns: string, idx: number, addr: string) => {
      ip(['-n', sw, 'link', 'add', `p${idx}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns]);
      ip(['-n', sw, 'link', 'set', `p${idx}`, 'master', 'br0', 'up']);
      ip(['-n', netns, 'addr', 'add', `${addr}/24`, 'dev', 'eth0']);
      ip(['-n', netns, 'link', 'set', 'eth0', 'up']);
    };
    const nodes: ClusterNode[] = [];
    for (let i = 0; i < count; i++) {
      const netns = makeNetns(`${prefix}${i}`);
      made.push(netns);
      attach(netns, i, `${subnet}.${11 + i}`);
      nodes.push({ name: `${prefix}-n${i}`, netns, ip: `${subnet}.${11 + i}`, dataDir: '' });
    }
    const clientNs = makeNetns(`${prefix}-cl`);
    made.push(clientNs);
    attach(clientNs, 99, `${subnet}.100`);

    const first = nodes[0]!;
    s = await startServer({
      netns: first.netns,
      command: 'up',
      env,
      args: ['--node-name', first.name, '--node-ip', first.ip, '--bind-address', '0.0.0.0', '--tls-san', first.ip, '--cgroup-parent', `${cgroupParent}/${first.name}`],
    });
    first.dataDir = s.dataDir;
    dataDirs.push(s.dataDir);
    const server = `https://${first.ip}:${s.port}`;
    await Promise.all(
      nodes.slice(1).map((n) => {
        n.dataDir = mkdtempSync(join(tmpdir(), `skiff-e2e-${n.name}-`));
        dataDirs.push(n.dataDir);
        const argv = [`--net=/var/run/netns/${n.netns}`, process.execPath, '--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'agent', '--server', server, '--token-file', join(s!.dataDir, 'node-token'), '--node-name', n.name, '--node-ip', n.ip, '--data-dir', n.dataDir, '--cgroup-parent', `${cgroupParent}/${n.name}`];
        const p = spawn('nsenter', argv, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
        agents.push(p);
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
      client: { netns: clientNs, ip: `${subnet}.100` },
      cgroupParent,
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
