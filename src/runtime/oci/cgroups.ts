// Removing the (empty) cgroups skiff created, under its own parent only, on
// cgroup v1 (one tree per controller) and v2 (one unified tree).
import { existsSync, readdirSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = '/sys/fs/cgroup';

/**
 * Fails with what to do when no cgroup filesystem is mounted at the root:
 * runc then cannot create a container, and says only that much, much later.
 * The usual cause is `ip netns exec`, which mounts a fresh /sys without them.
 */
export function assertCgroupsMounted(root = ROOT): void {
  const v2 = existsSync(join(root, 'cgroup.controllers'));
  const v1 = !v2 && existsSync(root) && readdirSync(root).some((d) => existsSync(join(root, d, 'cgroup.procs')));
  if (v2 || v1) return;
  throw new Error(
    `no cgroup filesystem is mounted at ${root}, so no container can be made. ` +
      `Under \`ip netns exec\` (it mounts a new /sys without cgroups) start the node with \`nsenter --net=/var/run/netns/NAME\` instead; ` +
      `otherwise mount cgroup2 there (mount -t cgroup2 none ${root}).`,
  );
}

export function removeCgroup(path: string, parent: string): void {
  if (!path.startsWith(parent + '/')) throw new Error(`refusing to remove cgroup ${path} outside ${parent}`);
  const trees = existsSync(join(ROOT, 'cgroup.controllers')) ? [ROOT] : readdirSync(ROOT).map((d) => join(ROOT, d));
  for (const tree of trees) {
    const dir = join(tree, path);
    if (!existsSync(dir)) continue;
    try {
      // children first (containers), then the pod's own
      for (const child of readdirSync(dir, { withFileTypes: true })) if (child.isDirectory()) rmdirSync(join(dir, child.name));
      rmdirSync(dir);
    } catch {
      // still busy: the next removal attempt gets it
    }
  }
}
