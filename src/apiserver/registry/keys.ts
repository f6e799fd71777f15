// Storage keys: /registry/<group or "core">/<plural>/[<namespace>/]<name>.
import type { ResourceInfo } from '../../api/resource.js';

export function storageIdentity(info: ResourceInfo): { group: string; plural: string } {
  return info.storageOf ?? { group: info.group, plural: info.plural };
}

export function resourcePrefix(info: ResourceInfo): string {
  const { group, plural } = storageIdentity(info);
  return `/registry/${group || 'core'}/${plural}/`;
}

export function collectionPrefix(info: ResourceInfo, namespace?: string): string {
  const base = resourcePrefix(info);
  return info.namespaced && namespace ? `${base}${namespace}/` : base;
}

export function objectKey(info: ResourceInfo, namespace: string | undefined, name: string): string {
  const base = resourcePrefix(info);
  return info.namespaced ? `${base}${namespace}/${name}` : `${base}${name}`;
}
