// Objects every cluster starts with: the four default namespaces (and their
// default ServiceAccounts, which the serviceaccount controller also keeps).
import { findResource } from '../api/kinds/resources.js';
import type { KubeObject } from '../api/object.js';
import type { GenericRegistry } from './registry/generic-registry.js';

const DEFAULT_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

/** Creates obj unless it is there already (a restart finds what the first start made). */
async function createIfAbsent(registry: GenericRegistry, plural: string, namespace: string | undefined, obj: KubeObject): Promise<void> {
  try {
    await registry.create(findResource('', plural)!, 'v1', namespace, obj, { dryRun: false, fieldManager: 'skiff-apiserver', fieldValidation: 'Strict', warnings: [] });
  } catch (e) {
    if ((e as { reason?: string }).reason !== 'AlreadyExists') throw e;
  }
}

export async function ensureDefaultNamespaces(registry: GenericRegistry): Promise<void> {
  for (const name of DEFAULT_NAMESPACES) await createIfAbsent(registry, 'namespaces', undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
}

/** The default namespaces' "default" ServiceAccounts, so pods created at once need not wait for the serviceaccount controller. */
export async function ensureDefaultServiceAccounts(registry: GenericRegistry): Promise<void> {
  for (const namespace of DEFAULT_NAMESPACES) await createIfAbsent(registry, 'serviceaccounts', namespace, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default' } });
}
