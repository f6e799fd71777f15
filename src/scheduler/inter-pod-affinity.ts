// InterPodAffinity as upstream's plugin: required affinity and anti-affinity of
// the incoming pod, the existing pods' required anti-affinity against it (filter),
// and the preferred terms of both sides (score). Counts are kept per topology
// pair ("key=value" of a node label), computed once per pod (pre-filter).
import type { KubeObject } from '../api/object.js';
import { selectorFromLabelSelector, type Selector } from '../api/selectors/label-selector.js';
import type { NodeInfo } from './fit.js';

type Obj = Record<string, any>;

export type NamespaceLabels = (namespace: string) => Record<string, string> | undefined;

export interface AffinityTerm {
  selector: Selector;
  /** namespaces named by the term (or the owner's own) */
  namespaces: Set<string>;
  nsSelector?: Selector;
  topologyKey: string;
  weight: number;
}

export interface PodTerms {
  requiredAffinity: AffinityTerm[];
  requiredAnti: AffinityTerm[];
  preferredAffinity: AffinityTerm[];
  preferredAnti: AffinityTerm[];
}

const EMPTY: PodTerms = { requiredAffinity: [], requiredAnti: [], preferredAffinity: [], preferredAnti: [] };
const termsCache = new WeakMap<object, PodTerms>();

function compile(t: Obj, owner: KubeObject, weight: number): AffinityTerm {
  const labels = owner.metadata.labels ?? {};
  const ls = (t.labelSelector ?? null) as Obj | null;
  // matchLabelKeys / mismatchLabelKeys: the owner's own values join the selector
  const extra: Obj[] = [];
  for (const k of (t.matchLabelKeys ?? []) as string[]) if (k in labels) extra.push({ key: k, operator: 'In', values: [labels[k]] });
  for (const k of (t.mismatchLabelKeys ?? []) as string[]) if (k in labels) extra.push({ key: k, operator: 'NotIn', values: [labels[k]] });
  const selector = selectorFromLabelSelector(extra.length ? { ...(ls ?? {}), matchExpressions: [...((ls?.matchExpressions ?? []) as Obj[]), ...extra] } : ls);
  const names = (t.namespaces ?? []) as string[];
  const nsSelector = t.namespaceSelector ? selectorFromLabelSelector(t.namespaceSelector) : undefined;
  const namespaces = new Set(names.length === 0 && !nsSelector ? [owner.metadata.namespace ?? 'default'] : names);
  return { selector, namespaces, nsSelector, topologyKey: String(t.topologyKey ?? ''), weight };
}

export function podTerms(pod: KubeObject): PodTerms {
  const hit = termsCache.get(pod);
  if (hit) return hit;
  const a = ((pod.spec as Obj | undefined)?.affinity ?? {}) as Obj;
  let out = EMPTY;
  if (a.podAffinity || a.podAntiAffinity) {
    const req = (x: Obj | undefined) => ((x?.requiredDuringSchedulingIgnoredDuringExecution ?? []) as Obj[]).map((t) => compile(t, pod, 1));
    const pref = (x: Obj | undefined) => ((x?.preferredDuringSchedulingIgnoredDuringExecution ?? []) as Obj[]).filter((w) => w.podAffinityTerm).map((w) => compile(w.podAffinityTerm, pod, Number(w.weight) || 0));
    out = { requiredAffinity: req(a.podAffinity), requiredAnti: req(a.podAntiAffinity), preferredAffinity: pref(a.podAffinity), preferredAnti: pref(a.podAntiAffinity) };
  }
  termsCache.set(pod, out);
  return out;
}

export function hasAnyTerms(t: PodTerms): boolean {
  return t.requiredAffinity.length + t.requiredAnti.length + t.preferredAffinity.length + t.preferredAnti.length > 0;
}

export function termMatches(term: AffinityTerm, pod: KubeObject, nsLabels: NamespaceLabels): boolean {
  const ns = pod.metadata.namespace ?? 'default';
  const inNs = term.namespaces.has(ns) || (term.nsSelector !== undefined && term.nsSelector.matches(nsLabels(ns) ?? {}));
  return inNs && term.selector.matches(pod.metadata.labels ?? {});
}

const pairKey = (k: string, v: string) => `${k}\u0000${v}`;

export interface AffinityState {
  terms: PodTerms;
  affinityCounts: Map<string, number>;
  antiCounts: Map<string, number>;
  existingAntiCounts: Map<string, number>;
  matchesOwnAffinity: boolean;
}

function bump(m: Map<string, number>, term: AffinityTerm, node: KubeObject, d: number): void {
  const v = node.metadata.labels?.[term.topologyKey];
  if (v === undefined) return;
  const k = pairKey(term.topologyKey, v);
  m.set(k, (m.get(k) ?? 0) + d);
}

/** Adds (d=1) or removes (d=-1) one existing pod's contribution: used by pre-filter and by preemption's what-ifs. */
export function updateAffinityState(state: AffinityState, pod: KubeObject, existing: KubeObject, node: KubeObject, nsLabels: NamespaceLabels, d: number): void {
  for (const t of podTerms(existing).requiredAnti) if (termMatches(t, pod, nsLabels)) bump(state.existingAntiCounts, t, node, d);
  for (const t of state.terms.requiredAffinity) if (termMatches(t, existing, nsLabels)) bump(state.affinityCounts, t, node, d);
  for (const t of state.terms.requiredAnti) if (termMatches(t, existing, nsLabels)) bump(state.antiCounts, t, node, d);
}

/**
 * Pre-filter: nodes are every node (the incoming pod's own terms look at all pods);
 * antiPods are the existing pods that carry required anti-affinity, with their nodes.
 * undefined when nothing here can reject a node (the fast path).
 */
export function preFilterAffinity(pod: KubeObject, nodes: NodeInfo[], antiPods: Iterable<{ pod: KubeObject; node: KubeObject }>, nsLabels: NamespaceLabels): AffinityState | undefined {
  const terms = podTerms(pod);
  const state: AffinityState = { terms, affinityCounts: new Map(), antiCounts: new Map(), existingAntiCounts: new Map(), matchesOwnAffinity: false };
  const own = terms.requiredAffinity.length + terms.requiredAnti.length > 0;
  for (const { pod: e, node } of antiPods) {
    if (e === pod) continue;
    for (const t of podTerms(e).requiredAnti) if (termMatches(t, pod, nsLabels)) bump(state.existingAntiCounts, t, node, 1);
  }
  if (own) {
    for (const info of nodes) {
      for (const e of info.pods) {
        if (e === pod) continue;
        for (const t of terms.requiredAffinity) if (termMatches(t, e, nsLabels)) bump(state.affinityCounts, t, info.node, 1);
        for (const t of terms.requiredAnti) if (termMatches(t, e, nsLabels)) bump(state.antiCounts, t, info.node, 1);
      }
    }
  }
  if (!own && state.existingAntiCounts.size === 0) return undefined;
  state.matchesOwnAffinity = terms.requiredAffinity.every((t) => termMatches(t, pod, nsLabels));
  return state;
}

function anyCount(m: Map<string, number>): boolean {
  for (const v of m.values()) if (v > 0) return true;
  return false;
}

export function affinityReason(state: AffinityState, node: KubeObject): string | undefined {
  const labels = node.metadata.labels ?? {};
  let podsExist = true;
  for (const t of state.terms.requiredAffinity) {
    const v = labels[t.topologyKey];
    if (v === undefined) return "node(s) didn't match pod affinity rules";
    if ((state.affinityCounts.get(pairKey(t.topologyKey, v)) ?? 0) <= 0) podsExist = false;
  }
  // the first pod of a group whose affinity names itself may go anywhere
  if (!podsExist && !(!anyCount(state.affinityCounts) && state.matchesOwnAffinity)) return "node(s) didn't match pod affinity rules";
  for (const t of state.terms.requiredAnti) {
    const v = labels[t.topologyKey];
    if (v !== undefined && (state.antiCounts.get(pairKey(t.topologyKey, v)) ?? 0) > 0) return "node(s) didn't match pod anti-affinity rules";
  }
  if (state.existingAntiCounts.size) {
    for (const [k, v] of Object.entries(labels)) {
      if ((state.existingAntiCounts.get(pairKey(k, v)) ?? 0) > 0) return "node(s) didn't satisfy existing pods anti-affinity rules";
    }
  }
  return undefined;
}

/** Score pre-pass: per topology key, per value, the summed preferences; undefined when nothing applies. */
export function preScoreAffinity(pod: KubeObject, nodes: NodeInfo[], affinityPods: Iterable<{ pod: KubeObject; node: KubeObject }>, nsLabels: NamespaceLabels): Map<string, Map<string, number>> | undefined {
  const terms = podTerms(pod);
  const scores = new Map<string, Map<string, number>>();
  const add = (t: AffinityTerm, node: KubeObject, w: number) => {
    const v = node.metadata.labels?.[t.topologyKey];
    if (v === undefined || w === 0) return;
    let m = scores.get(t.topologyKey);
    if (!m) scores.set(t.topologyKey, (m = new Map()));
    m.set(v, (m.get(v) ?? 0) + w);
  };
  const visit = (e: KubeObject, node: KubeObject) => {
    if (e === pod) return;
    for (const t of terms.preferredAffinity) if (termMatches(t, e, nsLabels)) add(t, node, t.weight);
    for (const t of terms.preferredAnti) if (termMatches(t, e, nsLabels)) add(t, node, -t.weight);
    const et = podTerms(e);
    // upstream's hardPodAffinityWeight (1): existing pods' required affinity draws matching pods near
    for (const t of et.requiredAffinity) if (termMatches(t, pod, nsLabels)) add(t, node, 1);
    for (const t of et.preferredAffinity) if (termMatches(t, pod, nsLabels)) add(t, node, t.weight);
    for (const t of et.preferredAnti) if (termMatches(t, pod, nsLabels)) add(t, node, -t.weight);
  };
  if (terms.preferredAffinity.length + terms.preferredAnti.length > 0) {
    for (const info of nodes) for (const e of info.pods) visit(e, info.node);
  } else {
    for (const { pod: e, node } of affinityPods) visit(e, node);
  }
  return scores.size ? scores : undefined;
}

export function affinityScore(pre: Map<string, Map<string, number>>, node: KubeObject): number {
  const labels = node.metadata.labels ?? {};
  let s = 0;
  for (const [k, m] of pre) {
    const v = labels[k];
    if (v !== undefined) s += m.get(v) ?? 0;
  }
  return s;
}
