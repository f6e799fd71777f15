// A pod sandbox without a container: the network, IPC and UTS namespaces the
// pod's containers join, held by one sleeping process that unshare(1) started
// in them (as CRI-O's drop_infra_ctr runs pods without an infra container).
// Making it takes unshare and a few busybox forks, ~10 ms, where a `sleep`
// container through conmon and runc create+start took ~100 ms of every pod's
// start. The process has a session of its own, so it outlives an agent
// restart like conmon does; it is known again by pid and start time.
import { existsSync } from 'node:fs';
import { processInfo, stillTheSame } from './live-state.js';
import { runProgram, type Launcher } from '../launcher.js';

/** What identifies a sandbox's holder process across agent restarts. */
export interface SandboxHolder {
  pid: number;
  /** its start time as /proc says (a later process with the same pid is another one) */
  startMs: number;
}

const UNSHARE_CANDIDATES = ['/usr/bin/unshare', '/bin/unshare'];

let unshare: string | undefined;

/** util-linux's unshare, looked for once. */
function unshareBinary(): string {
  if (unshare) return unshare;
  const found = UNSHARE_CANDIDATES.find((p) => existsSync(p));
  if (!found) throw new Error('unshare is not installed; skiff needs it to make pod sandboxes (apt-get install util-linux)');
  return (unshare = found);
}

/**
 * Starts the holder in new network, IPC and UTS namespaces with the pod's
 * hostname set; a pod on the node's network keeps the node's UTS namespace
 * (its hostname is the node's, as with containerd and CRI-O) and gets only its
 * own IPC. Resolves once the namespaces exist and the hostname is set: a shell
 * in them sets it, starts the holder (a sleep in a session of its own, so it
 * outlives the agent like conmon does) and prints its pid.
 */
export async function startSandboxHolder(busybox: string, hostname: string, hostNetwork: boolean, launcher?: Launcher): Promise<SandboxHolder> {
  const namespaces = hostNetwork ? ['--ipc'] : ['--net', '--ipc', '--uts'];
  // the hostname goes as an argument, never into the script
  const setHostname = hostNetwork ? '' : '"$1" hostname "$0" || exit 1; ';
  const script = `${setHostname}"$1" setsid "$1" sleep 2147483647 </dev/null >/dev/null 2>&1 & echo $!`;
  const args = [...namespaces, '--', busybox, 'sh', '-c', script, hostname, busybox];
  const r = await runProgram(launcher, unshareBinary(), args);
  const pid = Number(r.stdout.trim());
  if (r.code !== 0 || !Number.isInteger(pid) || pid <= 0) throw new Error(`making the pod sandbox failed (exit ${r.code}): ${r.stderr.trim() || 'no message'}`);
  const info = processInfo(pid);
  if (!info) throw new Error(`the pod sandbox's process ended at once: ${r.stderr.trim() || 'no message'}`);
  return { pid, startMs: info.startMs };
}

/** Whether the holder still runs (not gone, not a zombie, not another process with its pid). */
export function holderAlive(h: SandboxHolder, fresh = false): boolean {
  return stillTheSame(h.pid, h.startMs, fresh);
}

/** Kills the holder (only if it is still the process we started) and waits until it is gone. */
export async function stopSandboxHolder(h: SandboxHolder): Promise<void> {
  if (!holderAlive(h, true)) return;
  try {
    process.kill(h.pid, 'SIGKILL');
  } catch {
    return;
  }
  for (let i = 0; i < 200 && holderAlive(h, true); i++) await new Promise((r) => setTimeout(r, 5));
}
