// A real registry over SQLite in a temporary folder, with the "default"
// namespace made, for tests that go through the API server's registry.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findResource } from '../../../src/api/kinds/resources.js';
import { GenericRegistry, type WriteOptions } from '../../../src/apiserver/registry/generic-registry.js';
import type { RegistryHooks } from '../../../src/apiserver/registry/hooks.js';
import { registryHooks } from '../../../src/apiserver/registry/hooks-impl.js';
import { createStorage, type CachedStorage } from '../../../src/storage/index.js';

export const PODS = findResource('', 'pods')!;
export const SAS = findResource('', 'serviceaccounts')!;
export const NSS = findResource('', 'namespaces')!;
export const W = (): WriteOptions => ({ dryRun: false, fieldValidation: 'Ignore', fieldManager: 'test', warnings: [] });

export interface SqliteRegistry {
  dir: string;
  storage: CachedStorage;
  reg: GenericRegistry;
  /** closes the storage and removes the folder */
  close(): Promise<void>;
}

/** `hooks` may change the default hooks, e.g. add an admission that reads the storage. */
export async function openSqliteRegistry(prefix: string, hooks: (storage: CachedStorage, defaults: RegistryHooks) => RegistryHooks = (_s, d) => d): Promise<SqliteRegistry> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const storage = await createStorage({ dataDir: dir });
  const reg = new GenericRegistry(storage, hooks(storage, registryHooks()));
  await reg.create(NSS, 'v1', undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } }, W());
  return {
    dir,
    storage,
    reg,
    close: async () => {
      await storage.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
