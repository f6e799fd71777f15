// Local ephemeral storage isolation (upstream's LocalStorageCapacityIsolation):
// a pod is evicted, whatever the node's pressure, when an emptyDir outgrows its
// sizeLimit, a container outgrows its ephemeral-storage limit, or the pod
// outgrows the sum of its containers' limits. Checked in that order, as upstream.
import type { KubeObject } from '../../api/object.js';
import { parseQuantity } from '../quantity.js';
import { containerEphemeralStorageMessage, emptyDirMessage, podEphemeralStorageMessage } from './messages.js';
import { formatBytes, formatDecimal } from './quantity-format.js';
import type { PodUsage } from './ranking.js';

type Obj = Record<string, any>;

const limitOf = (c: Obj): string | undefined => c.resources?.limits?.['ephemeral-storage'];

/** The pod's ephemeral-storage limit, when any container has one: containers summed, an init container's if larger. */
export function podEphemeralLimit(pod: KubeObject): { bytes: number; text: string } | undefined {
  const spec = (pod.spec ?? {}) as Obj;
  const containers = (spec.containers ?? []) as Obj[];
  const inits = (spec.initContainers ?? []) as Obj[];
  const given = [...containers, ...inits].map(limitOf).filter((v): v is string => v !== undefined);
  if (given.length === 0) return undefined;
  const bytes = (c: Obj) => (limitOf(c) !== undefined ? parseQuantity(String(limitOf(c))) || 0 : 0);
  const total = Math.max(containers.reduce((n, c) => n + bytes(c), 0), inits.reduce((m, c) => Math.max(m, bytes(c)), 0));
  // the sum keeps the first limit's notation, as adding resource.Quantities does
  return { bytes: total, text: /i$/.test(String(given[0])) ? formatBytes(total) : formatDecimal(total) };
}

/** Whether the pod has anything localStorageViolation checks: an emptyDir sizeLimit or an ephemeral-storage limit. */
export function hasStorageLimits(pod: KubeObject): boolean {
  const spec = (pod.spec ?? {}) as Obj;
  return ((spec.volumes ?? []) as Obj[]).some((v) => v.emptyDir?.sizeLimit !== undefined) || [...((spec.containers ?? []) as Obj[]), ...((spec.initContainers ?? []) as Obj[])].some((c) => limitOf(c) !== undefined);
}

/** Why the pod must go for its own storage use; undefined when it is within its limits. */
export function localStorageViolation(pod: KubeObject, usage: PodUsage): string | undefined {
  const spec = (pod.spec ?? {}) as Obj;
  for (const v of (spec.volumes ?? []) as Obj[]) {
    const size = v.emptyDir?.sizeLimit;
    if (size === undefined) continue;
    const limit = parseQuantity(String(size));
    const used = usage.volumes.get(v.name);
    if (used !== undefined && limit > 0 && used > limit) return emptyDirMessage(v.name, String(size));
  }
  const podLimit = podEphemeralLimit(pod);
  if (podLimit && usage.disk !== undefined && usage.disk > podLimit.bytes) return podEphemeralStorageMessage(podLimit.text);
  for (const cu of usage.containers) {
    const c = ((spec.containers ?? []) as Obj[]).find((x) => x.name === cu.name);
    const limit = c ? limitOf(c) : undefined;
    if (!c || limit === undefined || !(parseQuantity(String(limit)) > 0)) continue;
    const used = (cu.rootfs ?? 0) + (cu.logs ?? 0);
    if (used > parseQuantity(String(limit))) return containerEphemeralStorageMessage(cu.name, String(limit));
  }
  return undefined;
}
