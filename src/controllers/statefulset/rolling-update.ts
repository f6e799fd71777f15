// Which pods a StatefulSet RollingUpdate replaces now, as upstream's controller
// with MaxUnavailableStatefulSet: every ordinal of the set that is missing,
// terminating, not ready or not yet available (minReadySeconds) counts against
// maxUnavailable; the rest of the budget deletes outdated pods from the highest
// ordinal down to the partition, under OrderedReady and Parallel alike.
// Unlike upstream's gated path (which waits forever), an outdated pod that is
// itself unavailable is replaced without spending the budget, as upstream's
// ungated path does: replacing it cannot lower availability, and it lets a
// fixed template roll over a crashing pod. Order holds either way: once an
// outdated pod waits for budget, the ones below it wait too.
import type { KubeObject } from '../../api/object.js';
import { availableIn, revisionOfPod } from './pod-identity.js';

/** maxUnavailable (int or percent of replicas, rounded up) as a pod count; never below 1. */
export function maxUnavailableOf(value: unknown, replicas: number): number {
  let n = 1;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'string' && /^\d+%$/.test(value)) n = Math.ceil((Number(value.slice(0, -1)) * replicas) / 100);
  return Math.max(1, Math.floor(n));
}

export interface RollingInput {
  /** live pods by ordinal */
  slots: Map<number, KubeObject>;
  start: number;
  replicas: number;
  partition: number;
  updateRevision: string;
  maxUnavailable: number;
  minReadySeconds: number;
  now?: number;
}

export function podsToUpdate(r: RollingInput): KubeObject[] {
  let unavailable = 0;
  for (let ord = r.start; ord < r.start + r.replicas; ord++) {
    const pod = r.slots.get(ord);
    if (!pod || pod.metadata.deletionTimestamp || availableIn(pod, r.minReadySeconds, r.now) > 0) unavailable++;
  }
  const out: KubeObject[] = [];
  let budget = r.maxUnavailable - unavailable;
  for (let ord = r.start + r.replicas - 1; ord >= r.start + r.partition; ord--) {
    const pod = r.slots.get(ord);
    if (!pod || pod.metadata.deletionTimestamp || revisionOfPod(pod) === r.updateRevision) continue;
    if (availableIn(pod, r.minReadySeconds, r.now) > 0) out.push(pod);
    else if (budget > 0) {
      out.push(pod);
      budget--;
    } else break; // ordinals roll top-down: a lower outdated pod never jumps ahead of one waiting for budget
  }
  return out;
}
