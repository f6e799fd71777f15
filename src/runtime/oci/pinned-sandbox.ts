// A pod sandbox without a container: the network, IPC and UTS namespaces the
// pod's containers join, held by one sleeping process that unshare(1) started
// in them (as CRI-O's drop_infra_ctr runs pods without an infra container).
// Making it takes one fork of unshare and busybox, ~10 ms, where a `sleep`
// container through conmon and runc create+start took ~100 ms of every pod's
// start. The process is detached (its own session), so it outlives an agent
// restart like conmon does; it is known again by pid and start time.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { processInfo } from './live-state.js';

/** What identifies a sandbox's holder process across agent restarts. */
export interface SandboxHolder {
  pid: number;
  /** its start time as /proc says (a later process with the same pid is another one) */
  startMs: number;
}

const UNSHARE_CANDIDATES = ['/usr/bin/unshare', '/bin/unshare'];

function unshareBinary(): string {
  const found = UNSHARE_CANDIDATES.find((p) => existsSync(p));
  if (!found) throw new Error('unshare is not installed; skiff needs it to make pod sandboxes (apt-get install util-linux)');
  return found;
}

/**
 * Starts the holder in new network, IPC and UTS namespaces with the pod's
 * hostname set; a pod on the node's network keeps the node's UTS namespace
 * (its hostname is the node's, as with containerd and CRI-O) and gets only its
 * own IPC. Resolves once the namespaces exist and the hostname is set.
 */
export function startSandboxHolder(busybox: string, hostname: string, hostNetwork: boolean, timeoutMs = 10_000): Promise<SandboxHolder> {
  const namespaces = hostNetwork ? ['--ipc'] : ['--net', '--ipc', '--uts'];
  // the hostname goes as an argument, never into the script; the sleep keeps no pipe of ours
  const setHostname = hostNetwork ? '' : '"$1" hostname "$0" && ';
  const script = `${setHostname}echo ready && exec "$1" sleep 2147483647 </dev/null >/dev/null 2>&1`;
  return new Promise((resolve, reject) => {
    const child = spawn(unshareBinary(), [...namespaces, '--', busybox, 'sh', '-c', script, hostname, busybox], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let done = false;
    const finish = (err?: Error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      child.stdout.destroy();
      child.stderr.destroy();
      child.unref();
      if (err) {
        if (child.exitCode === null) child.kill('SIGKILL');
        return reject(err);
      }
      const info = child.pid ? processInfo(child.pid) : undefined;
      if (!child.pid || !info) return reject(new Error(`the pod sandbox's process ended at once: ${stderr.trim() || 'no message'}`));
      resolve({ pid: child.pid, startMs: info.startMs });
    };
    const timer = setTimeout(() => finish(new Error(`the pod sandbox was not ready within ${timeoutMs} ms`)), timeoutMs);
    child.stdout.once('data', () => finish());
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', (e) => finish(e));
    child.once('exit', (code) => finish(new Error(`making the pod sandbox failed (exit ${code}): ${stderr.trim() || 'no message'}`)));
  });
}

/** Whether the holder still runs (not gone, not a zombie, not another process with its pid). */
export function holderAlive(h: SandboxHolder): boolean {
  const info = processInfo(h.pid);
  return !!info && info.state !== 'Z' && info.state !== 'X' && info.startMs === h.startMs;
}

/** Kills the holder (only if it is still the process we started) and waits until it is gone. */
export async function stopSandboxHolder(h: SandboxHolder): Promise<void> {
  if (!holderAlive(h)) return;
  try {
    process.kill(h.pid, 'SIGKILL');
  } catch {
    return;
  }
  for (let i = 0; i < 200 && holderAlive(h); i++) await new Promise((r) => setTimeout(r, 5));
}
