// Node-local filter plugins as upstream's framework (NodeUnschedulable,
// TaintToleration, NodeAffinity, NodeResourcesFit, NodePorts): which nodes a
// pod may go to, and upstream's words for why not.
import type { KubeObject } from '../api/object.js';
import { addResources, allocatable, emptyResources, insufficient, podRequests, type Resources } from './resources.js';

type Obj = Record<string, any>;

export interface NodeInfo {
  node: KubeObject;
  /** pods bound (or assumed) to the node and not finished */
  pods: KubeObject[];
  /** sum of the pods' requests; the scheduler's cache keeps it up to date, else it is computed */
  requested?: Resources;
  /** host ports in use, "protocol/port" */
  usedPorts?: Set<string>;
  /** the node's allocatable, parsed once by the cache */
  allocatable?: Resources;
  /** what the filters read of the node object, derived once by the cache */
  facts?: NodeFacts;
}

/** The node-level facts the filters and scores read, derived once per node object instead of once per pod. */
export interface NodeFacts {
  ready: boolean;
  unschedulable: boolean;
  /** NoSchedule and NoExecute taints, in the node's order */
  hardTaints: Obj[];
  /** PreferNoSchedule taints */
  preferTaints: Obj[];
}

export function nodeFacts(node: KubeObject): NodeFacts {
  const taints = ((node.spec as Obj)?.taints ?? []) as Obj[];
  return {
    ready: ready(node),
    unschedulable: !!(node.spec as Obj)?.unschedulable,
    hardTaints: taints.filter((t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute'),
    preferTaints: taints.filter((t) => t.effect === 'PreferNoSchedule'),
  };
}

export function factsOf(info: NodeInfo): NodeFacts {
  return info.facts ?? nodeFacts(info.node);
}

export function allocatableOf(info: NodeInfo): Resources {
  return info.allocatable ?? allocatable(info.node);
}

export function requestedOn(info: NodeInfo): Resources {
  if (info.requested) return info.requested;
  const used = emptyResources();
  for (const p of info.pods) addResources(used, podRequests(p));
  return used;
}

export function ready(node: KubeObject): boolean {
  return ((node.status as Obj)?.conditions ?? []).some((c: Obj) => c.type === 'Ready' && c.status === 'True');
}

export function tolerates(tolerations: Obj[], taint: Obj): boolean {
  return tolerations.some((t) => {
    if (t.effect && t.effect !== taint.effect) return false;
    if (t.operator === 'Exists') return !t.key || t.key === taint.key;
    return t.key === taint.key && (t.value ?? '') === (taint.value ?? '');
  });
}

export function podTolerations(pod: KubeObject): Obj[] {
  return ((pod.spec as Obj | undefined)?.tolerations ?? []) as Obj[];
}

/** One node selector requirement (matchExpressions / matchFields entry) against labels. */
export function requirementMatches(e: Obj, labels: Record<string, string>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, e.key);
  const v = labels[e.key];
  switch (e.operator) {
    case 'In':
      return has && (e.values ?? []).includes(v);
    case 'NotIn':
      return !has || !(e.values ?? []).includes(v);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    case 'Gt':
      return has && Number(v) > Number(e.values?.[0]);
    case 'Lt':
      return has && Number(v) < Number(e.values?.[0]);
  }
  return false;
}

/** A NodeSelectorTerm: all its expressions and fields hold (an empty term matches nothing, as upstream). */
export function nodeSelectorTermMatches(t: Obj, node: KubeObject): boolean {
  const exprs = (t.matchExpressions ?? []) as Obj[];
  const fields = (t.matchFields ?? []) as Obj[];
  if (exprs.length === 0 && fields.length === 0) return false;
  const labels = node.metadata.labels ?? {};
  return exprs.every((e) => requirementMatches(e, labels)) && fields.every((e) => requirementMatches(e, { 'metadata.name': node.metadata.name! }));
}

/** nodeSelector and required node affinity: what nodeAffinityPolicy=Honor also means for topology spread. */
export function nodeAffinityOk(pod: KubeObject, node: KubeObject): boolean {
  const spec = (pod.spec ?? {}) as Obj;
  if (!spec.nodeSelector && !spec.affinity?.nodeAffinity) return true;
  const labels = node.metadata.labels ?? {};
  for (const [k, v] of Object.entries((spec.nodeSelector ?? {}) as Record<string, string>)) if (labels[k] !== v) return false;
  const terms = (spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? []) as Obj[];
  return terms.length === 0 || terms.some((t) => nodeSelectorTermMatches(t, node));
}

/** The first NoSchedule/NoExecute taint the pod does not tolerate. */
export function untoleratedTaint(pod: KubeObject, node: KubeObject): Obj | undefined {
  const tolerations = podTolerations(pod);
  for (const taint of ((node.spec as Obj)?.taints ?? []) as Obj[]) {
    if ((taint.effect === 'NoSchedule' || taint.effect === 'NoExecute') && !tolerates(tolerations, taint)) return taint;
  }
  return undefined;
}

// Reasons preemption cannot fix (upstream's UnschedulableAndUnresolvable).
const UNRESOLVABLE = ['node(s) had untolerated taint', 'node(s) were unschedulable', "node(s) didn't match Pod's node affinity/selector", "node(s) didn't match pod affinity rules", "node(s) didn't match pod topology spread constraints (missing required label)"];

export function resolvableByPreemption(reason: string): boolean {
  return !UNRESOLVABLE.some((u) => reason.startsWith(u));
}

/**
 * The pod's side of the node-local filters, worked out once per cycle: a cycle
 * filters hundreds of nodes for one pod, and these were recomputed per node.
 */
export interface PodFit {
  pod: KubeObject;
  want: Resources;
  tolerations: Obj[];
  toleratesNotReady: boolean;
  toleratesUnschedulable: boolean;
  /** a nodeSelector or node affinity to check */
  nodeConstrained: boolean;
  ports: string[];
}

export function podFit(pod: KubeObject): PodFit {
  const spec = (pod.spec ?? {}) as Obj;
  const tolerations = podTolerations(pod);
  return {
    pod,
    want: podRequests(pod),
    tolerations,
    toleratesNotReady: tolerates(tolerations, { key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' }),
    toleratesUnschedulable: tolerates(tolerations, { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }),
    nodeConstrained: !!(spec.nodeSelector || spec.affinity?.nodeAffinity),
    ports: hostPorts(pod),
  };
}

/** Node-level rules only (no resources): readiness, cordon, taints, selector and required node affinity. */
function nodeReason(f: PodFit, info: NodeInfo): string | undefined {
  const facts = factsOf(info);
  if (!facts.ready && !f.toleratesNotReady) return 'node(s) had untolerated taint {node.kubernetes.io/not-ready: }';
  if (facts.unschedulable && !f.toleratesUnschedulable) return 'node(s) were unschedulable';
  for (const taint of facts.hardTaints) if (!tolerates(f.tolerations, taint)) return `node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`;
  if (f.nodeConstrained && !nodeAffinityOk(f.pod, info.node)) return "node(s) didn't match Pod's node affinity/selector";
  return undefined;
}

const portsCache = new WeakMap<object, string[]>();

function hostPorts(pod: KubeObject): string[] {
  const hit = portsCache.get(pod);
  if (hit) return hit;
  const out: string[] = [];
  for (const c of ((pod.spec as Obj)?.containers ?? []) as Obj[]) for (const p of (c.ports ?? []) as Obj[]) if (p.hostPort) out.push(`${p.protocol ?? 'TCP'}/${p.hostPort}`);
  portsCache.set(pod, out);
  return out;
}

export function addPorts(into: Set<string>, pod: KubeObject): void {
  for (const p of hostPorts(pod)) into.add(p);
}

/** Resources and host ports: what preemption can free. */
function resourceReason(f: PodFit, info: NodeInfo): string | undefined {
  const short = insufficient(f.want, requestedOn(info), allocatableOf(info));
  if (short) return short;
  if (f.ports.length) {
    let used = info.usedPorts;
    if (!used) {
      used = new Set();
      for (const p of info.pods) addPorts(used, p);
    }
    if (f.ports.some((p) => used!.has(p))) return "node(s) didn't have free ports for the requested pod ports";
  }
  return undefined;
}

/** undefined when the pod fits the node by its node-local rules, else upstream's reason text. */
export function unfitReasonOf(f: PodFit, info: NodeInfo): string | undefined {
  return nodeReason(f, info) ?? resourceReason(f, info);
}

export function unfitReason(pod: KubeObject, info: NodeInfo): string | undefined {
  return unfitReasonOf(podFit(pod), info);
}
