// COPY --from reads another stage's (or image's) filesystem: its layers are
// mounted as one overlayfs view for the time of the step, so whiteouts and
// opaque directories read exactly as a container would see them.
import { execFile } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { isMounted, mountOverlay } from '../../runtime/oci/mounts.js';
import type { LayoutStore } from '../store.js';

const run = promisify(execFile);

/** Runs fn with the merged root of lowers (topmost first); nothing written there is kept. */
export async function withMergedRoot<T>(store: LayoutStore, lowers: string[], fn: (root: string) => Promise<T>): Promise<T> {
  const dir = store.tempPath('from');
  const root = join(dir, 'root');
  // overlayfs wants an upper to mount a single lower; it stays empty
  for (const d of ['upper', 'work', 'root']) mkdirSync(join(dir, d), { recursive: true });
  await mountOverlay(lowers, join(dir, 'upper'), join(dir, 'work'), root);
  try {
    return await fn(root);
  } finally {
    await run('umount', [root]).catch(() => run('umount', ['-l', root]));
    // never remove through a mount that is still there: it would delete the shared layers
    if (!isMounted(root)) rmSync(dir, { recursive: true, force: true });
  }
}
