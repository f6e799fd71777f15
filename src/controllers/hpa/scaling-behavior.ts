// What the HPA does with a raw recommendation before scaling, as upstream:
// stabilization (the most conservative recommendation of a recent window) and
// rate limits (policies over periods of recent scale events), or, without
// spec.behavior, the older rules (a downscale window, at most doubling).
// State is kept per HPA key in memory, as upstream's controller keeps it.

type Obj = Record<string, any>;

export interface Condition {
  type: 'AbleToScale' | 'ScalingLimited';
  status: 'True' | 'False';
  reason: string;
  message: string;
}

interface Recommendation {
  replicas: number;
  at: number;
}

interface ScaleEvent {
  change: number;
  at: number;
}

export interface Rules {
  stabilizationWindowSeconds?: number;
  selectPolicy?: 'Max' | 'Min' | 'Disabled';
  policies?: Array<{ type: 'Pods' | 'Percent'; value: number; periodSeconds: number }>;
}

export interface Normalized {
  replicas: number;
  conditions: Condition[];
}

export class ScalingHistory {
  private readonly recommendations = new Map<string, Recommendation[]>();
  private readonly ups = new Map<string, ScaleEvent[]>();
  private readonly downs = new Map<string, ScaleEvent[]>();

  constructor(
    /** upstream's --horizontal-pod-autoscaler-downscale-stabilization (5 min) */
    private readonly downscaleWindowMs = 300_000,
  ) {}

  forget(key: string): void {
    this.recommendations.delete(key);
    this.ups.delete(key);
    this.downs.delete(key);
  }

  /** Without spec.behavior: the highest recommendation of the downscale window, then at most max(2x, 4). */
  normalize(key: string, current: number, desired: number, min: number, max: number, now: number): Normalized {
    const list = this.recommendations.get(key) ?? [];
    let stabilized = desired;
    let replaced = false;
    for (let i = 0; i < list.length; i++) {
      const r = list[i]!;
      if (r.at > now - this.downscaleWindowMs) stabilized = Math.max(stabilized, r.replicas);
      else if (!replaced) {
        list[i] = { replicas: desired, at: now };
        replaced = true;
      }
    }
    if (!replaced) list.push({ replicas: desired, at: now });
    this.recommendations.set(key, list);
    const conditions: Condition[] = [
      stabilized !== desired
        ? { type: 'AbleToScale', status: 'True', reason: 'ScaleDownStabilized', message: 'recent recommendations were higher than current one, applying the highest recent recommendation' }
        : { type: 'AbleToScale', status: 'True', reason: 'ReadyForNewScale', message: 'recommended size matches current size' },
    ];
    const upLimit = Math.max(2 * current, 4);
    let limit: { replicas: number; reason: string; message: string } = { replicas: stabilized, reason: 'DesiredWithinRange', message: 'the desired count is within the acceptable range' };
    const maxAllowed = max > upLimit ? { n: upLimit, reason: 'ScaleUpLimit', message: 'the desired replica count is increasing faster than the maximum scale rate' } : { n: max, reason: 'TooManyReplicas', message: 'the desired replica count is more than the maximum replica count' };
    if (stabilized < min) limit = { replicas: min, reason: 'TooFewReplicas', message: 'the desired replica count is less than the minimum replica count' };
    else if (stabilized > maxAllowed.n) limit = { replicas: maxAllowed.n, reason: maxAllowed.reason, message: maxAllowed.message };
    conditions.push({ type: 'ScalingLimited', status: limit.replicas === stabilized ? 'False' : 'True', reason: limit.reason, message: limit.message });
    return { replicas: limit.replicas, conditions };
  }

  /** With spec.behavior (defaulted by the API): stabilization windows, then the policies' rate limits. */
  normalizeWithBehavior(key: string, current: number, desired: number, min: number, max: number, behavior: Obj, now: number): Normalized {
    const up: Rules = behavior.scaleUp ?? {};
    const down: Rules = behavior.scaleDown ?? {};
    const upWindow = up.stabilizationWindowSeconds ?? 0;
    const downWindow = down.stabilizationWindowSeconds ?? this.downscaleWindowMs / 1000;
    const scalingUp = desired >= current;
    const windowS = scalingUp ? upWindow : downWindow;
    const better = scalingUp ? Math.min : Math.max;
    const obsolete = now - Math.max(upWindow, downWindow) * 1000;
    const cutoff = now - windowS * 1000;
    const list = this.recommendations.get(key) ?? [];
    let stabilized = desired;
    let oldIndex = -1;
    list.forEach((r, i) => {
      if (r.at > cutoff) stabilized = better(r.replicas, stabilized);
      if (r.at < obsolete) oldIndex = i;
    });
    if (oldIndex >= 0) list[oldIndex] = { replicas: desired, at: now };
    else list.push({ replicas: desired, at: now });
    this.recommendations.set(key, list);
    const conditions: Condition[] = [
      stabilized !== desired
        ? scalingUp
          ? { type: 'AbleToScale', status: 'True', reason: 'ScaleUpStabilized', message: 'recent recommendations were lower than current one, applying the lowest recent recommendation' }
          : { type: 'AbleToScale', status: 'True', reason: 'ScaleDownStabilized', message: 'recent recommendations were higher than current one, applying the highest recent recommendation' }
        : { type: 'AbleToScale', status: 'True', reason: 'ReadyForNewScale', message: 'recommended size matches current size' },
    ];
    const limited = this.rateLimit(key, current, stabilized, min, max, up, down, now);
    conditions.push({ type: 'ScalingLimited', status: limited.replicas === stabilized ? 'False' : 'True', reason: limited.reason, message: limited.message });
    return { replicas: limited.replicas, conditions };
  }

  private rateLimit(key: string, current: number, desired: number, min: number, max: number, up: Rules, down: Rules, now: number): { replicas: number; reason: string; message: string } {
    const within = { replicas: desired, reason: 'DesiredWithinRange', message: 'the desired count is within the acceptable range' };
    if (desired > current) {
      const limit = Math.max(current, scaleUpLimit(current, this.ups.get(key) ?? [], this.downs.get(key) ?? [], up, now));
      const cap = max > limit ? { n: limit, reason: 'ScaleUpLimit', message: 'the desired replica count is increasing faster than the maximum scale rate' } : { n: max, reason: 'TooManyReplicas', message: 'the desired replica count is more than the maximum replica count' };
      if (desired > cap.n) return { replicas: cap.n, reason: cap.reason, message: cap.message };
    } else if (desired < current) {
      const limit = Math.min(current, scaleDownLimit(current, this.ups.get(key) ?? [], this.downs.get(key) ?? [], down, now));
      const floor = min < limit ? { n: limit, reason: 'ScaleDownLimit', message: 'the desired replica count is decreasing faster than the maximum scale rate' } : { n: min, reason: 'TooFewReplicas', message: 'the desired replica count is less than the minimum replica count' };
      if (desired < floor.n) return { replicas: floor.n, reason: floor.reason, message: floor.message };
    }
    return within;
  }

  /** Remembers a rescale for the policies' periods (only HPAs with behavior are rate-limited by events). */
  recordScale(key: string, behavior: Obj | undefined, from: number, to: number, now: number): void {
    if (!behavior || from === to) return;
    const rules: Rules = (to > from ? behavior.scaleUp : behavior.scaleDown) ?? {};
    const longest = Math.max(0, ...(rules.policies ?? []).map((p) => p.periodSeconds)) * 1000;
    const map = to > from ? this.ups : this.downs;
    const events = (map.get(key) ?? []).filter((e) => e.at > now - longest);
    events.push({ change: Math.abs(to - from), at: now });
    map.set(key, events);
  }
}

function changedWithin(periodSeconds: number, events: ScaleEvent[], now: number): number {
  return events.filter((e) => e.at > now - periodSeconds * 1000).reduce((n, e) => n + e.change, 0);
}

export function scaleUpLimit(current: number, ups: ScaleEvent[], downs: ScaleEvent[], rules: Rules, now: number): number {
  const select = rules.selectPolicy ?? 'Max';
  if (select === 'Disabled') return current;
  let result = select === 'Min' ? Number.MAX_SAFE_INTEGER : Number.MIN_SAFE_INTEGER;
  for (const p of rules.policies ?? []) {
    const start = current - changedWithin(p.periodSeconds, ups, now) + changedWithin(p.periodSeconds, downs, now);
    // rounded up, or a small percentage of few replicas would never add one
    const proposed = p.type === 'Pods' ? start + p.value : Math.ceil(start * (1 + p.value / 100));
    result = select === 'Min' ? Math.min(result, proposed) : Math.max(result, proposed);
  }
  return result;
}

export function scaleDownLimit(current: number, ups: ScaleEvent[], downs: ScaleEvent[], rules: Rules, now: number): number {
  const select = rules.selectPolicy ?? 'Max';
  if (select === 'Disabled') return current;
  // for scaling down the largest change is the lowest count
  let result = select === 'Min' ? Number.MIN_SAFE_INTEGER : Number.MAX_SAFE_INTEGER;
  for (const p of rules.policies ?? []) {
    const start = current - changedWithin(p.periodSeconds, ups, now) + changedWithin(p.periodSeconds, downs, now);
    const proposed = p.type === 'Pods' ? start - p.value : Math.trunc(start * (1 - p.value / 100));
    result = select === 'Min' ? Math.max(result, proposed) : Math.min(result, proposed);
  }
  return result;
}
