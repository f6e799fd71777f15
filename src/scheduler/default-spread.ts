// PodTopologySpread's system defaults (upstream's defaultingType: System): a pod
// without topologySpreadConstraints of its own that belongs to a Service, or
// whose controller is a ReplicaSet, StatefulSet or ReplicationController, is
// scored as if it had ScheduleAnyway constraints of maxSkew 3 per node and 5
// per zone over the pods those objects select (upstream's DefaultSelector), so
// replicas spread even when resource scores would pack them. Scoring only.
import type { KubeObject } from '../api/object.js';
import { selectorFromLabelSelector, SelectorParseError } from '../api/selectors/label-selector.js';
import type { Informer } from '../client/informer.js';
import type { SpreadConstraint } from './topology-spread.js';

type Obj = Record<string, any>;

export const SYSTEM_DEFAULT_CONSTRAINTS = [
  { topologyKey: 'kubernetes.io/hostname', maxSkew: 3 },
  { topologyKey: 'topology.kubernetes.io/zone', maxSkew: 5 },
];

/** What the defaults read: the pod's Services and its controller. */
export interface SpreadOwners {
  services(namespace: string): KubeObject[];
  /** kind is ReplicaSet, StatefulSet or ReplicationController */
  controller(kind: string, namespace: string, name: string): KubeObject | undefined;
}

export function informerOwners(inf: { services: Informer; replicaSets: Informer; statefulSets: Informer; replicationControllers: Informer }): SpreadOwners {
  const byKind: Record<string, Informer> = { ReplicaSet: inf.replicaSets, StatefulSet: inf.statefulSets, ReplicationController: inf.replicationControllers };
  return {
    services: (ns) => inf.services.list(ns),
    controller: (kind, ns, name) => byKind[kind]?.get(`${ns}/${name}`),
  };
}

// the owner kinds upstream's DefaultSelector looks up, by their apiVersion's group
const OWNER_GROUPS: Record<string, string> = { ReplicationController: '', ReplicaSet: 'apps', StatefulSet: 'apps' };

/** upstream's DefaultSelector as a LabelSelector; undefined when it would select everything. */
export function defaultSelector(pod: KubeObject, owners: SpreadOwners): Obj | undefined {
  const ns = pod.metadata.namespace ?? 'default';
  const labels = pod.metadata.labels ?? {};
  const matchLabels: Record<string, string> = {};
  const matchExpressions: Obj[] = [];
  for (const svc of owners.services(ns)) {
    const sel = (svc.spec as Obj | undefined)?.selector as Record<string, string> | undefined;
    // a Service without a selector selects nothing, not everything
    if (!sel || Object.keys(sel).length === 0) continue;
    if (Object.entries(sel).every(([k, v]) => labels[k] === v)) Object.assign(matchLabels, sel);
  }
  const ref = pod.metadata.ownerReferences?.find((r) => r.controller);
  const group = ref ? (ref.apiVersion.includes('/') ? ref.apiVersion.split('/')[0] : '') : undefined;
  if (ref && ref.kind in OWNER_GROUPS && OWNER_GROUPS[ref.kind] === group) {
    const owner = owners.controller(ref.kind, ns, ref.name);
    const sel = (owner?.spec as Obj | undefined)?.selector as Obj | undefined;
    if (sel && ref.kind === 'ReplicationController') Object.assign(matchLabels, sel);
    else if (sel) {
      Object.assign(matchLabels, sel.matchLabels ?? {});
      matchExpressions.push(...((sel.matchExpressions ?? []) as Obj[]));
    }
  }
  if (Object.keys(matchLabels).length === 0 && matchExpressions.length === 0) return undefined;
  return matchExpressions.length ? { matchLabels, matchExpressions } : { matchLabels };
}

/** The system default constraints for a pod with none of its own; [] when nothing owns it. */
export function systemDefaultConstraints(pod: KubeObject, owners: SpreadOwners): SpreadConstraint[] {
  if (((pod.spec as Obj | undefined)?.topologySpreadConstraints ?? []).length) return [];
  const ls = defaultSelector(pod, owners);
  if (!ls) return [];
  let selector;
  try {
    selector = selectorFromLabelSelector(ls);
  } catch (e) {
    // an owner with a selector the API should have refused: no defaults rather than a failed cycle
    if (e instanceof SelectorParseError) return [];
    throw e;
  }
  return SYSTEM_DEFAULT_CONSTRAINTS.map((c) => ({ ...c, hard: false, selector, minDomains: 1, honorAffinity: true, honorTaints: false }));
}
