// Namespaces, Nodes, config and storage objects, events, RBAC, policy and autoscaling.
import type { Printer } from './table-types.js';
import { AGE, NAME, col, selectorString, type Obj } from './columns.js';
import { age } from './duration.js';

const created = (o: Obj) => o.metadata.creationTimestamp ?? '';
const CREATED_AT = col('Created At', 'CreationTimestamp is a timestamp representing the server time when this object was created.', 'date');

export const createdAtPrinter: Printer = {
  columns: [NAME, CREATED_AT],
  rows: (o) => [[o.metadata.name, created(o as Obj)]],
};

export const namespacePrinter: Printer = {
  columns: [NAME, col('Status', 'The status of the namespace'), AGE],
  rows: (o: Obj, now) => [[o.metadata.name, o.status?.phase ?? '', age(o.metadata.creationTimestamp, now)]],
};

export const nodePrinter: Printer = {
  columns: [
    NAME,
    col('Status', 'The status of the node'),
    col('Roles', 'The roles of the node'),
    AGE,
    col('Version', 'Kubelet Version reported by the node.'),
    col('Internal-IP', 'List of internal IPs.', 'string', 1),
    col('External-IP', 'List of external IPs.', 'string', 1),
    col('OS-Image', 'OS image reported by the node.', 'string', 1),
    col('Kernel-Version', 'Kernel version reported by the node.', 'string', 1),
    col('Container-Runtime', 'Container runtime and version reported by the node.', 'string', 1),
  ],
  rows(o: Obj, now) {
    const conds: Obj[] = o.status?.conditions ?? [];
    const ready = conds.find((c) => c.type === 'Ready');
    const status: string[] = [ready ? (ready.status === 'True' ? 'Ready' : ready.status === 'False' ? 'NotReady' : 'Unknown') : 'Unknown'];
    if (o.spec?.unschedulable) status.push('SchedulingDisabled');
    const roles = Object.keys(o.metadata.labels ?? {})
      .map((l) => (l.startsWith('node-role.kubernetes.io/') ? l.slice('node-role.kubernetes.io/'.length) : l === 'kubernetes.io/role' ? o.metadata.labels[l] : ''))
      .filter(Boolean)
      .sort();
    const addrs: Obj[] = o.status?.addresses ?? [];
    const ip = (t: string) => addrs.filter((a) => a.type === t).map((a) => a.address).join(',') || '<none>';
    const info = o.status?.nodeInfo ?? {};
    return [[o.metadata.name, status.join(','), roles.length ? roles.join(',') : '<none>', age(o.metadata.creationTimestamp, now), info.kubeletVersion ?? '', ip('InternalIP'), ip('ExternalIP'), info.osImage || '<unknown>', info.kernelVersion || '<unknown>', info.containerRuntimeVersion || '<unknown>']];
  },
};

export const configMapPrinter: Printer = {
  columns: [NAME, col('Data', 'Number of keys.', 'integer'), AGE],
  rows: (o: Obj, now) => [[o.metadata.name, Object.keys(o.data ?? {}).length + Object.keys(o.binaryData ?? {}).length, age(o.metadata.creationTimestamp, now)]],
};

export const secretPrinter: Printer = {
  columns: [NAME, col('Type', 'The type of the secret'), col('Data', 'The number of data items', 'integer'), AGE],
  rows: (o: Obj, now) => [[o.metadata.name, o.type ?? 'Opaque', Object.keys(o.data ?? {}).length, age(o.metadata.creationTimestamp, now)]],
};

export const serviceAccountPrinter: Printer = {
  columns: [NAME, col('Secrets', 'The number of secrets', 'integer'), AGE],
  rows: (o: Obj, now) => [[o.metadata.name, (o.secrets ?? []).length, age(o.metadata.creationTimestamp, now)]],
};

export const leasePrinter: Printer = {
  columns: [NAME, col('Holder', 'The holder of the lease.'), AGE],
  rows: (o: Obj, now) => [[o.metadata.name, o.spec?.holderIdentity ?? '', age(o.metadata.creationTimestamp, now)]],
};

function eventObject(ref: Obj | undefined): string {
  if (!ref) return '';
  return `${String(ref.kind ?? '').toLowerCase()}/${ref.name ?? ''}`;
}

export const eventPrinter: Printer = {
  columns: [
    col('Last Seen', 'Time when last event occurred'),
    col('Type', 'Type of this event.'),
    col('Reason', 'Reason is why the action was taken.'),
    col('Object', 'The object this Event is about.'),
    col('Message', 'A human-readable description of the status of this operation.'),
    col('Subobject', 'The subobject this Event is about.', 'string', 1),
    col('Source', 'The component reporting this event.', 'string', 1),
    col('First Seen', 'The time at which the event was first recorded.', 'string', 1),
    col('Count', 'The number of times this event has occurred.', 'integer', 1),
    col('Name', 'The name of the event.', 'string', 1),
  ],
  rows(o: Obj, now) {
    const last = o.series?.lastObservedTime ?? o.lastTimestamp ?? o.eventTime ?? o.metadata.creationTimestamp;
    const first = o.firstTimestamp ?? o.eventTime ?? o.metadata.creationTimestamp;
    const src = o.source?.component ? `${o.source.component}${o.source.host ? `, ${o.source.host}` : ''}` : o.reportingComponent ?? '';
    return [[age(last, now), o.type ?? '', o.reason ?? '', eventObject(o.involvedObject), o.message ?? '', o.involvedObject?.fieldPath ?? '', src, age(first, now), o.count ?? 1, o.metadata.name]];
  },
};

/** events.k8s.io/v1 shape */
export const eventsV1Printer: Printer = {
  columns: eventPrinter.columns,
  rows(o: Obj, now) {
    const last = o.series?.lastObservedTime ?? o.deprecatedLastTimestamp ?? o.eventTime ?? o.metadata.creationTimestamp;
    const first = o.deprecatedFirstTimestamp ?? o.eventTime ?? o.metadata.creationTimestamp;
    return [[age(last, now), o.type ?? '', o.reason ?? '', eventObject(o.regarding), o.note ?? '', o.regarding?.fieldPath ?? '', o.reportingController ?? '', age(first, now), o.deprecatedCount ?? 1, o.metadata.name]];
  },
};

export const persistentVolumePrinter: Printer = {
  columns: [NAME, col('Capacity', ''), col('Access Modes', ''), col('Reclaim Policy', ''), col('Status', ''), col('Claim', ''), col('StorageClass', ''), col('VolumeAttributesClass', ''), col('Reason', ''), AGE, col('VolumeMode', '', 'string', 1)],
  rows(o: Obj, now) {
    const s = o.spec ?? {};
    const claim = s.claimRef ? `${s.claimRef.namespace}/${s.claimRef.name}` : '';
    return [[o.metadata.name, s.capacity?.storage ?? '', accessModes(s.accessModes), s.persistentVolumeReclaimPolicy ?? '', o.status?.phase ?? '', claim, s.storageClassName ?? '', s.volumeAttributesClassName ?? '<unset>', o.status?.reason ?? '', age(o.metadata.creationTimestamp, now), s.volumeMode ?? 'Filesystem']];
  },
};

export const persistentVolumeClaimPrinter: Printer = {
  columns: [NAME, col('Status', ''), col('Volume', ''), col('Capacity', ''), col('Access Modes', ''), col('StorageClass', ''), col('VolumeAttributesClass', ''), AGE, col('VolumeMode', '', 'string', 1)],
  rows(o: Obj, now) {
    const s = o.spec ?? {};
    const bound = o.status?.phase === 'Bound';
    return [[o.metadata.name, o.status?.phase ?? '', s.volumeName ?? '', bound ? o.status?.capacity?.storage ?? '' : '', bound ? accessModes(o.status?.accessModes) : '', s.storageClassName ?? '', s.volumeAttributesClassName ?? '<unset>', age(o.metadata.creationTimestamp, now), s.volumeMode ?? 'Filesystem']];
  },
};

function accessModes(modes: string[] | undefined): string {
  const short: Record<string, string> = { ReadWriteOnce: 'RWO', ReadOnlyMany: 'ROX', ReadWriteMany: 'RWX', ReadWriteOncePod: 'RWOP' };
  return (modes ?? []).map((m) => short[m] ?? m).join(',');
}

export const resourceQuotaPrinter: Printer = {
  columns: [NAME, AGE, col('Request', ''), col('Limit', '')],
  rows(o: Obj, now) {
    const hard = o.status?.hard ?? o.spec?.hard ?? {};
    const used = o.status?.used ?? {};
    const req: string[] = [];
    const lim: string[] = [];
    for (const k of Object.keys(hard).sort()) {
      const entry = `${k}: ${used[k] ?? '0'}/${hard[k]}`;
      if (k.startsWith('limits.')) lim.push(entry);
      else req.push(entry);
    }
    return [[o.metadata.name, age(o.metadata.creationTimestamp, now), req.join(', '), lim.join(', ')]];
  },
};

export const hpaPrinter: Printer = {
  columns: [NAME, col('Reference', ''), col('Targets', ''), col('MinPods', '', 'integer'), col('MaxPods', '', 'integer'), col('Replicas', '', 'integer'), AGE],
  rows(o: Obj, now) {
    const ref = o.spec?.scaleTargetRef ?? {};
    const targets = (o.spec?.metrics ?? []).map((m: Obj, i: number) => {
      if (m.type !== 'Resource') return '<unknown>';
      const cur = (o.status?.currentMetrics ?? [])[i]?.resource?.current;
      const t = m.resource?.target ?? {};
      const curStr = t.type === 'Utilization' ? (cur?.averageUtilization !== undefined ? `${cur.averageUtilization}%` : '<unknown>') : cur?.averageValue ?? '<unknown>';
      const want = t.type === 'Utilization' ? `${t.averageUtilization}%` : t.averageValue ?? t.value;
      return `${m.resource?.name}: ${curStr}/${want}`;
    });
    return [[o.metadata.name, `${ref.kind}/${ref.name}`, targets.length ? targets.join(', ') : '<none>', o.spec?.minReplicas ?? 1, o.spec?.maxReplicas ?? 0, o.status?.currentReplicas ?? 0, age(o.metadata.creationTimestamp, now)]];
  },
};

export const pdbPrinter: Printer = {
  columns: [NAME, col('Min Available', ''), col('Max Unavailable', ''), col('Allowed Disruptions', '', 'integer'), AGE],
  rows: (o: Obj, now) => [[o.metadata.name, o.spec?.minAvailable ?? 'N/A', o.spec?.maxUnavailable ?? 'N/A', o.status?.disruptionsAllowed ?? 0, age(o.metadata.creationTimestamp, now)]],
};

export const roleBindingPrinter: Printer = {
  columns: [NAME, col('Role', ''), AGE, col('Users', '', 'string', 1), col('Groups', '', 'string', 1), col('ServiceAccounts', '', 'string', 1)],
  rows(o: Obj, now) {
    const subj: Obj[] = o.subjects ?? [];
    const of = (k: string) => subj.filter((s) => s.kind === k).map((s) => (k === 'ServiceAccount' ? `${s.namespace ?? ''}/${s.name}` : s.name)).join(', ');
    return [[o.metadata.name, `${o.roleRef?.kind}/${o.roleRef?.name}`, age(o.metadata.creationTimestamp, now), of('User'), of('Group'), of('ServiceAccount')]];
  },
};

export const priorityClassPrinter: Printer = {
  columns: [NAME, col('Value', '', 'integer'), col('Global-Default', '', 'boolean'), AGE, col('PreemptionPolicy', '')],
  rows: (o: Obj, now) => [[o.metadata.name, o.value ?? 0, o.globalDefault === true, age(o.metadata.creationTimestamp, now), o.preemptionPolicy ?? 'PreemptLowerPriority']],
};

export const storageClassPrinter: Printer = {
  columns: [NAME, col('Provisioner', ''), col('ReclaimPolicy', ''), col('VolumeBindingMode', ''), col('AllowVolumeExpansion', ''), AGE],
  rows(o: Obj, now) {
    const isDefault = o.metadata.annotations?.['storageclass.kubernetes.io/is-default-class'] === 'true';
    return [[isDefault ? `${o.metadata.name} (default)` : o.metadata.name, o.provisioner ?? '', o.reclaimPolicy ?? 'Delete', o.volumeBindingMode ?? 'Immediate', String(o.allowVolumeExpansion ?? false), age(o.metadata.creationTimestamp, now)]];
  },
};

export { selectorString };
