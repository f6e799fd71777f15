// A lock file for writers of the image store: the agent and `skiff image`
// commands may write at once. O_EXCL creation is atomic; a lock whose owner
// process is gone is stale and taken over.
import { openSync, closeSync, writeSync, readFileSync, unlinkSync } from 'node:fs';

function ownerAlive(path: string): boolean {
  try {
    const pid = Number(readFileSync(path, 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 0) return false;
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function tryAcquire(path: string): boolean {
  try {
    const fd = openSync(path, 'wx', 0o600);
    writeSync(fd, String(process.pid));
    closeSync(fd);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    if (!ownerAlive(path)) {
      try {
        unlinkSync(path);
      } catch {
        /* another waiter took it over first */
      }
    }
    return false;
  }
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Runs fn holding the lock; waits (briefly, synchronously) for another holder. */
export function withLockSync<T>(path: string, fn: () => T, timeoutMs = 30_000): T {
  const deadline = Date.now() + timeoutMs;
  while (!tryAcquire(path)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for the image store lock ${path}`);
    Atomics.wait(sleeper, 0, 0, 20);
  }
  try {
    return fn();
  } finally {
    unlinkSync(path);
  }
}
