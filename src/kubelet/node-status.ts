// The Node object the agent registers and keeps current: capacity from the
// machine (or flags), addresses, nodeInfo and conditions.
import { cpus, hostname, networkInterfaces, release, totalmem } from 'node:os';
import { readFileSync, statfsSync } from 'node:fs';
import type { KubeObject } from '../api/object.js';
import { thresholdValue, type Threshold } from './eviction-thresholds.js';
import type { PressureState } from './node-pressure.js';

export interface NodeOptions {
  name: string;
  cpu?: string;
  memory?: string;
  maxPods?: number;
  labels?: Record<string, string>;
  runtimeVersion: string;
  /** address the API server reaches this node at; detected when absent */
  nodeIp?: string;
  kubeletPort?: number;
  /** measured pressure, checked at every status update; none when absent */
  pressure?: () => PressureState;
  /** hard eviction thresholds: memory.available is held back from allocatable, as upstream */
  evictionHard?: Threshold[];
  /** the agent's data dir: its filesystem is the node's ephemeral storage (upstream's nodefs) */
  dataDir?: string;
  /** the images the node holds (status.images, which the scheduler's image locality reads) */
  images?: () => Array<{ names: string[]; sizeBytes: number }>;
}

function osImage(): string {
  try {
    const m = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(readFileSync('/etc/os-release', 'utf8'));
    return m?.[1] ?? 'Linux';
  } catch {
    return 'Linux';
  }
}

export function internalIp(): string | undefined {
  for (const addrs of Object.values(networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return undefined;
}

export function nodeCapacity(o: NodeOptions): Record<string, string> {
  return {
    cpu: o.cpu ?? String(cpus().length),
    memory: o.memory ?? `${Math.floor(totalmem() / 1024)}Ki`,
    pods: String(o.maxPods ?? 110),
    'ephemeral-storage': `${Math.floor(filesystemBytes(o.dataDir ?? '/') / 1024)}Ki`,
  };
}

/** the size of the filesystem holding path, as cAdvisor reports the node's root filesystem */
function filesystemBytes(path: string): number {
  const s = statfsSync(path);
  return s.blocks * s.bsize;
}

export function nodeObject(o: NodeOptions): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: o.name,
      labels: {
        'kubernetes.io/hostname': o.name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': process.arch === 'x64' ? 'amd64' : process.arch,
        'beta.kubernetes.io/os': 'linux',
        'beta.kubernetes.io/arch': process.arch === 'x64' ? 'amd64' : process.arch,
        ...o.labels,
      },
    },
    spec: {},
  };
}

/** capacity less what the hard eviction thresholds keep free (memory.available, nodefs.available), never below zero */
function allocatable(o: NodeOptions, capacity: Record<string, string>): Record<string, string> {
  const out = { ...capacity };
  const held = (resource: 'memory' | 'ephemeral-storage', signal: string) => {
    const t = o.evictionHard?.find((x) => x.signal === signal);
    if (!t) return;
    const total = Number(capacity[resource]!.replace(/Ki$/, '')) * 1024;
    out[resource] = `${Math.max(0, Math.floor((total - thresholdValue(t, total)) / 1024))}Ki`;
  };
  held('memory', 'memory.available');
  held('ephemeral-storage', 'nodefs.available');
  return out;
}

export function nodeStatus(o: NodeOptions, now: string, previous?: Record<string, any>): Record<string, unknown> {
  const capacity = nodeCapacity(o);
  const pressure = o.pressure?.().conditions;
  const ip = o.nodeIp ?? internalIp() ?? '127.0.0.1';
  const prevReady = (previous?.conditions ?? []).find((c: any) => c.type === 'Ready');
  const cond = (type: string, status: string, reason: string, message: string) => {
    const prev = (previous?.conditions ?? []).find((c: any) => c.type === type);
    return { type, status, lastHeartbeatTime: now, lastTransitionTime: prev?.status === status ? prev.lastTransitionTime : now, reason, message };
  };
  void prevReady;
  return {
    capacity,
    allocatable: allocatable(o, capacity),
    // upstream's reasons and messages, word for word
    conditions: [
      pressure?.MemoryPressure
        ? cond('MemoryPressure', 'True', 'KubeletHasInsufficientMemory', 'kubelet has insufficient memory available')
        : cond('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
      pressure?.DiskPressure
        ? cond('DiskPressure', 'True', 'KubeletHasDiskPressure', 'kubelet has disk pressure')
        : cond('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
      pressure?.PIDPressure
        ? cond('PIDPressure', 'True', 'KubeletHasInsufficientPID', 'kubelet has insufficient PID available')
        : cond('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
      cond('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
    ],
    addresses: [...(ip ? [{ type: 'InternalIP', address: ip }] : []), { type: 'Hostname', address: o.name }],
    ...(o.images ? { images: o.images() } : {}),
    daemonEndpoints: { kubeletEndpoint: { Port: o.kubeletPort ?? 10250 } },
    nodeInfo: {
      machineID: readSafe('/etc/machine-id'),
      systemUUID: '',
      bootID: readSafe('/proc/sys/kernel/random/boot_id'),
      kernelVersion: release(),
      osImage: osImage(),
      containerRuntimeVersion: o.runtimeVersion,
      kubeletVersion: 'v1.32.0-skiff',
      kubeProxyVersion: '',
      operatingSystem: 'linux',
      architecture: process.arch === 'x64' ? 'amd64' : process.arch,
    },
  };
}

function readSafe(p: string): string {
  try {
    return readFileSync(p, 'utf8').trim();
  } catch {
    return '';
  }
}

export { hostname };
