// Resource arithmetic for the scheduler, in a fixed-shape record (the hot path
// reads these fields for every node of every cycle; string-keyed maps were the
// largest cost in profiles). cpu in cores, memory and storage in bytes.
import type { KubeObject } from '../api/object.js';
import { parseQuantity } from '../kubelet/quantity.js';

type Obj = Record<string, any>;

export interface Resources {
  cpu: number;
  memory: number;
  storage: number;
  pods: number;
  /** scoring's view: containers without requests count upstream's defaults */
  nzCpu: number;
  nzMemory: number;
  /** extended resources (nvidia.com/gpu, hugepages-2Mi, ...) */
  other?: Record<string, number>;
}

// upstream's schedutil.DefaultMilliCPURequest / DefaultMemoryRequest
export const DEFAULT_CPU = 0.1;
export const DEFAULT_MEMORY = 200 * 1024 * 1024;

export function emptyResources(): Resources {
  return { cpu: 0, memory: 0, storage: 0, pods: 0, nzCpu: 0, nzMemory: 0 };
}

function put(r: Resources, name: string, v: number, combine: (a: number, b: number) => number): void {
  switch (name) {
    case 'cpu':
      r.cpu = combine(r.cpu, v);
      return;
    case 'memory':
      r.memory = combine(r.memory, v);
      return;
    case 'ephemeral-storage':
      r.storage = combine(r.storage, v);
      return;
    case 'pods':
      r.pods = combine(r.pods, v);
      return;
  }
  r.other ??= {};
  r.other[name] = combine(r.other[name] ?? 0, v);
}

const sum = (a: number, b: number) => a + b;
const requestsCache = new WeakMap<object, Resources>();

/** The pod's effective requests: containers summed, the largest init container if larger, overhead added; one pod slot. */
export function podRequests(pod: KubeObject): Resources {
  const hit = requestsCache.get(pod);
  if (hit) return hit;
  const spec = (pod.spec ?? {}) as Obj;
  const r = emptyResources();
  r.pods = 1;
  for (const c of (spec.containers ?? []) as Obj[]) {
    const req = (c.resources?.requests ?? c.resources?.limits ?? {}) as Record<string, string>;
    for (const name in req) put(r, name, parseQuantity(String(req[name])), sum);
    r.nzCpu += req.cpu !== undefined ? parseQuantity(String(req.cpu)) : DEFAULT_CPU;
    r.nzMemory += req.memory !== undefined ? parseQuantity(String(req.memory)) : DEFAULT_MEMORY;
  }
  for (const c of (spec.initContainers ?? []) as Obj[]) {
    const req = (c.resources?.requests ?? {}) as Record<string, string>;
    for (const name in req) put(r, name, parseQuantity(String(req[name])), Math.max);
  }
  const overhead = (spec.overhead ?? {}) as Record<string, string>;
  for (const name in overhead) put(r, name, parseQuantity(String(overhead[name])), sum);
  r.nzCpu = Math.max(r.nzCpu, r.cpu);
  r.nzMemory = Math.max(r.nzMemory, r.memory);
  requestsCache.set(pod, r);
  return r;
}

export function addResources(into: Resources, r: Resources, sign = 1): void {
  into.cpu += sign * r.cpu;
  into.memory += sign * r.memory;
  into.storage += sign * r.storage;
  into.pods += sign * r.pods;
  into.nzCpu += sign * r.nzCpu;
  into.nzMemory += sign * r.nzMemory;
  if (r.other) {
    into.other ??= {};
    for (const k in r.other) into.other[k] = (into.other[k] ?? 0) + sign * r.other[k];
  }
}

const allocCache = new WeakMap<object, Resources>();

/** The node's allocatable; "pods" defaults to 110 as the kubelet's, anything absent is 0. */
export function allocatable(node: KubeObject): Resources {
  const hit = allocCache.get(node);
  if (hit) return hit;
  const r = emptyResources();
  r.pods = 110;
  const alloc = ((node.status as Obj)?.allocatable ?? {}) as Record<string, string>;
  for (const name in alloc) put(r, name, parseQuantity(String(alloc[name])), (_a, b) => b);
  allocCache.set(node, r);
  return r;
}

/** undefined when want fits in alloc beside used, else upstream's reason. */
export function insufficient(want: Resources, used: Resources, alloc: Resources): string | undefined {
  if (want.pods && used.pods + want.pods > alloc.pods) return 'Too many pods';
  if (want.cpu && used.cpu + want.cpu > alloc.cpu) return 'Insufficient cpu';
  if (want.memory && used.memory + want.memory > alloc.memory) return 'Insufficient memory';
  if (want.storage && used.storage + want.storage > alloc.storage) return 'Insufficient ephemeral-storage';
  if (want.other) {
    for (const k in want.other) {
      const v = want.other[k];
      if (v && (used.other?.[k] ?? 0) + v > (alloc.other?.[k] ?? 0)) return `Insufficient ${k}`;
    }
  }
  return undefined;
}
