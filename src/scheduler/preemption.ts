// DefaultPreemption as upstream's PostFilter, on plain objects: when a pod fits
// nowhere, find the nodes where removing lower-priority pods would let it fit,
// give back (reprieve) as many of those pods as still allow the fit, highest
// priority first, and choose the node whose victims matter least: the lowest
// highest-victim priority, then the fewest victims, then the lowest priority sum.
import type { KubeObject } from '../api/object.js';
import { addPorts, resolvableByPreemption, type NodeInfo } from './fit.js';
import { addResources, emptyResources, podRequests } from './resources.js';
import { filterNode, type ClusterView, type CycleState } from './framework.js';
import { updateAffinityState } from './inter-pod-affinity.js';
import { adjustSpread } from './topology-spread.js';

type Obj = Record<string, any>;

export function podPriority(pod: KubeObject): number {
  return Number((pod.spec as Obj | undefined)?.priority ?? 0);
}

export interface Candidate {
  node: NodeInfo;
  victims: KubeObject[];
}

export type PreemptionResult = { candidate: Candidate; message?: undefined } | { candidate?: undefined; message: string };

function simulated(node: KubeObject, pods: KubeObject[]): NodeInfo {
  const requested = emptyResources();
  const usedPorts = new Set<string>();
  for (const p of pods) {
    addResources(requested, podRequests(p));
    addPorts(usedPorts, p);
  }
  return { node, pods, requested, usedPorts };
}

function cloneState(s: CycleState): CycleState {
  return {
    affinity: s.affinity && { ...s.affinity, affinityCounts: new Map(s.affinity.affinityCounts), antiCounts: new Map(s.affinity.antiCounts), existingAntiCounts: new Map(s.affinity.existingAntiCounts) },
    spread: s.spread && { ...s.spread, counts: s.spread.counts.map((m) => new Map(m)) },
    fit: s.fit,
  };
}

/** The smallest set of lower-priority pods whose removal lets pod fit on info.node, or undefined. */
export function selectVictims(pod: KubeObject, info: NodeInfo, state: CycleState, view: ClusterView): KubeObject[] | undefined {
  const prio = podPriority(pod);
  const lower = info.pods.filter((p) => podPriority(p) < prio);
  if (lower.length === 0) return undefined;
  const st = cloneState(state);
  const change = (other: KubeObject, d: number) => {
    if (st.affinity) updateAffinityState(st.affinity, pod, other, info.node, view.nsLabels, d);
    if (st.spread) adjustSpread(st.spread, pod, other, info.node, d);
  };
  for (const v of lower) change(v, -1);
  let remaining = info.pods.filter((p) => podPriority(p) >= prio);
  if (filterNode(pod, st, simulated(info.node, remaining))) return undefined;
  // give back the most important first; among equals the one started earlier
  const order = [...lower].sort((a, b) => podPriority(b) - podPriority(a) || String(a.metadata.creationTimestamp).localeCompare(String(b.metadata.creationTimestamp)));
  const victims: KubeObject[] = [];
  for (const v of order) {
    const trial = [...remaining, v];
    change(v, 1);
    if (filterNode(pod, st, simulated(info.node, trial))) {
      change(v, -1);
      victims.push(v);
    } else remaining = trial;
  }
  return victims;
}

function better(a: KubeObject[], b: KubeObject[]): boolean {
  const top = (vs: KubeObject[]) => Math.max(...vs.map(podPriority));
  if (top(a) !== top(b)) return top(a) < top(b);
  if (a.length !== b.length) return a.length < b.length;
  const sum = (vs: KubeObject[]) => vs.reduce((s, v) => s + podPriority(v), 0);
  return sum(a) < sum(b);
}

/** Whether pod may preempt at all, else upstream's words for why not. */
export function preemptionBlocked(pod: KubeObject, view: ClusterView): string | undefined {
  if ((pod.spec as Obj | undefined)?.preemptionPolicy === 'Never') return 'not eligible due to preemptionPolicy=Never.';
  const nominated = (pod.status as Obj | undefined)?.nominatedNodeName;
  if (nominated) {
    const info = view.nodes.find((i) => i.node.metadata.name === nominated);
    // victims of an earlier preemption are still leaving: wait for them, preempt no more
    if (info?.pods.some((p) => p.metadata.deletionTimestamp && podPriority(p) < podPriority(pod))) return 'not eligible due to a terminating pod on the nominated node.';
  }
  return undefined;
}

export function findPreemption(pod: KubeObject, view: ClusterView, rejected: Map<NodeInfo, string>, state: CycleState): PreemptionResult {
  const blocked = preemptionBlocked(pod, view);
  if (blocked) return { message: `preemption: ${blocked}` };
  let best: Candidate | undefined;
  let noVictims = 0;
  let notHelpful = 0;
  for (const info of view.nodes) {
    const why = rejected.get(info);
    if (why !== undefined && !resolvableByPreemption(why)) {
      notHelpful++;
      continue;
    }
    const victims = selectVictims(pod, info, state, view);
    if (!victims || victims.length === 0) {
      noVictims++;
      continue;
    }
    if (!best || better(victims, best.victims)) best = { node: info, victims };
  }
  if (best) return { candidate: best };
  const parts: string[] = [];
  if (noVictims) parts.push(`${noVictims} No preemption victims found for incoming pod`);
  if (notHelpful) parts.push(`${notHelpful} Preemption is not helpful for scheduling`);
  return { message: `preemption: 0/${view.nodes.length} nodes are available: ${parts.sort().join(', ')}.` };
}
