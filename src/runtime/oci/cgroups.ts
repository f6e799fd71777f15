// Removing the (empty) cgroups skiff created, under its own parent only, on
// cgroup v1 (one tree per controller) and v2 (one unified tree).
import { existsSync, readdirSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = '/sys/fs/cgroup';

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
