// PodTopologySpread as upstream's plugin: DoNotSchedule constraints filter (skew
// = matching pods in the node's domain + the pod itself - the least crowded
// domain's count, at most maxSkew; minDomains makes the global minimum 0 while
// too few domains exist), ScheduleAnyway constraints score (fewer matching pods
// in the node's domain is better). Node inclusion follows nodeAffinityPolicy
// (default Honor) and nodeTaintsPolicy (default Ignore).
import type { KubeObject } from '../api/object.js';
import { selectorFromLabelSelector, type Selector } from '../api/selectors/label-selector.js';
import { nodeAffinityOk, untoleratedTaint, type NodeInfo } from './fit.js';
import { MAX_SCORE } from './scores.js';

type Obj = Record<string, any>;

export interface SpreadConstraint {
  maxSkew: number;
  topologyKey: string;
  hard: boolean;
  selector: Selector;
  minDomains: number;
  honorAffinity: boolean;
  honorTaints: boolean;
}

const cache = new WeakMap<object, SpreadConstraint[]>();

export function spreadConstraints(pod: KubeObject): SpreadConstraint[] {
  const hit = cache.get(pod);
  if (hit) return hit;
  const labels = pod.metadata.labels ?? {};
  const out = (((pod.spec as Obj | undefined)?.topologySpreadConstraints ?? []) as Obj[]).map((c) => {
    const ls = (c.labelSelector ?? null) as Obj | null;
    const extra = ((c.matchLabelKeys ?? []) as string[]).filter((k) => k in labels).map((k) => ({ key: k, operator: 'In', values: [labels[k]] }));
    const selector = selectorFromLabelSelector(ls && extra.length ? { ...ls, matchExpressions: [...((ls.matchExpressions ?? []) as Obj[]), ...extra] } : ls);
    return {
      maxSkew: Number(c.maxSkew) || 1,
      topologyKey: String(c.topologyKey ?? ''),
      hard: (c.whenUnsatisfiable ?? 'DoNotSchedule') === 'DoNotSchedule',
      selector,
      minDomains: Number(c.minDomains) || 1,
      honorAffinity: (c.nodeAffinityPolicy ?? 'Honor') === 'Honor',
      honorTaints: c.nodeTaintsPolicy === 'Honor',
    };
  });
  cache.set(pod, out);
  return out;
}

function included(pod: KubeObject, c: SpreadConstraint, node: KubeObject): boolean {
  if (c.honorAffinity && !nodeAffinityOk(pod, node)) return false;
  if (c.honorTaints && untoleratedTaint(pod, node)) return false;
  return true;
}

function matchingPods(pod: KubeObject, c: SpreadConstraint, pods: KubeObject[]): number {
  let n = 0;
  const ns = pod.metadata.namespace;
  for (const p of pods) if (p.metadata.namespace === ns && !p.metadata.deletionTimestamp && c.selector.matches(p.metadata.labels ?? {})) n++;
  return n;
}

export interface SpreadState {
  constraints: SpreadConstraint[];
  /** per constraint: domain value -> matching pods */
  counts: Map<string, number>[];
}

function hasKeys(node: KubeObject, cs: SpreadConstraint[]): boolean {
  const labels = node.metadata.labels ?? {};
  return cs.every((c) => c.topologyKey in labels);
}

/** Pre-filter over all nodes; undefined when the pod has no DoNotSchedule constraint. */
export function preFilterSpread(pod: KubeObject, nodes: NodeInfo[]): SpreadState | undefined {
  const constraints = spreadConstraints(pod).filter((c) => c.hard);
  if (constraints.length === 0) return undefined;
  const counts = constraints.map(() => new Map<string, number>());
  for (const info of nodes) {
    if (!hasKeys(info.node, constraints)) continue;
    constraints.forEach((c, i) => {
      if (!included(pod, c, info.node)) return;
      const v = info.node.metadata.labels![c.topologyKey];
      counts[i].set(v, (counts[i].get(v) ?? 0) + matchingPods(pod, c, info.pods));
    });
  }
  return { constraints, counts };
}

/** A pod leaves (d=-1) or comes back (d=1) in preemption's what-ifs: its domain's count follows. */
export function adjustSpread(state: SpreadState, pod: KubeObject, other: KubeObject, node: KubeObject, d: number): void {
  state.constraints.forEach((c, i) => {
    const v = node.metadata.labels?.[c.topologyKey];
    if (v === undefined || !state.counts[i].has(v) || !included(pod, c, node)) return;
    if (matchingPods(pod, c, [other])) state.counts[i].set(v, state.counts[i].get(v)! + d);
  });
}

function minCount(m: Map<string, number>, minDomains: number): number {
  if (m.size < minDomains) return 0;
  let min = Infinity;
  for (const v of m.values()) if (v < min) min = v;
  return min === Infinity ? 0 : min;
}

export function spreadReason(state: SpreadState, pod: KubeObject, node: KubeObject): string | undefined {
  const labels = node.metadata.labels ?? {};
  for (let i = 0; i < state.constraints.length; i++) {
    const c = state.constraints[i];
    const v = labels[c.topologyKey];
    if (v === undefined) return "node(s) didn't match pod topology spread constraints (missing required label)";
    const self = c.selector.matches(pod.metadata.labels ?? {}) ? 1 : 0;
    const skew = (state.counts[i].get(v) ?? 0) + self - minCount(state.counts[i], c.minDomains);
    if (skew > c.maxSkew) return "node(s) didn't match pod topology spread constraints";
  }
  return undefined;
}

/**
 * ScheduleAnyway constraints: raw scores for the feasible nodes, normalised in place (higher is better).
 * A pod with no constraints of its own takes systemDefaults' (default-spread.ts); those, as
 * upstream, ignore no node for lacking a topology key: such a node just scores nothing for it.
 */
export function spreadScores(pod: KubeObject, feasible: NodeInfo[], all: NodeInfo[], systemDefaults?: (pod: KubeObject) => SpreadConstraint[]): number[] | undefined {
  const own = spreadConstraints(pod);
  const systemDefaulted = own.length === 0 && systemDefaults !== undefined;
  const constraints = systemDefaulted ? systemDefaults(pod) : own.filter((c) => !c.hard);
  if (constraints.length === 0) return undefined;
  const counted = (node: KubeObject) => systemDefaulted || hasKeys(node, constraints);
  const ignored = feasible.map((info) => !counted(info.node));
  // domains seen among the feasible nodes, and the weight their number gives each constraint
  const domains = constraints.map(() => new Map<string, number>());
  feasible.forEach((info, j) => {
    if (ignored[j]) return;
    constraints.forEach((c, i) => {
      const v = info.node.metadata.labels?.[c.topologyKey];
      if (v !== undefined) domains[i].set(v, 0);
    });
  });
  for (const info of all) {
    if (!counted(info.node)) continue;
    constraints.forEach((c, i) => {
      const v = info.node.metadata.labels?.[c.topologyKey];
      if (v === undefined || !domains[i].has(v) || !included(pod, c, info.node)) return;
      domains[i].set(v, domains[i].get(v)! + matchingPods(pod, c, info.pods));
    });
  }
  const weights = domains.map((d) => Math.log(d.size + 2));
  const raw = feasible.map((info, j) => {
    if (ignored[j]) return 0;
    let s = 0;
    constraints.forEach((c, i) => {
      const v = info.node.metadata.labels?.[c.topologyKey];
      if (v !== undefined) s += (domains[i].get(v) ?? 0) * weights[i] + (c.maxSkew - 1);
    });
    return s;
  });
  let min = Infinity;
  let max = 0;
  raw.forEach((s, j) => {
    if (ignored[j]) return;
    if (s < min) min = s;
    if (s > max) max = s;
  });
  return raw.map((s, j) => (ignored[j] ? 0 : max === 0 ? MAX_SCORE : Math.floor((MAX_SCORE * (max + min - s)) / max)));
}
