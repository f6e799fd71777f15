// Shared pieces of the image e2e tests: running `skiff image`, waiting, and
// cleaning up a node's containers, mounts and the test's own cgroup parent.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { removeCgroupParent, removeContainers } from './node-harness.js';

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

/** Removes what a node left in dataDir (containers, rootfs mounts) and the cgroup parent. */
export async function cleanNode(dataDir: string, cgroupParent: string): Promise<void> {
  removeContainers(dataDir);
  await removeCgroupParent(cgroupParent);
}
