// What a pod uses on the node, measured as cAdvisor and the kubelet's stats
// provider do for the eviction manager: the pod cgroup's working set and process
// count, and its ephemeral storage — each container's writable layer and log plus
// the pod's local volumes (disk-backed emptyDirs, configMap, secret, downwardAPI
// and projected files), walked as du walks them (allocated blocks).
import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { KubeObject } from '../../api/object.js';
import type { Runtime } from '../../runtime/runtime.js';
import { cgroupUsage } from '../../runtime/oci/cgroup-stats.js';
import { podDir } from '../volumes.js';
import type { ActivePod } from '../kubelet.js';
import type { PodUsage } from './ranking.js';
import { readNumber } from '../../runtime/oci/cgroup-stats.js';

type Obj = Record<string, any>;

/** entries walked between yields to the event loop (~10 ms of lstat), so a big layer never stalls the agent */
const YIELD_EVERY = 2000;

/** Bytes allocated and inodes used under a path; a file linked twice counts once; other filesystems (tmpfs mounts) count too. */
export async function diskUsage(path: string): Promise<{ bytes: number; inodes: number } | undefined> {
  try {
    lstatSync(path);
  } catch {
    return undefined;
  }
  const seen = new Set<number>();
  let bytes = 0;
  let inodes = 0;
  const stack = [path];
  for (let walked = 1; stack.length; walked++) {
    if (walked % YIELD_EVERY === 0) await new Promise((r) => setImmediate(r));
    const p = stack.pop()!;
    let st;
    try {
      st = lstatSync(p);
    } catch {
      continue; // removed while walking
    }
    if (st.nlink > 1 && !st.isDirectory()) {
      if (seen.has(st.ino)) continue;
      seen.add(st.ino);
    }
    bytes += st.blocks * 512;
    inodes++;
    if (!st.isDirectory()) continue;
    try {
      for (const n of readdirSync(p)) stack.push(join(p, n));
    } catch {
      // unreadable or gone
    }
  }
  return { bytes, inodes };
}

/** Processes (tasks) in a cgroup, from the pids controller on cgroup v1 or v2. */
export function cgroupProcesses(cgroup: string): number | undefined {
  return readNumber(join('/sys/fs/cgroup/pids', cgroup, 'pids.current')) ?? readNumber(join('/sys/fs/cgroup', cgroup, 'pids.current'));
}

/** The pod's volumes that live on the node's disk, upstream's local ephemeral volumes; memory-backed emptyDirs are measured but are not disk. */
function localVolumes(pod: KubeObject): Array<{ name: string; disk: boolean }> {
  return (((pod.spec as Obj)?.volumes ?? []) as Obj[])
    .filter((v) => v.emptyDir !== undefined || v.configMap || v.secret || v.downwardAPI || v.projected)
    .map((v) => ({ name: v.name as string, disk: v.emptyDir?.medium !== 'Memory' }));
}

export async function measurePod(p: ActivePod, runtime: Runtime, rootDir: string): Promise<PodUsage> {
  const containers = [];
  let disk = 0;
  let inodes = 0;
  for (const c of p.containers) {
    const stats = await runtime.containerStats?.(c.id);
    const layer = runtime.writableLayerPath ? await diskUsage(runtime.writableLayerPath(c.id)) : undefined;
    const log = await diskUsage(runtime.logPath(c.id));
    containers.push({ name: c.name, memory: stats?.memoryWorkingSetBytes, rootfs: layer?.bytes ?? 0, logs: log?.bytes ?? 0 });
    disk += (layer?.bytes ?? 0) + (log?.bytes ?? 0);
    inodes += (layer?.inodes ?? 0) + (log?.inodes ?? 0);
  }
  const volumes = new Map<string, number>();
  const dir = podDir(rootDir, p.pod);
  for (const v of localVolumes(p.pod)) {
    const used = await diskUsage(join(dir, 'volumes', v.name));
    if (!used) continue;
    volumes.set(v.name, used.bytes);
    if (v.disk) {
      disk += used.bytes;
      inodes += used.inodes;
    }
  }
  // the pod's own files (etc-hosts, resolv.conf) are its ephemeral storage too, as upstream counts etc-hosts
  for (const f of ['etc-hosts', 'resolv.conf']) disk += (await diskUsage(join(dir, f)))?.bytes ?? 0;
  return { memory: cgroupUsage(p.cgroup)?.memoryWorkingSetBytes, processes: cgroupProcesses(p.cgroup), disk, inodes, containers, volumes };
}
