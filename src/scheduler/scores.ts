// Node-local score plugins as upstream's (NodeResourcesFit with LeastAllocated or
// MostAllocated, NodeResourcesBalancedAllocation, NodeAffinity, TaintToleration),
// each 0-100 after its normalisation, and the normalisers the others share.
import type { KubeObject } from '../api/object.js';
import { allocatableOf, nodeFacts, nodeSelectorTermMatches, podTolerations, requestedOn, tolerates, type NodeInfo } from './fit.js';
import { podRequests, type Resources } from './resources.js';

type Obj = Record<string, any>;

export type ScoringStrategy = 'LeastAllocated' | 'MostAllocated';
export const SCORING_STRATEGIES: ScoringStrategy[] = ['LeastAllocated', 'MostAllocated'];

export const MAX_SCORE = 100;

/** NodeResourcesFit: cpu and memory equally weighted, with the pod's non-zero requests added, as upstream. */
export function resourceFitScore(pod: KubeObject, info: NodeInfo, strategy: ScoringStrategy): number {
  return fitScoreOf(podRequests(pod), info, strategy === 'LeastAllocated');
}

/** resourceFitScore with the pod's requests looked up once per cycle, not once per node */
export function fitScoreOf(want: Resources, info: NodeInfo, least: boolean): number {
  const alloc = allocatableOf(info);
  const used = requestedOn(info);
  return fitScoreFrom(alloc.cpu, alloc.memory, used.nzCpu + want.nzCpu, used.nzMemory + want.nzMemory, least);
}

/** The score from the numbers alone (the node table's path shares it): cpu and memory with the pod added. */
export function fitScoreFrom(allocCpu: number, allocMemory: number, cpu: number, memory: number, least: boolean): number {
  if (allocCpu && allocMemory) return Math.floor((fitOne(cpu, allocCpu, least) + fitOne(memory, allocMemory, least)) / 2);
  if (allocCpu) return Math.floor(fitOne(cpu, allocCpu, least));
  if (allocMemory) return Math.floor(fitOne(memory, allocMemory, least));
  return 0;
}

// a top-level function: a closure per call costs more than the arithmetic
function fitOne(req: number, cap: number, least: boolean): number {
  if (req > cap) return 0;
  return least ? ((cap - req) * MAX_SCORE) / cap : (req * MAX_SCORE) / cap;
}

/** BalancedAllocation: 100 when cpu and memory are used in the same fraction (actual requests, capped at 1). */
export function balancedAllocationScore(pod: KubeObject, info: NodeInfo): number {
  return balancedScoreOf(podRequests(pod), info);
}

export function balancedScoreOf(want: Resources, info: NodeInfo): number {
  const alloc = allocatableOf(info);
  if (!alloc.cpu || !alloc.memory) return MAX_SCORE;
  const used = requestedOn(info);
  return balancedScoreFrom(alloc.cpu, alloc.memory, used.cpu + want.cpu, used.memory + want.memory);
}

/** The score from the numbers alone: cpu and memory requested with the pod added. */
export function balancedScoreFrom(allocCpu: number, allocMemory: number, cpu: number, memory: number): number {
  if (!allocCpu || !allocMemory) return MAX_SCORE;
  const c = Math.min(1, cpu / allocCpu);
  const m = Math.min(1, memory / allocMemory);
  // the standard deviation of two values is half their distance
  return Math.floor((1 - Math.abs(c - m) / 2) * MAX_SCORE);
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
  return taintScoreOf(preferTolerations(pod), nodeFacts(node).preferTaints);
}

/** The tolerations that can tolerate a PreferNoSchedule taint. */
export function preferTolerations(pod: KubeObject): Obj[] {
  return podTolerations(pod).filter((t) => !t.effect || t.effect === 'PreferNoSchedule');
}

export function taintScoreOf(tolerations: Obj[], preferTaints: Obj[]): number {
  let n = 0;
  for (const taint of preferTaints) if (!tolerates(tolerations, taint)) n++;
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
