// Which printer serves which resource, and the Table they produce.
import type { KubeObject, ListMeta } from '../object.js';
import type { Printer } from './table-types.js';
import { podPrinter, podTemplatePrinter } from './pods.js';
import * as w from './workloads.js';
import * as n from './network.js';
import * as c from './cluster.js';

const PRINTERS: Record<string, Printer> = {
  'pods.': podPrinter,
  'podtemplates.': podTemplatePrinter,
  'replicationcontrollers.': w.replicationControllerPrinter,
  'deployments.apps': w.deploymentPrinter,
  'replicasets.apps': w.replicaSetPrinter,
  'statefulsets.apps': w.statefulSetPrinter,
  'daemonsets.apps': w.daemonSetPrinter,
  'controllerrevisions.apps': w.controllerRevisionPrinter,
  'jobs.batch': w.jobPrinter,
  'cronjobs.batch': w.cronJobPrinter,
  'services.': n.servicePrinter,
  'endpoints.': n.endpointsPrinter,
  'endpointslices.discovery.k8s.io': n.endpointSlicePrinter,
  'ingresses.networking.k8s.io': n.ingressPrinter,
  'ingressclasses.networking.k8s.io': n.ingressClassPrinter,
  'networkpolicies.networking.k8s.io': n.networkPolicyPrinter,
  'namespaces.': c.namespacePrinter,
  'nodes.': c.nodePrinter,
  'configmaps.': c.configMapPrinter,
  'secrets.': c.secretPrinter,
  'serviceaccounts.': c.serviceAccountPrinter,
  'leases.coordination.k8s.io': c.leasePrinter,
  'events.': c.eventPrinter,
  'events.events.k8s.io': c.eventsV1Printer,
  'persistentvolumes.': c.persistentVolumePrinter,
  'persistentvolumeclaims.': c.persistentVolumeClaimPrinter,
  'limitranges.': c.createdAtPrinter,
  'resourcequotas.': c.resourceQuotaPrinter,
  'horizontalpodautoscalers.autoscaling': c.hpaPrinter,
  'poddisruptionbudgets.policy': c.pdbPrinter,
  'roles.rbac.authorization.k8s.io': c.createdAtPrinter,
  'clusterroles.rbac.authorization.k8s.io': c.createdAtPrinter,
  'rolebindings.rbac.authorization.k8s.io': c.roleBindingPrinter,
  'clusterrolebindings.rbac.authorization.k8s.io': c.roleBindingPrinter,
  'priorityclasses.scheduling.k8s.io': c.priorityClassPrinter,
  'storageclasses.storage.k8s.io': c.storageClassPrinter,
};

export function printerFor(group: string, plural: string): Printer {
  return PRINTERS[`${plural}.${group}`] ?? c.createdAtPrinter;
}

export interface TableOptions {
  includeObject: 'None' | 'Metadata' | 'Object';
  listMeta?: ListMeta;
  apiVersionOfObjects: string;
  kindOfObjects: string;
  noHeaders?: boolean;
}

export function toTable(printer: Printer, objs: KubeObject[], opts: TableOptions): object {
  const now = new Date();
  const rows: object[] = [];
  for (const obj of objs) {
    for (const cells of printer.rows(obj, now)) {
      const row: Record<string, unknown> = { cells };
      if (opts.includeObject === 'Object') row.object = { apiVersion: opts.apiVersionOfObjects, kind: opts.kindOfObjects, ...obj };
      else if (opts.includeObject === 'Metadata') row.object = { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata };
      rows.push(row);
    }
  }
  const metadata: Record<string, unknown> = {};
  if (opts.listMeta?.resourceVersion) metadata.resourceVersion = opts.listMeta.resourceVersion;
  if (opts.listMeta?.continue) metadata.continue = opts.listMeta.continue;
  if (opts.listMeta?.remainingItemCount !== undefined) metadata.remainingItemCount = opts.listMeta.remainingItemCount;
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata,
    columnDefinitions: opts.noHeaders ? [] : printer.columns,
    rows,
  };
}
