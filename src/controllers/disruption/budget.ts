// The arithmetic of a PodDisruptionBudget, as upstream's disruption controller
// computes it: how many pods are expected, how many must stay healthy, how many
// are healthy now (ready, not being deleted, not just evicted), and so how many
// disruptions are allowed.
import type { KubeObject } from '../../api/object.js';
import { isPodReady } from '../../api/kinds/service-endpoints.js';

type Obj = Record<string, any>;

/** An eviction the controller has not yet seen turn into a deletion is forgotten after this long (upstream: 2 minutes). */
export const DELETION_TIMEOUT_MS = 2 * 60_000;

export class BudgetError extends Error {}

/** An int-or-percent against a total, rounding up as upstream's GetScaledValueFromIntOrPercent(..., true). */
export function scaledValue(v: unknown, total: number): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    const m = /^([0-9]+)%$/.exec(v);
    if (m) return Math.ceil((Number(m[1]) * total) / 100);
    if (/^[0-9]+$/.test(v)) return Number(v);
  }
  throw new BudgetError(`invalid value for IntOrString: invalid value ${JSON.stringify(v)}`);
}

function isPercent(v: unknown): boolean {
  return typeof v === 'string' && v.endsWith('%');
}

export interface Budget {
  expectedPods: number;
  desiredHealthy: number;
  currentHealthy: number;
  disruptionsAllowed: number;
  disruptedPods: Record<string, string>;
  /** when a disrupted-pod entry expires and the budget must be recomputed */
  recheckAt?: number;
}

/**
 * spec and the matching pods -> the status numbers. expectedScale gives the
 * sum of the owning controllers' replicas (it throws BudgetError when a pod's
 * controller cannot be found or has no scale).
 */
export function computeBudget(pdb: KubeObject, pods: KubeObject[], expectedScale: () => number, now = Date.now()): Budget {
  const spec = (pdb.spec ?? {}) as Obj;
  let expectedPods: number;
  let desiredHealthy: number;
  if (spec.maxUnavailable !== undefined && spec.maxUnavailable !== null) {
    expectedPods = expectedScale();
    desiredHealthy = Math.max(0, expectedPods - scaledValue(spec.maxUnavailable, expectedPods));
  } else if (spec.minAvailable !== undefined && spec.minAvailable !== null && !isPercent(spec.minAvailable)) {
    desiredHealthy = scaledValue(spec.minAvailable, 0);
    expectedPods = pods.length;
  } else if (spec.minAvailable !== undefined && spec.minAvailable !== null) {
    expectedPods = expectedScale();
    desiredHealthy = scaledValue(spec.minAvailable, expectedPods);
  } else {
    // neither set (policy/v1 has no default): nothing is expected, every healthy pod may go
    expectedPods = 0;
    desiredHealthy = 0;
  }
  const { disrupted, recheckAt } = liveDisruptions(pdb, pods, now);
  let currentHealthy = 0;
  for (const p of pods) if (!p.metadata.deletionTimestamp && !(p.metadata.name! in disrupted) && isPodReady(p)) currentHealthy++;
  const disruptionsAllowed = Math.max(0, currentHealthy - desiredHealthy);
  return { expectedPods, desiredHealthy, currentHealthy, disruptionsAllowed, disruptedPods: disrupted, recheckAt };
}

/** status.disruptedPods minus pods now being deleted (the eviction landed) or whose entry is too old. */
function liveDisruptions(pdb: KubeObject, pods: KubeObject[], now: number): { disrupted: Record<string, string>; recheckAt?: number } {
  const recorded = (((pdb.status as Obj | undefined)?.disruptedPods ?? {}) as Record<string, string>);
  const byName = new Map(pods.map((p) => [p.metadata.name!, p]));
  const disrupted: Record<string, string> = {};
  let recheckAt: number | undefined;
  for (const [name, at] of Object.entries(recorded)) {
    const pod = byName.get(name);
    if (!pod || pod.metadata.deletionTimestamp) continue;
    const expires = Date.parse(at) + DELETION_TIMEOUT_MS;
    if (!(expires > now)) continue;
    disrupted[name] = at;
    recheckAt = recheckAt === undefined ? expires : Math.min(recheckAt, expires);
  }
  return { disrupted, recheckAt };
}

/** The DisruptionAllowed condition for a computed status (lastTransitionTime kept while the status holds). */
export function disruptionCondition(old: Obj[] | undefined, allowed: boolean, reason: string, observedGeneration: number, message = ''): Obj {
  const status = allowed ? 'True' : 'False';
  const prev = (old ?? []).find((c) => c.type === 'DisruptionAllowed');
  const lastTransitionTime = prev && prev.status === status ? prev.lastTransitionTime : new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  return { type: 'DisruptionAllowed', status, observedGeneration, lastTransitionTime, reason, message };
}
