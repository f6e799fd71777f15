// Pod admission under node pressure, as upstream's eviction manager admits: a
// node under any pressure other than memory alone takes no new pods; under memory
// pressure alone it refuses BestEffort pods unless they tolerate the
// memory-pressure taint. Critical pods are always admitted. A refused pod is
// Failed with reason Evicted and "Pod was rejected: The node had condition: [...]. ".
import type { KubeObject } from '../../api/object.js';
import type { PressureCondition } from '../node-pressure.js';
import { isCriticalPod } from './ranking.js';

type Obj = Record<string, any>;

const MEMORY_PRESSURE_TAINT = { key: 'node.kubernetes.io/memory-pressure', effect: 'NoSchedule', value: '' };

/** No container (init ones included) asks for or is limited in CPU or memory: upstream's BestEffort QoS. */
export function isBestEffort(pod: KubeObject): boolean {
  const spec = (pod.spec ?? {}) as Obj;
  return [...((spec.containers ?? []) as Obj[]), ...((spec.initContainers ?? []) as Obj[])].every((c) =>
    ['requests', 'limits'].every((k) => !['cpu', 'memory'].some((r) => c.resources?.[k]?.[r] !== undefined)),
  );
}

/** upstream's ToleratesTaint for one taint */
function tolerates(tolerations: Obj[], taint: { key: string; effect: string; value: string }): boolean {
  return tolerations.some((t) => {
    if (t.effect && t.effect !== taint.effect) return false;
    if (t.operator === 'Exists') return !t.key || t.key === taint.key;
    return t.key === taint.key && (t.value ?? '') === taint.value;
  });
}

/** The rejection message, or undefined when the pod may run here. */
export function pressureAdmission(pod: KubeObject, conditions: PressureCondition[]): string | undefined {
  if (conditions.length === 0 || isCriticalPod(pod)) return undefined;
  if (conditions.length === 1 && conditions[0] === 'MemoryPressure') {
    if (!isBestEffort(pod)) return undefined;
    if (tolerates(((pod.spec as Obj | undefined)?.tolerations ?? []) as Obj[], MEMORY_PRESSURE_TAINT)) return undefined;
  }
  return `The node had condition: [${conditions.join(' ')}]. `;
}
