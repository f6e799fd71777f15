// One scheduling cycle as upstream's framework runs it, on plain objects:
// pre-filter (cluster-wide state once per pod), filter the nodes from a rotating
// start until enough feasible ones are found (percentageOfNodesToScore), score
// them with the weighted plugins, pick the best (ties at random).
import type { KubeObject } from '../api/object.js';
import { factsOf, podFit, requestedOn, unfitReasonOf, type NodeInfo, type PodFit } from './fit.js';
import { addResources, podRequests } from './resources.js';
import type { NodeTable } from './node-table.js';
import { affinityReason, affinityScore, preFilterAffinity, preScoreAffinity, type AffinityState, type NamespaceLabels } from './inter-pod-affinity.js';
import { balancedScoreOf, fitScoreOf, nodeAffinityScore, normalize, normalizeMinMax, preferTolerations, taintScoreOf, type ScoringStrategy } from './scores.js';
import { preFilterSpread, spreadReason, spreadScores, type SpreadConstraint, type SpreadState } from './topology-spread.js';

type Obj = Record<string, any>;

/** What a cycle reads: every node with its pods, and indexes the cache keeps. */
export interface ClusterView {
  nodes: NodeInfo[];
  /** the same nodes' numbers packed in their order (the cache's), for the filters' fast path */
  table?: NodeTable;
  /** existing pods with required anti-affinity terms */
  antiPods: Iterable<{ pod: KubeObject; node: KubeObject }>;
  /** existing pods with any pod (anti-)affinity terms */
  affinityPods: Iterable<{ pod: KubeObject; node: KubeObject }>;
  nsLabels: NamespaceLabels;
  /** pending pods nominated to a node by an earlier preemption, by node name */
  nominated?: Map<string, KubeObject[]>;
  /** PodTopologySpread's system defaults for a pod without constraints (default-spread.ts) */
  defaultSpread?: (pod: KubeObject) => SpreadConstraint[];
}

export interface CycleOptions {
  strategy: ScoringStrategy;
  /** 0 (default) is upstream's adaptive percentage */
  percentageOfNodesToScore?: number;
  /** where the search starts (rotated by the caller, as upstream's nextStartNodeIndex) */
  startIndex?: number;
}

// upstream's default score plugin weights
const WEIGHTS = { fit: 1, balanced: 1, nodeAffinity: 2, taint: 3, interPod: 2, spread: 2 };

export interface CycleState {
  affinity?: AffinityState;
  spread?: SpreadState;
  /** the pod's side of the node-local filters (absent: worked out per call) */
  fit?: PodFit;
}

export function preFilter(pod: KubeObject, view: ClusterView): CycleState {
  return { affinity: preFilterAffinity(pod, view.nodes, view.antiPods, view.nsLabels), spread: preFilterSpread(pod, view.nodes), fit: podFit(pod) };
}

/** undefined when the pod may go to the node, else the reason (the first failing plugin's, as upstream reports). */
export function filterNode(pod: KubeObject, state: CycleState, info: NodeInfo): string | undefined {
  const fit = state.fit?.pod === pod ? state.fit : podFit(pod);
  return unfitReasonOf(fit, info) ?? (state.spread && spreadReason(state.spread, pod, info.node)) ?? (state.affinity && affinityReason(state.affinity, info.node));
}

export function numFeasibleNodesToFind(all: number, percentage = 0): number {
  if (all < 100) return all;
  let pct = percentage;
  if (pct <= 0) pct = Math.max(5, 50 - Math.floor(all / 125));
  if (pct >= 100) return all;
  return Math.max(100, Math.floor((all * pct) / 100));
}

export interface FilterResult {
  feasible: NodeInfo[];
  /** why each rejected node was rejected */
  rejected: Map<NodeInfo, string>;
  /** nodes looked at (the caller rotates its start index by this) */
  processed: number;
  /** with a table: each feasible node's row in it */
  rows?: number[];
}

/** The node as if the pods nominated to it with at least this pod's priority were there (upstream's addNominatedPods). */
export function withNominated(pod: KubeObject, info: NodeInfo, nominated: Map<string, KubeObject[]> | undefined): NodeInfo {
  const others = nominated?.get(info.node.metadata.name!)?.filter((p) => p.metadata.uid !== pod.metadata.uid && Number((p.spec as Obj | undefined)?.priority ?? 0) >= Number((pod.spec as Obj | undefined)?.priority ?? 0));
  if (!others?.length) return info;
  const requested = { ...requestedOn(info) };
  for (const p of others) addResources(requested, podRequests(p));
  return { ...info, pods: [...info.pods, ...others], requested };
}

/** Whether the table alone can pass a node for this pod: no filter input it does not hold. */
function tableDecides(state: CycleState, pod: KubeObject, nominatedPods: Map<string, KubeObject[]> | undefined): boolean {
  const f = state.fit;
  return !!f && f.pod === pod && !f.nodeConstrained && f.ports.length === 0 && !f.want.other && !state.spread && !state.affinity && !nominatedPods;
}

export function findFeasible(pod: KubeObject, state: CycleState, nodes: NodeInfo[], opts: CycleOptions, nominatedPods?: Map<string, KubeObject[]>, table?: NodeTable): FilterResult {
  const n = nodes.length;
  // a node the table passes would pass every filter; any other goes through them all for its reason
  const fast = table && table.size === n && tableDecides(state, pod, nominatedPods) ? table : undefined;
  const want = state.fit?.want;
  const rows = table && table.size === n ? ([] as number[]) : undefined;
  const wanted = numFeasibleNodesToFind(n, opts.percentageOfNodesToScore);
  const feasible: NodeInfo[] = [];
  const rejected = new Map<NodeInfo, string>();
  const start = n ? (opts.startIndex ?? 0) % n : 0;
  let processed = 0;
  // a pod naming a node (nominated by an earlier preemption) tries that node first
  const nominated = ((pod.status as Obj | undefined)?.nominatedNodeName ?? '') as string;
  if (nominated) {
    const info = nodes.find((i) => i.node.metadata.name === nominated);
    if (info && !filterNode(pod, state, withNominated(pod, info, nominatedPods))) return { feasible: [info], rejected, processed: 0 };
  }
  for (; processed < n && feasible.length < wanted; processed++) {
    const i = (start + processed) % n;
    const info = nodes[i];
    if (fast && fast.fits(i, want!)) {
      feasible.push(info);
      rows?.push(i);
      continue;
    }
    const why = filterNode(pod, state, nominatedPods ? withNominated(pod, info, nominatedPods) : info);
    if (why) rejected.set(info, why);
    else {
      feasible.push(info);
      rows?.push(i);
    }
  }
  return { feasible, rejected, processed, rows };
}

/** Weighted sum of the normalised plugin scores, one per feasible node. */
export function scoreNodes(pod: KubeObject, feasible: NodeInfo[], view: ClusterView, strategy: ScoringStrategy, rows?: number[]): number[] {
  // plain loops and the pod's side looked up once: this runs for hundreds of nodes per cycle;
  // with the feasible nodes' table rows the resource and taint scores read the packed numbers
  const n = feasible.length;
  const want = podRequests(pod);
  const least = strategy === 'LeastAllocated';
  const table = rows && rows.length === n ? view.table : undefined;
  const total = new Array<number>(n);
  if (table) for (let i = 0; i < n; i++) total[i] = WEIGHTS.fit * table.fitScore(rows![i], want, least) + WEIGHTS.balanced * table.balancedScore(rows![i], want);
  else for (let i = 0; i < n; i++) total[i] = WEIGHTS.fit * fitScoreOf(want, feasible[i], least) + WEIGHTS.balanced * balancedScoreOf(want, feasible[i]);
  const aff = ((pod.spec as Obj | undefined)?.affinity ?? {}) as Obj;
  if (aff.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution?.length) {
    const s = feasible.map((info) => nodeAffinityScore(pod, info.node));
    normalize(s, false);
    addWeighted(total, s, WEIGHTS.nodeAffinity);
  }
  const tolerations = preferTolerations(pod);
  const taints = new Array<number>(n);
  for (let i = 0; i < n; i++) taints[i] = table && table.preferTaints(rows![i]) === 0 ? 0 : taintScoreOf(tolerations, factsOf(feasible[i]).preferTaints);
  normalize(taints, true);
  addWeighted(total, taints, WEIGHTS.taint);
  const pre = preScoreAffinity(pod, view.nodes, view.affinityPods, view.nsLabels);
  if (pre) {
    const s = feasible.map((info) => affinityScore(pre, info.node));
    normalizeMinMax(s);
    addWeighted(total, s, WEIGHTS.interPod);
  }
  const spread = spreadScores(pod, feasible, view.nodes, view.defaultSpread);
  if (spread) addWeighted(total, spread, WEIGHTS.spread);
  return total;
}

function addWeighted(total: number[], scores: number[], w: number): void {
  for (let i = 0; i < total.length; i++) total[i] += w * scores[i];
}

/** The highest score; among equals, one at random (reservoir sampling), as upstream. */
export function selectHost(feasible: NodeInfo[], scores: number[], random: () => number = Math.random): NodeInfo {
  let best = 0;
  let ties = 1;
  for (let i = 1; i < feasible.length; i++) {
    if (scores[i] > scores[best]) {
      best = i;
      ties = 1;
    } else if (scores[i] === scores[best] && random() * ++ties < 1) best = i;
  }
  return feasible[best];
}

export type CycleResult = { node: NodeInfo; processed: number } | { node?: undefined; rejected: Map<NodeInfo, string>; state: CycleState; processed: number };

export function schedulePod(pod: KubeObject, view: ClusterView, opts: CycleOptions): CycleResult {
  const state = preFilter(pod, view);
  const r = findFeasible(pod, state, view.nodes, opts, view.nominated?.size ? view.nominated : undefined, view.table);
  if (r.feasible.length === 0) return { rejected: r.rejected, state, processed: r.processed };
  if (r.feasible.length === 1) return { node: r.feasible[0], processed: r.processed };
  return { node: selectHost(r.feasible, scoreNodes(pod, r.feasible, view, opts.strategy, r.rows)), processed: r.processed };
}

/** upstream's FitError text: "0/N nodes are available: 2 Insufficient cpu, 1 node(s) were unschedulable." */
export function fitErrorMessage(total: number, rejected: Map<NodeInfo, string>): string {
  const counts = new Map<string, number>();
  for (const why of rejected.values()) counts.set(why, (counts.get(why) ?? 0) + 1);
  const detail = [...counts].map(([r, n]) => `${n} ${r}`).sort().join(', ');
  return `0/${total} nodes are available${detail ? `: ${detail}` : ''}.`;
}
