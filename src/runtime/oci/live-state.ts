// A started container's liveness read from what runc and conmon leave behind,
// so the kubelet's status checks (every pod, every second) spawn no `runc
// state` process while containers run. runc writes the pid file at create;
// conmon writes the exit file when the container ends. A live pid with no exit
// file is a running container. Anything less certain (pid gone but no exit
// file yet, a pid that may have been reused after a reboot) returns undefined
// and the caller asks the runtime itself.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Clock ticks per second of /proc/<pid>/stat's starttime (USER_HZ is 100 on Linux). */
const USER_HZ = 100;

let bootTimeMs: number | undefined;

function bootTime(): number {
  if (bootTimeMs === undefined) {
    const m = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'));
    bootTimeMs = m ? Number(m[1]) * 1000 : 0;
  }
  return bootTimeMs;
}

/** Process state letter and start time (ms since the epoch) of a pid, or undefined when it is gone. */
export function processInfo(pid: number): { state: string; startMs: number } | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // the command name may hold spaces and parentheses: fields follow the last ')'. Read by index,
  // not split: this runs for every pod every second, and a split makes ~50 strings each time
  const from = stat.lastIndexOf(')') + 2;
  const state = stat[from] ?? '?';
  // starttime is the 20th field after the state (stat(5)'s field 22)
  let at = from;
  for (let i = 0; i < 19 && at !== -1; i++) at = stat.indexOf(' ', at + 1);
  if (at === -1) return undefined;
  const end = stat.indexOf(' ', at + 1);
  const startTicks = Number(stat.slice(at + 1, end === -1 ? undefined : end));
  return { state, startMs: bootTime() + (startTicks * 1000) / USER_HZ };
}

/** The pid runc wrote at create, and when it wrote it. */
export function readPidFile(containerDir: string): { pid: number; written: number } | undefined {
  try {
    const pidFile = join(containerDir, 'pid');
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? { pid, written: statSync(pidFile).mtimeMs } : undefined;
  } catch {
    return undefined;
  }
}

// A full check reads /proc/<pid>/stat; the kubelet asks about every sandbox and
// container every second. Between full checks, at most RECHECK_MS apart, a process
// found right (same pid and start) is only asked to exist (signal 0): no read, no
// garbage. An exit is still seen at once: conmon's exit file, the pid gone.
const RECHECK_MS = 10_000;
const verified = new Map<number, { at: number; key: number }>();

function recentlyVerified(pid: number, key: number, now: number): boolean {
  const v = verified.get(pid);
  if (!v || v.key !== key || now - v.at >= RECHECK_MS) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    verified.delete(pid);
    return false;
  }
}

/** The check both callers make: recently verified and still there, or a fresh /proc read that `matches`. */
function checkProcess(pid: number, key: number, matches: (startMs: number) => boolean, fresh: boolean, now: number): boolean {
  if (!fresh && recentlyVerified(pid, key, now)) return true;
  const info = processInfo(pid);
  const ok = !!info && info.state !== 'Z' && info.state !== 'X' && matches(info.startMs);
  if (!ok) verified.delete(pid);
  else {
    if (verified.size >= 4096) verified.clear(); // pids of long-gone processes: start over
    verified.set(pid, { at: now, key });
  }
  return ok;
}

/** Whether the pid is still the process runc started (not gone, not a zombie, not a later process with the same number). */
export function stillRunning(pid: number, written: number, now = Date.now()): boolean {
  // a process started after the pid file was written is another process with the same number
  return checkProcess(pid, written, (startMs) => startMs <= written + 2000, false, now);
}

/** Whether the pid is still the process that started at startMs (not gone, not a zombie); fresh: read /proc now (a zombie passes the signal-0 probe). */
export function stillTheSame(pid: number, startMs: number, fresh = false, now = Date.now()): boolean {
  return checkProcess(pid, startMs, (s) => s === startMs, fresh, now);
}

/** The running container's pid (and its pid file's time), when the files on disk say so with certainty. */
export function runningProcess(containerDir: string, started: boolean): { pid: number; written: number } | undefined {
  if (!started) return undefined;
  const p = readPidFile(containerDir);
  return p && stillRunning(p.pid, p.written) ? p : undefined;
}
