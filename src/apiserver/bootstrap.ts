// Objects every cluster starts with: the four default namespaces (and their
// default ServiceAccounts, which the serviceaccount controller also keeps).
import { findResource } from '../api/kinds/resources.js';
import type { GenericRegistry } from './registry/generic-registry.js';

const DEFAULT_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

export async function ensureDefaultNamespaces(registry: GenericRegistry): Promise<void> {
  const ns = findResource('', 'namespaces')!;
  for (const name of DEFAULT_NAMESPACES) {
    try {
      await registry.create(ns, 'v1', undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } }, {
        dryRun: false,
        fieldManager: 'skiff-apiserver',
        fieldValidation: 'Strict',
        warnings: [],
      });
    } catch (e) {
      if ((e as { reason?: string }).reason !== 'AlreadyExists') throw e;
    }
  }
}

/** The default namespaces' "default" ServiceAccounts, so pods created at once need not wait for the serviceaccount controller. */
export async function ensureDefaultServiceAccounts(registry: GenericRegistry): Promise<void> {
  const sa = findResource('', 'serviceaccounts')!;
  for (const namespace of DEFAULT_NAMESPACES) {
    try {
      await registry.create(sa, 'v1', namespace, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default' } }, {
        dryRun: false,
        fieldManager: 'skiff-apiserver',
        fieldValidation: 'Strict',
        warnings: [],
      });
    } catch (e) {
      if ((e as { reason?: string }).reason !== 'AlreadyExists') throw e;
    }
  }
}
