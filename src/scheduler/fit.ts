// Node-local filter plugins as upstream's framework (NodeUnschedulable,
// TaintToleration, NodeAffinity, NodeResourcesFit, NodePorts): which nodes a
// pod may go to, and upstream's words for why not.
import type { KubeObject } from '../api/object.js';
import { parseQuantity } from '../kubelet/quantity.js';

type Obj = Record<string, any>;

export interface NodeInfo {
  node: KubeObject;
  /** pods bound (or assumed) to the node and not finished */
  pods: KubeObject[];
  /** sum of the pods' requests; the scheduler's cache keeps it up to date, else it is computed */
  requested?: Record<string, number>;
  /** host ports in use, "protocol/port" */
  usedPorts?: Set<string>;
}

// upstream's defaults for containers without requests, used only for scoring so
// that request-less pods still spread (schedutil.DefaultMilliCPURequest/DefaultMemoryRequest)
export const DEFAULT_CPU = 0.1;
export const DEFAULT_MEMORY = 200 * 1024 * 1024;

const requestsCache = new WeakMap<object, Record<string, number>>();

/** The pod's effective requests (init containers' largest counts if larger), plus one "pods" slot and scoring's non-zero cpu/memory. */
export function podRequests(pod: KubeObject): Record<string, number> {
  const hit = requestsCache.get(pod);
  if (hit) return hit;
  const spec = (pod.spec ?? {}) as Obj;
  const sum: Record<string, number> = { cpu: 0, memory: 0, pods: 1 };
  let nzCpu = 0;
  let nzMem = 0;
  for (const c of (spec.containers ?? []) as Obj[]) {
    const req = (c.resources?.requests ?? c.resources?.limits ?? {}) as Record<string, string>;
    for (const [r, q] of Object.entries(req)) sum[r] = (sum[r] ?? 0) + parseQuantity(String(q));
    nzCpu += req.cpu !== undefined ? parseQuantity(String(req.cpu)) : DEFAULT_CPU;
    nzMem += req.memory !== undefined ? parseQuantity(String(req.memory)) : DEFAULT_MEMORY;
  }
  // init containers run one at a time: the largest of them counts, if larger
  for (const c of (spec.initContainers ?? []) as Obj[]) {
    for (const [r, q] of Object.entries((c.resources?.requests ?? {}) as Record<string, string>)) sum[r] = Math.max(sum[r] ?? 0, parseQuantity(String(q)));
  }
  for (const [r, q] of Object.entries((spec.overhead ?? {}) as Record<string, string>)) sum[r] = (sum[r] ?? 0) + parseQuantity(String(q));
  sum['nonzero.cpu'] = Math.max(nzCpu, sum.cpu);
  sum['nonzero.memory'] = Math.max(nzMem, sum.memory);
  requestsCache.set(pod, sum);
  return sum;
}

export function addRequests(into: Record<string, number>, pod: KubeObject, sign = 1): void {
  for (const [r, v] of Object.entries(podRequests(pod))) into[r] = (into[r] ?? 0) + sign * v;
}

export function requestedOn(info: NodeInfo): Record<string, number> {
  if (info.requested) return info.requested;
  const used: Record<string, number> = {};
  for (const p of info.pods) addRequests(used, p);
  return used;
}

const allocCache = new WeakMap<object, Record<string, number>>();

/** The node's allocatable as numbers; "pods" defaults to 110 as the kubelet's. */
export function allocatable(node: KubeObject): Record<string, number> {
  const hit = allocCache.get(node);
  if (hit) return hit;
  const out: Record<string, number> = { pods: 110 };
  for (const [r, q] of Object.entries(((node.status as Obj)?.allocatable ?? {}) as Record<string, string>)) out[r] = parseQuantity(String(q));
  allocCache.set(node, out);
  return out;
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

/** Node-level rules only (no resources): readiness, cordon, taints, selector and required node affinity. */
export function nodeReason(pod: KubeObject, node: KubeObject): string | undefined {
  const tolerations = podTolerations(pod);
  if (!ready(node) && !tolerates(tolerations, { key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' })) return 'node(s) had untolerated taint {node.kubernetes.io/not-ready: }';
  if ((node.spec as Obj)?.unschedulable && !tolerates(tolerations, { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' })) return 'node(s) were unschedulable';
  const taint = untoleratedTaint(pod, node);
  if (taint) return `node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`;
  if (!nodeAffinityOk(pod, node)) return "node(s) didn't match Pod's node affinity/selector";
  return undefined;
}

function hostPorts(pod: KubeObject): string[] {
  const out: string[] = [];
  for (const c of ((pod.spec as Obj)?.containers ?? []) as Obj[]) for (const p of (c.ports ?? []) as Obj[]) if (p.hostPort) out.push(`${p.protocol ?? 'TCP'}/${p.hostPort}`);
  return out;
}

export function addPorts(into: Set<string>, pod: KubeObject): void {
  for (const p of hostPorts(pod)) into.add(p);
}

/** Resources and host ports: what preemption can free. */
export function resourceReason(pod: KubeObject, info: NodeInfo): string | undefined {
  const alloc = allocatable(info.node);
  const want = podRequests(pod);
  const used = requestedOn(info);
  for (const r in want) {
    const v = want[r];
    if (!v || r.startsWith('nonzero.')) continue;
    const cap = alloc[r];
    if (cap === undefined) return `Insufficient ${r}`;
    if ((used[r] ?? 0) + v > cap) return r === 'pods' ? 'Too many pods' : `Insufficient ${r}`;
  }
  const ports = hostPorts(pod);
  if (ports.length) {
    let used = info.usedPorts;
    if (!used) {
      used = new Set();
      for (const p of info.pods) addPorts(used, p);
    }
    if (ports.some((p) => used!.has(p))) return "node(s) didn't have free ports for the requested pod ports";
  }
  return undefined;
}

/** undefined when the pod fits the node by its node-local rules, else upstream's reason text. */
export function unfitReason(pod: KubeObject, info: NodeInfo): string | undefined {
  return nodeReason(pod, info.node) ?? resourceReason(pod, info);
}
