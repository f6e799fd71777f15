// The HPA's replica count for one Resource metric, as upstream's replica
// calculator: pods are grouped into ready (counted), unready (pending, or
// CPU not yet trustworthy after start), missing (no metrics) and ignored
// (deleted, failed); the usage ratio moves the count only outside the
// tolerance, and missing/unready pods are assumed to use whatever makes the
// change most conservative, so they can dampen a change but never cause one.
import type { KubeObject } from '../../api/object.js';

type Obj = Record<string, any>;

/** A pod's usage in milli-units (millicores, milli-bytes), with when and over what window it was measured. */
export interface PodMetric {
  value: number;
  timestamp: number;
  windowMs: number;
}

export type PodMetrics = Map<string, PodMetric>;

export interface CalculatorOptions {
  tolerance: number;
  /** upstream's --horizontal-pod-autoscaler-cpu-initialization-period (5 min) */
  cpuInitializationPeriodMs: number;
  /** upstream's --horizontal-pod-autoscaler-initial-readiness-delay (30 s) */
  initialReadinessDelayMs: number;
  now: number;
}

export const DEFAULT_CALCULATOR: Omit<CalculatorOptions, 'now'> = { tolerance: 0.1, cpuInitializationPeriodMs: 5 * 60_000, initialReadinessDelayMs: 30_000 };

export class MetricsError extends Error {}

interface Groups {
  readyCount: number;
  unready: Set<string>;
  missing: Set<string>;
  ignored: Set<string>;
}

export function groupPods(pods: KubeObject[], metrics: PodMetrics, resource: string, o: CalculatorOptions): Groups {
  const g: Groups = { readyCount: 0, unready: new Set(), missing: new Set(), ignored: new Set() };
  for (const pod of pods) {
    const name = pod.metadata.name!;
    const status = (pod.status ?? {}) as Obj;
    if (pod.metadata.deletionTimestamp || status.phase === 'Failed') {
      g.ignored.add(name);
      continue;
    }
    if (status.phase === 'Pending') {
      g.unready.add(name);
      continue;
    }
    const metric = metrics.get(name);
    if (!metric) {
      g.missing.add(name);
      continue;
    }
    if (resource === 'cpu') {
      const ready = ((status.conditions ?? []) as Obj[]).find((c) => c.type === 'Ready');
      const start = status.startTime ? Date.parse(status.startTime) : undefined;
      let unready: boolean;
      if (!ready || start === undefined) unready = true;
      else {
        const transition = Date.parse(ready.lastTransitionTime ?? '') || 0;
        if (start + o.cpuInitializationPeriodMs > o.now) {
          // just started: a sample taken before one whole window since becoming ready says little
          unready = ready.status === 'False' || metric.timestamp < transition + metric.windowMs;
        } else {
          // later, only a pod that has never been ready is left out
          unready = ready.status === 'False' && start + o.initialReadinessDelayMs > transition;
        }
      }
      if (unready) {
        g.unready.add(name);
        continue;
      }
    }
    g.readyCount++;
  }
  return g;
}

/** Sum of the containers' requests per pod (milli-units); a container without one makes utilization meaningless. */
export function podRequests(pods: KubeObject[], resource: string, parse: (q: string) => number): Map<string, number> {
  const out = new Map<string, number>();
  for (const pod of pods) {
    let sum = 0;
    for (const c of ((pod.spec as Obj)?.containers ?? []) as Obj[]) {
      const q = c.resources?.requests?.[resource];
      if (q === undefined) throw new MetricsError(`missing request for ${resource} in container ${c.name} of Pod ${pod.metadata.name}`);
      sum += Math.round(parse(String(q)) * 1000);
    }
    out.set(pod.metadata.name!, sum);
  }
  return out;
}

function utilizationRatio(metrics: PodMetrics, requests: Map<string, number>, target: number): { ratio: number; utilization: number; rawAverage: number } {
  let used = 0;
  let requested = 0;
  let n = 0;
  for (const [name, m] of metrics) {
    const r = requests.get(name);
    if (r === undefined) continue;
    used += m.value;
    requested += r;
    n++;
  }
  if (requested === 0) throw new MetricsError('no metrics returned matched known pods');
  const utilization = Math.trunc((used * 100) / requested);
  return { ratio: utilization / target, utilization, rawAverage: Math.trunc(used / n) };
}

function averageRatio(metrics: PodMetrics, target: number): { ratio: number; average: number } {
  let used = 0;
  for (const m of metrics.values()) used += m.value;
  const average = used / metrics.size;
  return { ratio: average / target, average: Math.trunc(average) };
}

export interface Proposal {
  replicas: number;
  /** percent of request (Utilization targets) */
  utilization?: number;
  /** average usage per pod, milli-units */
  average: number;
}

/**
 * The replica count for a Resource metric. `target` is a utilization percent
 * (kind 'Utilization') or an average value in milli-units (kind 'AverageValue').
 */
export function resourceReplicas(
  current: number,
  kind: 'Utilization' | 'AverageValue',
  target: number,
  resource: string,
  pods: KubeObject[],
  metricsIn: PodMetrics,
  parse: (q: string) => number,
  o: CalculatorOptions,
): Proposal {
  if (pods.length === 0) throw new MetricsError('no pods returned by selector while calculating replica count');
  const metrics: PodMetrics = new Map(metricsIn);
  const g = groupPods(pods, metrics, resource, o);
  for (const n of [...g.ignored, ...g.unready]) metrics.delete(n);
  if (metrics.size === 0) throw new MetricsError('did not receive metrics for targeted pods (pods might be unready)');
  const requests = kind === 'Utilization' ? podRequests(pods, resource, parse) : new Map<string, number>();
  const measure = () => {
    if (kind === 'Utilization') {
      const u = utilizationRatio(metrics, requests, target);
      return { ratio: u.ratio, utilization: u.utilization, average: u.rawAverage };
    }
    const a = averageRatio(metrics, target);
    return { ratio: a.ratio, utilization: undefined, average: a.average };
  };
  const first = measure();
  const { ratio } = first;
  const scaleUpWithUnready = g.unready.size > 0 && ratio > 1;
  const keep = { replicas: current, utilization: first.utilization, average: first.average };
  if (!scaleUpWithUnready && g.missing.size === 0) {
    if (Math.abs(1 - ratio) <= o.tolerance) return keep;
    return { ...keep, replicas: Math.ceil(ratio * g.readyCount) };
  }
  if (g.missing.size > 0) {
    for (const name of g.missing) {
      let value = 0;
      // scaling down: a missing pod counts as using all it asked for (or the target, if lower); scaling up: nothing
      if (ratio < 1) value = kind === 'Utilization' ? Math.trunc(((requests.get(name) ?? 0) * Math.max(100, target)) / 100) : target;
      if (ratio !== 1) metrics.set(name, { value, timestamp: o.now, windowMs: 0 });
    }
  }
  // scaling up: unready pods count as using nothing
  if (scaleUpWithUnready) for (const name of g.unready) metrics.set(name, { value: 0, timestamp: o.now, windowMs: 0 });
  const next = measure().ratio;
  if (Math.abs(1 - next) <= o.tolerance || (ratio < 1 && next > 1) || (ratio > 1 && next < 1)) return keep;
  const replicas = Math.ceil(next * metrics.size);
  // the assumptions may only dampen the change, never turn it around
  if ((next < 1 && replicas > current) || (next > 1 && replicas < current)) return keep;
  return { ...keep, replicas };
}
