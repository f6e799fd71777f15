// Proportional scaling, as upstream's sync.go scale(): a Deployment resized in
// the middle of a rollout (or while paused) spreads the change over its active
// ReplicaSets in proportion to their sizes, using the desired/max-replicas
// annotations each set carries from the last time it was sized.
import type { KubeObject } from '../../api/object.js';

type Obj = Record<string, any>;

export const DESIRED_REPLICAS = 'deployment.kubernetes.io/desired-replicas';
export const MAX_REPLICAS = 'deployment.kubernetes.io/max-replicas';

const replicasOf = (rs: KubeObject) => ((rs.spec as Obj).replicas ?? 0) as number;

/** A resize happened since the active sets were last sized. */
export function isScalingEvent(desired: number, sets: KubeObject[]): boolean {
  return sets.filter((rs) => replicasOf(rs) > 0).some((rs) => {
    const a = rs.metadata.annotations?.[DESIRED_REPLICAS];
    return a !== undefined && Number(a) !== desired;
  });
}

/**
 * New sizes for the active sets so that together they hold desired + surge.
 * Growth goes to the larger (then newer) sets first, shrinking to the smaller
 * (then older) ones; what rounding leaves over goes to the first of them.
 */
export function proportionalSizes(desired: number, surge: number, sets: KubeObject[], age: (rs: KubeObject) => number): Map<KubeObject, number> {
  const active = sets.filter((rs) => replicasOf(rs) > 0);
  const out = new Map(active.map((rs) => [rs, replicasOf(rs)]));
  const allowed = desired + surge;
  const total = active.reduce((n, rs) => n + replicasOf(rs), 0);
  const toAdd = allowed - total;
  if (toAdd === 0 || !active.length) return out;
  const sorted = [...active].sort((a, b) => (toAdd > 0 ? replicasOf(b) - replicasOf(a) || age(b) - age(a) : replicasOf(a) - replicasOf(b) || age(a) - age(b)));
  let added = 0;
  for (const rs of sorted) {
    const max = Number(rs.metadata.annotations?.[MAX_REPLICAS] ?? 0) || total;
    const fraction = desired === 0 ? -replicasOf(rs) : Math.round((replicasOf(rs) * allowed) / max) - replicasOf(rs);
    const room = toAdd - added;
    const share = toAdd > 0 ? Math.min(fraction, room) : Math.max(fraction, room);
    out.set(rs, replicasOf(rs) + share);
    added += share;
  }
  const first = sorted[0];
  out.set(first, Math.max(0, out.get(first)! + toAdd - added));
  return out;
}
