// Objects every cluster starts with: the four default namespaces.
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
