// Whether a path is a mount point, from /proc/self/mountinfo.
import { readFileSync } from 'node:fs';

export function isMounted(path: string): boolean {
  try {
    return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => l.split(' ')[4] === path);
  } catch {
    return false;
  }
}
