// Shared pieces of the image e2e tests: running `skiff image`, waiting, and
// cleaning up a node's containers, mounts and the test's own cgroup parent.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';

const CLI = join(import.meta.dirname, 'image-cli.ts');

export interface CliResult {
  code: number;
  out: string;
  err: string;
}

/** `skiff image ARGS` as its own process, like a user at the shell. */
export function skiffImage(args: string[], timeoutMs = 600_000): CliResult {
  const r = spawnSync(process.execPath, ['--import', 'tsx', CLI, ...args], { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 << 20 });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

export { until } from './harness.js';

function removeCgroupTree(dir: string): void {
  for (const child of readdirSync(dir, { withFileTypes: true })) if (child.isDirectory()) removeCgroupTree(join(dir, child.name));
  rmdirSync(dir);
}

/** Removes what a node left in dataDir (runc containers, rootfs mounts) and the cgroup parent. */
export async function cleanNode(dataDir: string, cgroupParent: string): Promise<void> {
  const runcRoot = join(dataDir, 'agent/runtime/runc');
  if (existsSync(runcRoot)) {
    for (const id of execFileSync('runc', ['--root', runcRoot, 'list', '-q'], { encoding: 'utf8' }).split('\n').filter(Boolean)) execFileSync('runc', ['--root', runcRoot, 'delete', '--force', id]);
  }
  const containers = join(dataDir, 'agent/runtime/containers');
  for (const c of existsSync(containers) ? readdirSync(containers) : []) {
    try {
      execFileSync('umount', [join(containers, c, 'bundle/rootfs')]);
    } catch {
      // not mounted
    }
  }
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
