// Which printer serves which resource, and the meta.k8s.io Table they produce
// for lists, single objects and watch events (upstream's asTable and the
// watch encoder's header handling).
import type { KubeObject, ListMeta } from '../object.js';
import { errors } from '../errors.js';
import type { Printer, TableColumnDefinition, TableRow } from './table-types.js';
import { podPrinter, podTemplatePrinter } from './pods.js';
import * as workloads from './workloads.js';
import * as network from './network.js';
import * as cluster from './cluster.js';
import * as config from './config.js';
import * as storage from './storage.js';
import { eventPrinter, eventsV1Printer } from './events.js';
import { clusterRoleBindingPrinter, roleBindingPrinter } from './rbac.js';
import { podDisruptionBudgetPrinter, resourceQuotaPrinter } from './policy.js';
import { horizontalPodAutoscalerPrinter } from './autoscaling.js';
import { defaultPrinter } from './default.js';

export type { Printer, TableColumnDefinition, TableRow, TableRowCondition } from './table-types.js';
export { humanDuration, shortHumanDuration } from './duration.js';

// Roles, cluster roles and limit ranges have no printer upstream either: they
// print with the default convertor (NAME, CREATED AT).
const PRINTERS: Record<string, Printer> = {
  'pods.': podPrinter,
  'podtemplates.': podTemplatePrinter,
  'replicationcontrollers.': workloads.replicationControllerPrinter,
  'services.': network.servicePrinter,
  'endpoints.': network.endpointsPrinter,
  'namespaces.': cluster.namespacePrinter,
  'nodes.': cluster.nodePrinter,
  'configmaps.': config.configMapPrinter,
  'secrets.': config.secretPrinter,
  'serviceaccounts.': config.serviceAccountPrinter,
  'events.': eventPrinter,
  'persistentvolumes.': storage.persistentVolumePrinter,
  'persistentvolumeclaims.': storage.persistentVolumeClaimPrinter,
  'resourcequotas.': resourceQuotaPrinter,
  'deployments.apps': workloads.deploymentPrinter,
  'replicasets.apps': workloads.replicaSetPrinter,
  'statefulsets.apps': workloads.statefulSetPrinter,
  'daemonsets.apps': workloads.daemonSetPrinter,
  'controllerrevisions.apps': workloads.controllerRevisionPrinter,
  'jobs.batch': workloads.jobPrinter,
  'cronjobs.batch': workloads.cronJobPrinter,
  'horizontalpodautoscalers.autoscaling': horizontalPodAutoscalerPrinter,
  'leases.coordination.k8s.io': cluster.leasePrinter,
  'endpointslices.discovery.k8s.io': network.endpointSlicePrinter,
  'events.events.k8s.io': eventsV1Printer,
  'ingresses.networking.k8s.io': network.ingressPrinter,
  'ingressclasses.networking.k8s.io': network.ingressClassPrinter,
  'networkpolicies.networking.k8s.io': network.networkPolicyPrinter,
  'poddisruptionbudgets.policy': podDisruptionBudgetPrinter,
  'rolebindings.rbac.authorization.k8s.io': roleBindingPrinter,
  'clusterrolebindings.rbac.authorization.k8s.io': clusterRoleBindingPrinter,
  'priorityclasses.scheduling.k8s.io': cluster.priorityClassPrinter,
  'runtimeclasses.node.k8s.io': cluster.runtimeClassPrinter,
  'storageclasses.storage.k8s.io': storage.storageClassPrinter,
};

/** The printer for a resource; upstream's default convertor (NAME, CREATED AT) for any other. */
export function printerFor(group: string, plural: string): Printer {
  return PRINTERS[`${plural}.${group}`] ?? defaultPrinter;
}

export type IncludeObject = 'None' | 'Metadata' | 'Object';

/** The Table API versions a client may ask for (`g=meta.k8s.io;v=...`). */
export type TableGroupVersion = 'meta.k8s.io/v1' | 'meta.k8s.io/v1beta1';

export interface TableOptions {
  /** From the `includeObject` query parameter; upstream's default is Metadata. */
  includeObject: IncludeObject;
  /** The list's metadata; absent for a single object (get, watch event), whose resourceVersion the Table then carries. */
  listMeta?: ListMeta;
  /** apiVersion and kind of the objects, set on them for includeObject=Object. */
  apiVersionOfObjects: string;
  kindOfObjects: string;
  /** columnDefinitions null, as on every watch event after the first. */
  noHeaders?: boolean;
  /** The Table's own apiVersion (default meta.k8s.io/v1); PartialObjectMetadata rows share it. */
  groupVersion?: TableGroupVersion;
  /** The clock ages are measured against (default: now). */
  now?: Date;
}

export interface Table {
  kind: 'Table';
  apiVersion: TableGroupVersion;
  metadata: ListMeta;
  columnDefinitions: TableColumnDefinition[] | null;
  rows: TableRow[] | null;
}

/**
 * TableOptions.includeObject from a request's query, validated as upstream:
 * anything but Metadata, Object, None or empty is a 400.
 */
export function includeObjectParam(query: URLSearchParams): IncludeObject {
  const v = query.get('includeObject') ?? '';
  if (v === '') return 'Metadata';
  if (v === 'Metadata' || v === 'Object' || v === 'None') return v;
  throw errors.badRequest(
    `Unable to convert to Table as requested: includeObject: Invalid value: ${JSON.stringify(v)}: must be 'Metadata', 'Object', 'None', or empty`,
  );
}

function rowObject(obj: KubeObject, opts: TableOptions): unknown {
  switch (opts.includeObject) {
    case 'None':
      return null;
    case 'Object': {
      const { apiVersion: _a, kind: _k, ...rest } = obj;
      return { apiVersion: opts.apiVersionOfObjects, kind: opts.kindOfObjects, ...rest };
    }
    default:
      return {
        kind: 'PartialObjectMetadata',
        apiVersion: opts.groupVersion ?? 'meta.k8s.io/v1',
        metadata: obj.metadata,
      };
  }
}

/** The meta.k8s.io Table of objs, as upstream's apiserver answers `as=Table` (always wide). */
export function toTable(printer: Printer, objs: KubeObject[], opts: TableOptions): Table {
  const now = opts.now ?? new Date();
  const rows: TableRow[] = [];
  for (const obj of objs) {
    const conditions = printer.conditions?.(obj);
    const object = rowObject(obj, opts);
    for (const cells of printer.rows(obj, now)) {
      rows.push(conditions ? { cells, conditions, object } : { cells, object });
    }
  }
  const metadata: ListMeta = {};
  if (opts.listMeta) {
    if (opts.listMeta.resourceVersion) metadata.resourceVersion = opts.listMeta.resourceVersion;
    if (opts.listMeta.continue) metadata.continue = opts.listMeta.continue;
    if (opts.listMeta.remainingItemCount !== undefined && opts.listMeta.remainingItemCount !== null)
      metadata.remainingItemCount = opts.listMeta.remainingItemCount;
  } else if (objs.length === 1 && objs[0].metadata.resourceVersion) {
    metadata.resourceVersion = objs[0].metadata.resourceVersion;
  }
  return {
    kind: 'Table',
    apiVersion: opts.groupVersion ?? 'meta.k8s.io/v1',
    metadata,
    columnDefinitions: opts.noHeaders ? null : printer.columns,
    rows: rows.length === 0 && printer.nullWhenEmpty ? null : rows,
  };
}

export type WatchTableOptions = Omit<TableOptions, 'listMeta' | 'noHeaders'>;

/**
 * One watch stream's Table rendering, as upstream's watchEmbeddedEncoder: every
 * event object (BOOKMARK included) becomes a one-row Table, a Status (ERROR
 * events) goes out unchanged, and only the stream's first event carries
 * columnDefinitions; every later one has them null.
 */
export interface TableWatchRenderer {
  /** The object for one event; call it for every event, in order. */
  render(obj: KubeObject): unknown;
  /** Whether the next render carries column definitions: part of any cache key for the encoded event. */
  readonly headersNext: boolean;
}

export function tableWatchRenderer(printer: Printer, opts: WatchTableOptions): TableWatchRenderer {
  let headersNext = true;
  return {
    get headersNext() {
      return headersNext;
    },
    render(obj: KubeObject): unknown {
      const noHeaders = !headersNext;
      headersNext = false;
      if (obj.kind === 'Status' && (obj.apiVersion === 'v1' || obj.apiVersion === 'meta.k8s.io/v1'))
        return obj;
      return toTable(printer, [obj], { ...opts, noHeaders });
    },
  };
}
