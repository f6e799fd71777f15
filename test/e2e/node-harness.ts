// Real nodes for tests: `skiff up` (or extra `skiff agent`s) each inside a
// network namespace the test made, with a cgroup parent of the test's own,
// and everything they leave behind removed afterwards.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { kubectl, startServer, type ServerHandle, type StartOptions } from './harness.js';
import { makeNetns, removeNetns } from './netns.js';
import { holderAlive, type SandboxHolder } from '../../src/runtime/oci/pinned-sandbox.js';

export interface NodeCluster {
  s: ServerHandle;
  netns: string;
  nodeName: string;
  cgroupParent: string;
  runcList(): string[];
  /** runs a command inside the node's network namespace */
  inNode(cmd: string, args: string[]): string;
  stop(): Promise<void>;
}

/** cgroup directories go depth first; their files are the kernel's and go with them */
function removeCgroupTree(dir: string): void {
  for (const child of readdirSync(dir, { withFileTypes: true })) if (child.isDirectory()) removeCgroupTree(join(dir, child.name));
  rmdirSync(dir);
}

export async function removeCgroupParent(cgroupParent: string): Promise<void> {
  // exiting monitors may hold a pod cgroup for a moment
  for (let attempt = 0; attempt < 20; attempt++) {
    let left = 0;
    for (const tree of readdirSync('/sys/fs/cgroup')) {
      const dir = join('/sys/fs/cgroup', tree, cgroupParent);
      if (!existsSync(dir)) continue;
      try {
        removeCgroupTree(dir);
      } catch {
        left++;
      }
    }
    if (left === 0) return;
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Containers and rootfs mounts under a data dir, all ours (each OCI runtime keeps its own state root). */
export function removeContainers(dataDir: string): void {
  for (const runtime of ['runc', 'crun']) {
    const root = join(dataDir, 'agent/runtime', runtime);
    if (!existsSync(root) || readdirSync(root).length === 0) continue;
    const ids = execFileSync(runtime, ['--root', root, 'list', '-q'], { encoding: 'utf8' }).split('\n').filter(Boolean);
    for (const id of ids) execFileSync(runtime, ['--root', root, 'delete', '--force', id]);
  }
  const containers = join(dataDir, 'agent/runtime/containers');
  for (const c of existsSync(containers) ? readdirSync(containers) : []) {
    try {
      execFileSync('umount', [join(containers, c, 'bundle/rootfs')], { stdio: 'ignore' });
    } catch {
      // not mounted
    }
    killSandboxHolder(join(containers, c, 'meta.json'));
  }
}

/** A pod sandbox's namespace holder (a process the agent under test started), by the pid and start time in its meta. */
function killSandboxHolder(metaPath: string): void {
  const holder = readHolder(metaPath);
  if (holder && holderAlive(holder, true)) process.kill(holder.pid, 'SIGKILL');
}

function readHolder(metaPath: string): SandboxHolder | undefined {
  try {
    return (JSON.parse(readFileSync(metaPath, 'utf8')) as { holder?: SandboxHolder }).holder;
  } catch {
    return undefined;
  }
}

/** The pid of the process holding a pod's namespaces while its sandbox runs (its network namespace is /proc/PID/ns/net). */
export function sandboxPid(dataDir: string, podUid: string): number | undefined {
  const holder = readHolder(join(dataDir, 'agent/runtime/containers', `pod-${podUid}`, 'meta.json'));
  return holder && holderAlive(holder, true) ? holder.pid : undefined;
}

/** `skiff up` in a fresh network namespace: a one-node cluster. */
export async function startNodeCluster(prefix: string, opts: Omit<StartOptions, 'netns' | 'command'> & { nodeName?: string } = {}): Promise<NodeCluster> {
  const netns = makeNetns(prefix);
  const nodeName = opts.nodeName ?? `${prefix}-node`;
  const cgroupParent = `/skiff-e2e-${prefix}-${process.pid}`;
  let s: ServerHandle;
  try {
    s = await startServer({ ...opts, netns, command: 'up', args: ['--node-name', nodeName, '--cgroup-parent', cgroupParent, ...(opts.args ?? [])] });
  } catch (e) {
    removeNetns(netns);
    throw e;
  }
  const root = join(s.dataDir, 'agent/runtime/runc');
  return {
    s,
    netns,
    nodeName,
    cgroupParent,
    runcList: () => execFileSync('runc', ['--root', root, 'list', '-q'], { encoding: 'utf8' }).split('\n').filter(Boolean),
    inNode: (cmd, args) => execFileSync('nsenter', [`--net=/var/run/netns/${netns}`, cmd, ...args], { encoding: 'utf8', timeout: 30_000 }),
    async stop() {
      kubectl(s, ['delete', 'pods', '--all', '-A', '--grace-period=1', '--timeout=30s']);
      await s.stop();
      removeContainers(s.dataDir);
      s.cleanup();
      removeNetns(netns);
      await removeCgroupParent(cgroupParent);
    },
  };
}
