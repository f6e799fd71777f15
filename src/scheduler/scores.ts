// Node-local score plugins as upstream's (NodeResourcesFit with LeastAllocated or
// MostAllocated, NodeResourcesBalancedAllocation, NodeAffinity, TaintToleration),
// each 0-100 after its normalisation, and the normalisers the others share.
import type { KubeObject } from '../api/object.js';
import { allocatable, nodeSelectorTermMatches, podRequests, podTolerations, requestedOn, tolerates, type NodeInfo } from './fit.js';

type Obj = Record<string, any>;

export type ScoringStrategy = 'LeastAllocated' | 'MostAllocated';
export const SCORING_STRATEGIES: ScoringStrategy[] = ['LeastAllocated', 'MostAllocated'];

export const MAX_SCORE = 100;

/** NodeResourcesFit: cpu and memory equally weighted, with the pod's non-zero requests added, as upstream. */
export function resourceFitScore(pod: KubeObject, info: NodeInfo, strategy: ScoringStrategy): number {
  const alloc = allocatable(info.node);
  const want = podRequests(pod);
  const used = requestedOn(info);
  let total = 0;
  let weights = 0;
  for (const r of ['cpu', 'memory']) {
    const cap = alloc[r];
    if (!cap) continue;
    weights++;
    const req = (used[`nonzero.${r}`] ?? 0) + want[`nonzero.${r}`];
    if (req > cap) continue; // scores 0 either way
    total += strategy === 'LeastAllocated' ? ((cap - req) * MAX_SCORE) / cap : (req * MAX_SCORE) / cap;
  }
  return weights ? Math.floor(total / weights) : 0;
}

/** BalancedAllocation: 100 when cpu and memory are used in the same fraction (actual requests, capped at 1). */
export function balancedAllocationScore(pod: KubeObject, info: NodeInfo): number {
  const alloc = allocatable(info.node);
  const want = podRequests(pod);
  const used = requestedOn(info);
  const fractions: number[] = [];
  for (const r of ['cpu', 'memory']) {
    const cap = alloc[r];
    if (!cap) continue;
    fractions.push(Math.min(1, ((used[r] ?? 0) + want[r]) / cap));
  }
  if (fractions.length < 2) return MAX_SCORE;
  // the standard deviation of two values is half their distance
  const std = Math.abs(fractions[0] - fractions[1]) / 2;
  return Math.floor((1 - std) * MAX_SCORE);
}

/** NodeAffinity: the summed weights of the preferred terms the node matches (normalised later). */
export function nodeAffinityScore(pod: KubeObject, node: KubeObject): number {
  let s = 0;
  for (const t of ((pod.spec as Obj)?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []) as Obj[]) {
    if (t.weight && t.preference && nodeSelectorTermMatches(t.preference, node)) s += t.weight;
  }
  return s;
}

/** TaintToleration: how many PreferNoSchedule taints the pod does not tolerate (normalised reversed). */
export function taintTolerationScore(pod: KubeObject, node: KubeObject): number {
  const tolerations = podTolerations(pod).filter((t) => !t.effect || t.effect === 'PreferNoSchedule');
  let n = 0;
  for (const taint of ((node.spec as Obj)?.taints ?? []) as Obj[]) if (taint.effect === 'PreferNoSchedule' && !tolerates(tolerations, taint)) n++;
  return n;
}

/** upstream's DefaultNormalizeScore: scale so the highest is 100 (or the lowest, reversed). */
export function normalize(scores: number[], reverse: boolean): void {
  let max = 0;
  for (const s of scores) if (s > max) max = s;
  for (let i = 0; i < scores.length; i++) {
    if (max === 0) scores[i] = reverse ? MAX_SCORE : 0;
    else {
      const v = Math.floor((MAX_SCORE * scores[i]) / max);
      scores[i] = reverse ? MAX_SCORE - v : v;
    }
  }
}

/** Min-max scaling to 0-100, for scores that may be negative (inter-pod affinity). */
export function normalizeMinMax(scores: number[]): void {
  let min = Infinity;
  let max = -Infinity;
  for (const s of scores) {
    if (s < min) min = s;
    if (s > max) max = s;
  }
  const diff = max - min;
  for (let i = 0; i < scores.length; i++) scores[i] = diff > 0 ? Math.floor((MAX_SCORE * (scores[i] - min)) / diff) : 0;
}
