// A core object by name for the API server's own checks (service account
// tokens): the watch cache's copy, or storage when the cache has none.
import { findResource } from '../../api/kinds/resources.js';
import type { KubeObject } from '../../api/object.js';
import { StorageError, type Storage } from '../../storage/store.js';
import { objectKey, resourcePrefix } from './keys.js';

export function storageLookup(storage: Storage) {
  return (resource: string, namespace: string | undefined, name: string): KubeObject | undefined | Promise<KubeObject | undefined> => {
    const info = findResource('', resource);
    if (!info) return undefined;
    const store = storage.resource(resourcePrefix(info));
    const key = objectKey(info, info.namespaced ? namespace : undefined, name);
    const cached = store.getCached(key);
    if (cached) return cached;
    return store.get(key).catch((e: unknown) => {
      if (e instanceof StorageError && e.code === 'KeyNotFound') return undefined;
      throw e;
    });
  };
}
