// Which pod goes first under node pressure, as upstream's eviction manager
// ranks them (pkg/kubelet/eviction/helpers.go): for memory, pods using more
// than they requested, then lower priority, then the most used above request;
// for disk the same with ephemeral storage (or inodes); for PIDs lower priority,
// then the most processes. A pod without stats goes before one with.
import type { KubeObject } from '../../api/object.js';
import { parseQuantity } from '../quantity.js';
import type { Signal } from '../eviction-thresholds.js';

type Obj = Record<string, any>;

export interface ContainerUsage {
  name: string;
  /** working set bytes */
  memory?: number;
  /** bytes in its writable layer */
  rootfs?: number;
  /** bytes of its log */
  logs?: number;
}

export interface PodUsage {
  /** working set of the pod's cgroup */
  memory?: number;
  processes?: number;
  /** ephemeral storage: writable layers, logs and local volumes */
  disk?: number;
  inodes?: number;
  containers: ContainerUsage[];
  /** bytes used by each local (node-disk) volume, by name */
  volumes: Map<string, number>;
}

export interface Candidate {
  pod: KubeObject;
  /** undefined when the pod could not be measured */
  usage?: PodUsage;
}

/** What a threshold's signal reclaims: upstream's signalToResource. */
export type StarvedResource = 'memory' | 'ephemeral-storage' | 'inodes' | 'pids';

export function resourceOf(signal: Signal): StarvedResource {
  if (signal === 'memory.available') return 'memory';
  if (signal === 'pid.available') return 'pids';
  if (signal.endsWith('inodesFree')) return 'inodes';
  return 'ephemeral-storage';
}

/** upstream's SystemCriticalPriority: system-cluster-critical and system-node-critical are at or above it */
export const SYSTEM_CRITICAL_PRIORITY = 2_000_000_000;

export function podPriority(pod: KubeObject): number {
  const p = (pod.spec as Obj | undefined)?.priority;
  return typeof p === 'number' ? p : 0;
}

/** Static, mirror and system-critical pods, which the kubelet never evicts (upstream's IsCriticalPod). */
export function isCriticalPod(pod: KubeObject): boolean {
  const a = pod.metadata.annotations ?? {};
  const source = a['kubernetes.io/config.source'];
  if (source !== undefined && source !== 'api') return true;
  if (a['kubernetes.io/config.mirror'] !== undefined) return true;
  return podPriority(pod) >= SYSTEM_CRITICAL_PRIORITY;
}

/** One container's request for a resource (its limit when only that is given, as defaulting would). */
export function containerRequest(c: Obj, resource: string): number {
  const v = c.resources?.requests?.[resource] ?? c.resources?.limits?.[resource];
  if (v === undefined) return 0;
  const n = parseQuantity(String(v));
  return Number.isFinite(n) ? n : 0;
}

/** The pod's request: its containers' sum, or an init container's if that is larger (upstream's GetResourceRequestQuantity). */
export function podRequest(pod: KubeObject, resource: string): number {
  const spec = (pod.spec ?? {}) as Obj;
  const sum = ((spec.containers ?? []) as Obj[]).reduce((n, c) => n + containerRequest(c, resource), 0);
  const init = ((spec.initContainers ?? []) as Obj[]).reduce((m, c) => Math.max(m, containerRequest(c, resource)), 0);
  const overhead = spec.overhead?.[resource] !== undefined ? parseQuantity(String(spec.overhead[resource])) || 0 : 0;
  return Math.max(sum, init) + overhead;
}

type Cmp = (a: Candidate, b: Candidate) => number;

/** true before false */
const cmpBool = (a: boolean, b: boolean): number => (a === b ? 0 : a ? -1 : 1);

/** lower priority first */
const byPriority: Cmp = (a, b) => Math.sign(podPriority(a.pod) - podPriority(b.pod));

/** A comparator on a measured amount; unmeasured pods go first, as upstream's "no stats found". */
function measured(amount: (u: PodUsage) => number | undefined, cmp: (a: number, b: number, pa: KubeObject, pb: KubeObject) => number): Cmp {
  return (a, b) => {
    const x = a.usage ? amount(a.usage) : undefined;
    const y = b.usage ? amount(b.usage) : undefined;
    if (x === undefined || y === undefined) return cmpBool(x === undefined, y === undefined);
    return cmp(x, y, a.pod, b.pod);
  };
}

const exceedsRequest = (amount: (u: PodUsage) => number | undefined, resource: string): Cmp =>
  measured(amount, (x, y, pa, pb) => cmpBool(x > podRequest(pa, resource), y > podRequest(pb, resource)));

/** the most used above its request first */
const aboveRequest = (amount: (u: PodUsage) => number | undefined, resource: string): Cmp =>
  measured(amount, (x, y, pa, pb) => Math.sign(y - podRequest(pb, resource) - (x - podRequest(pa, resource))));

function orderedBy(...cmps: Cmp[]): (list: Candidate[]) => Candidate[] {
  return (list) =>
    [...list].sort((a, b) => {
      for (const c of cmps) {
        const r = c(a, b);
        if (r !== 0) return r;
      }
      return 0;
    });
}

const memory = (u: PodUsage) => u.memory;
const disk = (u: PodUsage) => u.disk;
const inodes = (u: PodUsage) => u.inodes;
const processes = (u: PodUsage) => u.processes;

/** The candidates in the order they would be evicted for pressure on this signal. */
export function rankForEviction(signal: Signal, candidates: Candidate[]): Candidate[] {
  switch (resourceOf(signal)) {
    case 'memory':
      return orderedBy(exceedsRequest(memory, 'memory'), byPriority, aboveRequest(memory, 'memory'))(candidates);
    case 'pids':
      return orderedBy(byPriority, measured(processes, (x, y) => Math.sign(y - x)))(candidates);
    case 'inodes':
      return orderedBy(exceedsRequest(inodes, 'inodes'), byPriority, aboveRequest(inodes, 'inodes'))(candidates);
    default:
      return orderedBy(exceedsRequest(disk, 'ephemeral-storage'), byPriority, aboveRequest(disk, 'ephemeral-storage'))(candidates);
  }
}
