// CPU and memory usage read from a cgroup, on cgroup v1 (cpuacct and memory
// trees) and v2 (one unified tree), as cAdvisor reads them for the kubelet:
// cumulative CPU time and the working set (usage minus inactive file pages).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = '/sys/fs/cgroup';

export interface CgroupUsage {
  cpuUsageNanos: number;
  memoryWorkingSetBytes: number;
}

const unified = (): boolean => existsSync(join(ROOT, 'cgroup.controllers'));

/** A file holding one number (cgroup and /proc counters); undefined when unreadable or not a number. */
export function readNumber(path: string): number | undefined {
  try {
    const n = Number(readFileSync(path, 'utf8').trim());
    return Number.isFinite(n) ? n : undefined;
  } catch {
    return undefined;
  }
}

/** One key of a "key value" per line file (memory.stat, cpu.stat), found without splitting the file into lines (read for every container every 10 s). */
export function statField(path: string, key: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  const first = text.startsWith(`${key} `);
  const nl = first ? -1 : text.indexOf(`\n${key} `);
  if (!first && nl === -1) return undefined;
  const start = (first ? 0 : nl + 1) + key.length + 1;
  const end = text.indexOf('\n', start);
  return Number(text.slice(start, end === -1 ? undefined : end));
}

/** Usage of the cgroup at `path` (relative to the hierarchy root, e.g. /skiff/pod<uid>/<id>); undefined when it is gone. */
export function cgroupUsage(path: string): CgroupUsage | undefined {
  if (unified()) {
    const dir = join(ROOT, path);
    const usec = statField(join(dir, 'cpu.stat'), 'usage_usec');
    const current = readNumber(join(dir, 'memory.current'));
    if (usec === undefined || current === undefined) return undefined;
    const inactive = statField(join(dir, 'memory.stat'), 'inactive_file') ?? 0;
    return { cpuUsageNanos: usec * 1000, memoryWorkingSetBytes: Math.max(0, current - inactive) };
  }
  const cpu = readNumber(join(ROOT, 'cpuacct', path, 'cpuacct.usage'));
  const usage = readNumber(join(ROOT, 'memory', path, 'memory.usage_in_bytes'));
  if (cpu === undefined || usage === undefined) return undefined;
  // v1 keeps hierarchical totals under total_*; a leaf's own figure is the same
  const inactive = statField(join(ROOT, 'memory', path, 'memory.stat'), 'total_inactive_file') ?? 0;
  return { cpuUsageNanos: cpu, memoryWorkingSetBytes: Math.max(0, usage - inactive) };
}

/** The whole machine, as the kubelet's node summary: CPU time from /proc/stat, working set from /proc/meminfo. */
export function nodeUsage(): CgroupUsage & { memoryAvailableBytes: number } {
  const cpuLine = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal: all but idle and iowait is busy
  const busyTicks = cpuLine.reduce((s, v, i) => (i === 3 || i === 4 || i > 7 ? s : s + v), 0);
  // USER_HZ is 100 on Linux
  const cpuUsageNanos = busyTicks * 10_000_000;
  const mem = Object.fromEntries(readFileSync('/proc/meminfo', 'utf8').split('\n').filter(Boolean).map((l) => {
    const [k, v] = l.split(':');
    return [k!, Number.parseInt(v!, 10) * 1024];
  }));
  const total = mem.MemTotal ?? 0;
  const available = mem.MemAvailable ?? 0;
  return { cpuUsageNanos, memoryWorkingSetBytes: Math.max(0, total - available), memoryAvailableBytes: available };
}
