// Builds the storage the API server uses: a backend (SQLite by default) with a watch
// cache per resource prefix and the periodic compactor.
import { join } from 'node:path';
import type { Backend } from './backend.js';
import { Compactor } from './compactor.js';
import { SqliteBackend } from './sqlite/sqlite-backend.js';
import type { ResourceStore, Storage } from './store.js';
import { WatchCache, type WatchCacheOptions } from './watch-cache.js';

export interface StorageOptions {
  backend?: 'sqlite';
  dataDir: string;
  /** database file (default <dataDir>/db/state.db, as k3s lays it out) */
  dbPath?: string;
  /** compaction interval (default 5 min as upstream; 0 disables) */
  compactIntervalMs?: number;
  /** newest revisions never compacted (default 1000) */
  compactMinRetain?: number;
  cache?: WatchCacheOptions;
}

export class CachedStorage implements Storage {
  private readonly caches = new Map<string, WatchCache>();
  private closed = false;

  constructor(
    readonly backendImpl: Backend,
    readonly compactor: Compactor,
    private readonly cacheOpts: WatchCacheOptions = {},
  ) {}

  get backend(): string {
    return this.backendImpl.name;
  }

  resource(prefix: string): ResourceStore {
    let c = this.caches.get(prefix);
    if (!c) {
      if (this.closed) throw new Error('storage closed');
      c = new WatchCache(this.backendImpl, prefix, this.cacheOpts);
      this.caches.set(prefix, c);
    }
    return c;
  }

  currentRevision(): Promise<number> {
    return this.backendImpl.currentRevision();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.compactor.stop();
    for (const c of this.caches.values()) c.close();
    await this.backendImpl.close();
  }
}

export async function createStorage(opts: StorageOptions): Promise<CachedStorage> {
  const path = opts.dbPath ?? join(opts.dataDir, 'db', 'state.db');
  const backend = await SqliteBackend.open({ path });
  const compactor = new Compactor(backend, {
    intervalMs: opts.compactIntervalMs,
    minRetain: opts.compactMinRetain,
    onError: (e) => process.emitWarning(`storage compaction failed: ${e.message}`),
  });
  compactor.start();
  return new CachedStorage(backend, compactor, opts.cache);
}

export { StorageError } from './store.js';
export type { ResourceStore, Storage } from './store.js';
