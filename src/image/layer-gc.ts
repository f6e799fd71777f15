// Unpacked layer directories no image needs any more go after `image rm` or
// `image prune`, unless a mounted container or build step still reads them.
import { existsSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { LayoutStore } from './store.js';

/** hex names of layers some overlay mount on this machine uses (absolute or relative lowerdir) */
function mountedLayers(names: string[]): Set<string> {
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8');
  return new Set(names.filter((n) => mounts.includes(n)));
}

/** Removes unpacked layers no stored image needs; with only, just those of them (hex diff ids). */
export function removeUnusedLayers(store: LayoutStore, only?: Set<string>): number {
  const dir = join(store.root, 'layers');
  if (!existsSync(dir)) return 0;
  const wanted = new Set<string>();
  for (const img of store.list()) for (const d of img.config.rootfs.diff_ids) wanted.add(d.replace(/^sha256:/, ''));
  const candidates = readdirSync(dir).filter((n) => /^[0-9a-f]{64}$/.test(n) && !wanted.has(n) && (!only || only.has(n)));
  const busy = mountedLayers(candidates);
  let removed = 0;
  for (const n of candidates) {
    if (busy.has(n)) continue;
    // renamed aside first, so a reader never sees half a layer
    const aside = store.tempPath('gc-layer');
    try {
      renameSync(join(dir, n), aside);
    } catch {
      continue;
    }
    rmSync(aside, { recursive: true, force: true });
    removed++;
  }
  return removed;
}
