// What the node has left, measured as the kubelet's eviction manager does:
// memory from the root cgroup's working set (usage less inactive file pages),
// nodefs from the agent's data dir filesystem, imagefs from the image store's,
// PIDs from the kernel's thread count against pid_max. A condition that was
// under pressure stays so for the transition period, so it does not flap.
import { readFileSync, statfsSync } from 'node:fs';
import { totalmem } from 'node:os';
import { conditionOf, thresholdsMet, type Observation, type Signal, type Threshold } from './eviction-thresholds.js';
import { readNumber } from '../runtime/oci/cgroup-stats.js';

export type PressureCondition = 'MemoryPressure' | 'DiskPressure' | 'PIDPressure';

export function memoryObservation(): Observation {
  const capacity = totalmem();
  // cgroup v1: the root memory cgroup counts every process on the machine
  const usage = readNumber('/sys/fs/cgroup/memory/memory.usage_in_bytes');
  if (usage !== undefined) {
    try {
      const inactive = Number(/^total_inactive_file (\d+)$/m.exec(readFileSync('/sys/fs/cgroup/memory/memory.stat', 'utf8'))?.[1] ?? 0);
      return { capacity, available: Math.max(0, capacity - Math.max(0, usage - inactive)) };
    } catch {
      // fall through to meminfo
    }
  }
  // cgroup v2 has no root memory.current: the kernel's own estimate
  const kb = Number(/^MemAvailable:\s+(\d+) kB$/m.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1]);
  return { capacity, available: Number.isFinite(kb) ? kb * 1024 : capacity };
}

export function filesystemObservations(path: string): { bytes: Observation; inodes: Observation } {
  const s = statfsSync(path);
  return { bytes: { capacity: s.blocks * s.bsize, available: s.bavail * s.bsize }, inodes: { capacity: s.files, available: s.ffree } };
}

export function pidObservation(): Observation | undefined {
  const pidMax = readNumber('/proc/sys/kernel/pid_max');
  const threadsMax = readNumber('/proc/sys/kernel/threads-max');
  const running = Number(/\s\d+\/(\d+)\s/.exec(readFileSync('/proc/loadavg', 'utf8'))?.[1]);
  if (pidMax === undefined || !Number.isFinite(running)) return undefined;
  const capacity = threadsMax !== undefined ? Math.min(pidMax, threadsMax) : pidMax;
  return { capacity, available: capacity - running };
}

export function observeNode(dataDir: string, imageDir: string): Partial<Record<Signal, Observation>> {
  const nodefs = filesystemObservations(dataDir);
  const imagefs = filesystemObservations(imageDir);
  return {
    'memory.available': memoryObservation(),
    'nodefs.available': nodefs.bytes,
    'nodefs.inodesFree': nodefs.inodes,
    'imagefs.available': imagefs.bytes,
    'imagefs.inodesFree': imagefs.inodes,
    'pid.available': pidObservation(),
  };
}

export interface PressureState {
  conditions: Record<PressureCondition, boolean>;
  /** the thresholds met now, for the conditions' messages and the log */
  met: Threshold[];
}

export class NodePressure {
  private lastUnder: Partial<Record<PressureCondition, number>> = {};

  constructor(
    private readonly thresholds: Threshold[],
    private readonly observe: () => Partial<Record<Signal, Observation>>,
    /** upstream's --eviction-pressure-transition-period (5 minutes) */
    private readonly transitionMs = 300_000,
  ) {}

  /** Thresholds seen met elsewhere (the eviction manager's more frequent passes) count as pressure too. */
  note(met: Threshold[], now = Date.now()): void {
    for (const t of met) this.lastUnder[conditionOf(t.signal)] = now;
  }

  check(now = Date.now()): PressureState {
    const met = thresholdsMet(this.thresholds, this.observe());
    this.note(met, now);
    // met now, or met within the transition period
    const under = (c: PressureCondition) => this.lastUnder[c] === now || (this.lastUnder[c] !== undefined && now - this.lastUnder[c]! < this.transitionMs);
    return { conditions: { MemoryPressure: under('MemoryPressure'), DiskPressure: under('DiskPressure'), PIDPressure: under('PIDPressure') }, met };
  }
}
