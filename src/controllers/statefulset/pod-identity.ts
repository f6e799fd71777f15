// A StatefulSet pod's stable identity, as upstream's stateful_set_utils: the
// name <set>-<ordinal>, hostname and subdomain (the governing Service), the
// identity labels, and the claims <template>-<set>-<ordinal> mounted in place
// of the template's same-named volumes.
import type { KubeObject } from '../../api/object.js';
import { REVISION_LABEL } from './revisions.js';
import { isTerminalPod } from '../../api/kinds/pod-phase.js';

type Obj = Record<string, any>;

export const POD_NAME_LABEL = 'statefulset.kubernetes.io/pod-name';
export const POD_INDEX_LABEL = 'apps.kubernetes.io/pod-index';

export function podName(set: KubeObject, ordinal: number): string {
  return `${set.metadata.name}-${ordinal}`;
}

/** The ordinal in a pod's name, or -1 if the name is not <set>-<n>. */
export function ordinalOf(set: KubeObject, pod: KubeObject): number {
  const prefix = `${set.metadata.name}-`;
  const name = pod.metadata.name ?? '';
  if (!name.startsWith(prefix) || !/^\d+$/.test(name.slice(prefix.length))) return -1;
  return Number(name.slice(prefix.length));
}

export function claimName(template: Obj, set: KubeObject, ordinal: number): string {
  return `${template.metadata?.name}-${set.metadata.name}-${ordinal}`;
}

export function claimTemplates(set: KubeObject): Obj[] {
  return ((set.spec as Obj).volumeClaimTemplates ?? []) as Obj[];
}

/** The claims a pod at this ordinal uses. */
export function claimsFor(set: KubeObject, ordinal: number): Obj[] {
  return claimTemplates(set).map((t) => {
    const selectorLabels = ((set.spec as Obj).selector?.matchLabels ?? {}) as Record<string, string>;
    return {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: claimName(t, set, ordinal), namespace: set.metadata.namespace, labels: { ...(t.metadata?.labels ?? {}), ...selectorLabels }, annotations: t.metadata?.annotations },
      spec: structuredClone(t.spec ?? {}),
    };
  });
}

/** The pod for an ordinal, from the template of the given revision. */
export function newPod(set: KubeObject, template: Obj, revisionName: string, ordinal: number): Obj {
  const name = podName(set, ordinal);
  const spec = structuredClone(template.spec ?? {});
  spec.hostname = name;
  const service = (set.spec as Obj).serviceName;
  if (service) spec.subdomain = service;
  const claims = claimTemplates(set);
  const volumes = ((spec.volumes ?? []) as Obj[]).filter((v) => !claims.some((t) => t.metadata?.name === v.name));
  for (const t of claims) volumes.push({ name: t.metadata?.name, persistentVolumeClaim: { claimName: claimName(t, set, ordinal) } });
  if (volumes.length) spec.volumes = volumes;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: set.metadata.namespace,
      labels: { ...(template.metadata?.labels ?? {}), [REVISION_LABEL]: revisionName, [POD_NAME_LABEL]: name, [POD_INDEX_LABEL]: String(ordinal) },
      annotations: template.metadata?.annotations,
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: set.metadata.name!, uid: set.metadata.uid!, controller: true, blockOwnerDeletion: true }],
    },
    spec,
  };
}

export function revisionOfPod(pod: KubeObject): string | undefined {
  return pod.metadata.labels?.[REVISION_LABEL];
}

export function isRunningAndReady(pod: KubeObject): boolean {
  const st = (pod.status ?? {}) as Obj;
  return st.phase === 'Running' && ((st.conditions ?? []) as Obj[]).some((c) => c.type === 'Ready' && c.status === 'True');
}

/** Ready for at least minReadySeconds; otherwise how long is left (ms). */
export function availableIn(pod: KubeObject, minReadySeconds: number, now = Date.now()): number {
  if (!isRunningAndReady(pod)) return Infinity;
  if (!minReadySeconds) return 0;
  const since = ((((pod.status as Obj).conditions ?? []) as Obj[]).find((c) => c.type === 'Ready')?.lastTransitionTime as string) ?? '';
  const at = Date.parse(since);
  if (!at) return 0;
  return Math.max(0, at + minReadySeconds * 1000 - now);
}

export const isTerminated = isTerminalPod;
