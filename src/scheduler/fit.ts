// Filter plugins as upstream's framework: which nodes a pod may go to, and why not.
import type { KubeObject } from '../api/object.js';
import { parseQuantity } from '../kubelet/quantity.js';

type Obj = Record<string, any>;

export interface NodeInfo {
  node: KubeObject;
  /** pods bound to the node and not finished */
  pods: KubeObject[];
}

export function podRequests(pod: KubeObject): Record<string, number> {
  const spec = (pod.spec ?? {}) as Obj;
  const sum: Record<string, number> = { cpu: 0, memory: 0, pods: 1 };
  for (const c of (spec.containers ?? []) as Obj[]) {
    for (const [r, q] of Object.entries((c.resources?.requests ?? c.resources?.limits ?? {}) as Record<string, string>)) sum[r] = (sum[r] ?? 0) + parseQuantity(String(q));
  }
  // init containers run one at a time: the largest of them counts, if larger
  for (const c of (spec.initContainers ?? []) as Obj[]) {
    for (const [r, q] of Object.entries((c.resources?.requests ?? {}) as Record<string, string>)) sum[r] = Math.max(sum[r] ?? 0, parseQuantity(String(q)));
  }
  return sum;
}

function ready(node: KubeObject): boolean {
  return ((node.status as Obj)?.conditions ?? []).some((c: Obj) => c.type === 'Ready' && c.status === 'True');
}

function tolerates(pod: KubeObject, taint: Obj): boolean {
  return (((pod.spec as Obj).tolerations ?? []) as Obj[]).some((t) => {
    if (t.effect && t.effect !== taint.effect) return false;
    if (t.operator === 'Exists') return !t.key || t.key === taint.key;
    return t.key === taint.key && (t.value ?? '') === (taint.value ?? '');
  });
}

function nodeAffinityOk(pod: KubeObject, node: KubeObject): boolean {
  const terms = ((pod.spec as Obj).affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? []) as Obj[];
  if (terms.length === 0) return true;
  const labels = node.metadata.labels ?? {};
  return terms.some((t) =>
    ((t.matchExpressions ?? []) as Obj[]).every((e) => {
      const has = e.key in labels;
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
    }),
  );
}

/** undefined when the pod fits, else upstream's reason text for the FailedScheduling message. */
export function unfitReason(pod: KubeObject, info: NodeInfo): string | undefined {
  const node = info.node;
  const spec = (pod.spec ?? {}) as Obj;
  if (!ready(node)) return "node(s) had untolerated taint {node.kubernetes.io/not-ready: }";
  if ((node.spec as Obj)?.unschedulable && !tolerates(pod, { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' })) return 'node(s) were unschedulable';
  for (const taint of ((node.spec as Obj)?.taints ?? []) as Obj[]) {
    if ((taint.effect === 'NoSchedule' || taint.effect === 'NoExecute') && !tolerates(pod, taint)) return `node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`;
  }
  const labels = node.metadata.labels ?? {};
  for (const [k, v] of Object.entries((spec.nodeSelector ?? {}) as Record<string, string>)) {
    if (labels[k] !== v) return "node(s) didn't match Pod's node affinity/selector";
  }
  if (!nodeAffinityOk(pod, node)) return "node(s) didn't match Pod's node affinity/selector";
  const alloc = ((node.status as Obj)?.allocatable ?? {}) as Record<string, string>;
  const want = podRequests(pod);
  const used: Record<string, number> = {};
  for (const p of info.pods) for (const [r, v] of Object.entries(podRequests(p))) used[r] = (used[r] ?? 0) + v;
  for (const [r, v] of Object.entries(want)) {
    if (!v) continue;
    const cap = alloc[r] !== undefined ? parseQuantity(String(alloc[r])) : r === 'pods' ? 110 : undefined;
    if (cap === undefined) return `Insufficient ${r}`;
    if ((used[r] ?? 0) + v > cap) return r === 'pods' ? 'Too many pods' : `Insufficient ${r}`;
  }
  for (const c of (spec.containers ?? []) as Obj[]) {
    for (const port of (c.ports ?? []) as Obj[]) {
      if (!port.hostPort) continue;
      const clash = info.pods.some((p) => (((p.spec as Obj).containers ?? []) as Obj[]).some((oc) => ((oc.ports ?? []) as Obj[]).some((op) => op.hostPort === port.hostPort && (op.protocol ?? 'TCP') === (port.protocol ?? 'TCP'))));
      if (clash) return "node(s) didn't have free ports for the requested pod ports";
    }
  }
  return undefined;
}

/** Least-allocated score (0-100): spread pods over nodes, as upstream's default. */
export function score(pod: KubeObject, info: NodeInfo): number {
  const alloc = ((info.node.status as Obj)?.allocatable ?? {}) as Record<string, string>;
  const want = podRequests(pod);
  const used: Record<string, number> = { cpu: 0, memory: 0 };
  for (const p of info.pods) for (const [r, v] of Object.entries(podRequests(p))) used[r] = (used[r] ?? 0) + v;
  let total = 0;
  for (const r of ['cpu', 'memory']) {
    const cap = alloc[r] ? parseQuantity(String(alloc[r])) : 0;
    if (!cap) continue;
    total += ((cap - (used[r] ?? 0) - (want[r] ?? 0)) / cap) * 100;
  }
  return total / 2;
}
