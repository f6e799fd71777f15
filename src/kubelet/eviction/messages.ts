// The texts an evicted pod is left with (status.message and its Evicted event),
// worded as upstream's eviction manager words them, trailing spaces included.
import type { KubeObject } from '../../api/object.js';
import { containerRequest, type PodUsage, type StarvedResource } from './ranking.js';
import { formatBytes, formatDecimal } from './quantity-format.js';

type Obj = Record<string, any>;

export const EVICTED_REASON = 'Evicted';

const amount = (resource: StarvedResource, n: number): string => (resource === 'memory' || resource === 'ephemeral-storage' ? formatBytes(n) : formatDecimal(n));

/** A request as the pod spec wrote it ("100Mi"), or 0. */
function requestText(c: Obj, resource: string): string {
  const v = c.resources?.requests?.[resource] ?? c.resources?.limits?.[resource];
  return v === undefined ? '0' : String(v);
}

/**
 * "The node was low on resource: memory. Threshold quantity: 100Mi, available: 50Mi. Container c was
 * using 70Mi, request is 0, has larger consumption of memory. " — the threshold part when it is known,
 * one sentence per container using more than it requested (memory and ephemeral storage only).
 */
export function evictionMessage(resource: StarvedResource, pod: KubeObject, usage: PodUsage | undefined, threshold?: { quantity: number; available: number }): string {
  let message = `The node was low on resource: ${resource}. `;
  if (threshold) message += `Threshold quantity: ${amount(resource, threshold.quantity)}, available: ${amount(resource, threshold.available)}. `;
  if (!usage) return message;
  const spec = (pod.spec ?? {}) as Obj;
  const containers = [...((spec.containers ?? []) as Obj[]), ...((spec.initContainers ?? []) as Obj[])];
  for (const cu of usage.containers) {
    const c = containers.find((x) => x.name === cu.name);
    if (!c) continue;
    let used: number | undefined;
    if (resource === 'memory') used = cu.memory;
    else if (resource === 'ephemeral-storage' && cu.rootfs !== undefined && cu.logs !== undefined) used = cu.rootfs + cu.logs;
    if (used === undefined || used <= containerRequest(c, resource)) continue;
    message += `Container ${c.name} was using ${formatBytes(used)}, request is ${requestText(c, resource)}, has larger consumption of ${resource}. `;
  }
  return message;
}

export function emptyDirMessage(volume: string, sizeLimit: string): string {
  return `Usage of EmptyDir volume ${JSON.stringify(volume)} exceeds the limit ${JSON.stringify(sizeLimit)}. `;
}

export function containerEphemeralStorageMessage(container: string, limit: string): string {
  return `Container ${container} exceeded its local ephemeral storage limit ${JSON.stringify(limit)}. `;
}

export function podEphemeralStorageMessage(limit: string): string {
  return `Pod ephemeral local storage usage exceeds the total limit of containers ${limit}. `;
}
