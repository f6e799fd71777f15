// Whether a path is a mount point, from /proc/self/mountinfo; overlayfs mounts.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, relative } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export function isMounted(path: string): boolean {
  try {
    return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => l.split(' ')[4] === path);
  } catch {
    return false;
  }
}

// mount(2) takes at most a page of options
const MAX_OPTIONS = 4000;

/** How to run a program to its end (execFile by default; the agent's launcher, runtime/launcher.ts). */
export type ProgramRunner = (file: string, args: string[], opts?: { cwd?: string }) => Promise<unknown>;

const execRunner: ProgramRunner = (file, args, opts) => run(file, args, opts ?? {});

/** Mounts overlayfs with lowers (topmost first); many layers are named relative to their common directory so the options fit a page. */
export async function mountOverlay(lowers: string[], upper: string, work: string, target: string, runner: ProgramRunner = execRunner): Promise<void> {
  const options = (l: string[]) => `lowerdir=${l.join(':')},upperdir=${upper},workdir=${work}`;
  if (options(lowers).length <= MAX_OPTIONS) {
    await runner('mount', ['-t', 'overlay', 'overlay', '-o', options(lowers), target]);
    return;
  }
  let common = dirname(lowers[0]);
  while (!lowers.every((l) => l.startsWith(common + '/')) && common !== '/') common = dirname(common);
  const rel = lowers.map((l) => relative(common, l));
  if (options(rel).length > MAX_OPTIONS) throw new Error(`an image of ${lowers.length} layers is more than overlayfs can mount in one go`);
  // overlayfs resolves relative lowerdirs against the mounting process's working directory
  await runner('mount', ['-t', 'overlay', 'overlay', '-o', options(rel), target], { cwd: common });
}
