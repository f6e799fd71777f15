// Cluster objects: Namespaces, Nodes, Leases, PriorityClasses and RuntimeClasses.
import type { Printer } from './table-types.js';
import { AGE, NAME, col, str, wide, type Obj } from './columns.js';
import { DOCS } from './docs.js';
import { since } from './duration.js';

export const namespacePrinter: Printer = {
  columns: [NAME, col('Status', 'The status of the namespace'), AGE],
  rows: (o: Obj, now) => [
    [o.metadata.name, str(o.status?.phase), since(o.metadata.creationTimestamp, now)],
  ],
};

const ROLE_PREFIX = 'node-role.kubernetes.io/';
const ROLE_LABEL = 'kubernetes.io/role';

/** findNodeRoles: node-role.kubernetes.io/<role> keys and kubernetes.io/role values, sorted and unique. */
export function nodeRoles(labels: Record<string, string> | undefined): string[] {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(labels ?? {})) {
    if (k.startsWith(ROLE_PREFIX)) {
      const role = k.slice(ROLE_PREFIX.length);
      if (role) roles.add(role);
    } else if (k === ROLE_LABEL && v) roles.add(v);
  }
  return [...roles].sort();
}

function nodeStatus(o: Obj): string {
  const status: string[] = [];
  // only the Ready condition shows; the last one of the type wins, as in upstream's map
  const ready = ((o.status?.conditions ?? []) as Obj[]).filter((c) => c.type === 'Ready').pop();
  if (ready) status.push(ready.status === 'True' ? 'Ready' : 'NotReady');
  else status.push('Unknown');
  if (o.spec?.unschedulable === true) status.push('SchedulingDisabled');
  return status.join(',');
}

/** The first address of the type, "<none>" when the node has none. */
function nodeAddress(o: Obj, type: string): string {
  const a = ((o.status?.addresses ?? []) as Obj[]).find((x) => x.type === type);
  return a ? str(a.address) : '<none>';
}

export const nodePrinter: Printer = {
  columns: [
    NAME,
    col('Status', 'The status of the node'),
    col('Roles', 'The roles of the node'),
    AGE,
    col('Version', DOCS.NodeSystemInfo.kubeletVersion),
    wide('Internal-IP', DOCS.NodeStatus.addresses),
    wide('External-IP', DOCS.NodeStatus.addresses),
    wide('OS-Image', DOCS.NodeSystemInfo.osImage),
    wide('Kernel-Version', DOCS.NodeSystemInfo.kernelVersion),
    wide('Container-Runtime', DOCS.NodeSystemInfo.containerRuntimeVersion),
  ],
  rows(o: Obj, now) {
    const info: Obj = o.status?.nodeInfo ?? {};
    const roles = nodeRoles(o.metadata.labels).join(',');
    return [
      [
        o.metadata.name,
        nodeStatus(o),
        roles || '<none>',
        since(o.metadata.creationTimestamp, now),
        str(info.kubeletVersion),
        nodeAddress(o, 'InternalIP'),
        nodeAddress(o, 'ExternalIP'),
        info.osImage || '<unknown>',
        info.kernelVersion || '<unknown>',
        info.containerRuntimeVersion || '<unknown>',
      ],
    ];
  },
};

export const leasePrinter: Printer = {
  columns: [NAME, col('Holder', DOCS.LeaseSpec.holderIdentity), AGE],
  rows: (o: Obj, now) => [
    [o.metadata.name, str(o.spec?.holderIdentity), since(o.metadata.creationTimestamp, now)],
  ],
};

export const priorityClassPrinter: Printer = {
  columns: [
    NAME,
    col('Value', DOCS.PriorityClass.value, 'integer'),
    col('Global-Default', DOCS.PriorityClass.globalDefault, 'boolean'),
    AGE,
    wide('PreemptionPolicy', DOCS.PriorityClass.preemptionPolicy),
  ],
  rows: (o: Obj, now) => [
    [
      o.metadata.name,
      typeof o.value === 'number' ? o.value : 0,
      o.globalDefault === true,
      since(o.metadata.creationTimestamp, now),
      str(o.preemptionPolicy),
    ],
  ],
};

// upstream's RuntimeClass columns: NAME, HANDLER, AGE
export const runtimeClassPrinter: Printer = {
  columns: [NAME, col('Handler', 'Handler specifies the underlying runtime and configuration that the CRI implementation will use to handle pods of this class.'), AGE],
  rows: (o: Obj, now) => [[o.metadata.name, str(o.handler), since(o.metadata.creationTimestamp, now)]],
};
