// A faked memory signal for tests: with SKIFF_EVICTION_MEMORY_CGROUP=/some/cgroup
// the node's memory.available is the machine's memory less that cgroup's working
// set, instead of what the whole machine has left. A test points it at the node's
// own cgroup parent and so causes memory pressure with its pods' memory alone,
// without starving the machine (or depending on what else runs on it).
import { totalmem } from 'node:os';
import { cgroupUsage } from '../../runtime/oci/cgroup-stats.js';
import type { Observation } from '../eviction-thresholds.js';

export const MEMORY_SIGNAL_CGROUP_ENV = 'SKIFF_EVICTION_MEMORY_CGROUP';

export function cgroupMemoryObservation(cgroup: string): Observation {
  const capacity = totalmem();
  const used = cgroupUsage(cgroup)?.memoryWorkingSetBytes ?? 0;
  return { capacity, available: Math.max(0, capacity - used) };
}
