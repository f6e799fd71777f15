// The build cache: the image state after a filesystem step, keyed by the
// parent's key, the instruction and a hash of what it reads. An entry is only
// used while every layer it names is still in the store.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { Layer } from '../layer-pack.js';
import type { LayoutStore } from '../store.js';

export interface CacheEntry {
  layer: Layer;
}

export class BuildCache {
  private readonly dir: string;

  constructor(private readonly store: LayoutStore) {
    this.dir = join(store.root, 'build-cache');
    mkdirSync(this.dir, { recursive: true });
  }

  static key(...parts: string[]): string {
    return createHash('sha256').update(parts.join('\0')).digest('hex');
  }

  get(key: string): CacheEntry | undefined {
    const f = join(this.dir, `${key}.json`);
    if (!existsSync(f)) return undefined;
    const e = JSON.parse(readFileSync(f, 'utf8')) as CacheEntry;
    return this.store.hasBlob(e.layer.descriptor.digest) ? e : undefined;
  }

  put(key: string, entry: CacheEntry): void {
    const tmp = this.store.tempPath('cache');
    writeFileSync(tmp, JSON.stringify(entry));
    renameSync(tmp, join(this.dir, `${key}.json`));
  }

  /** forgets every entry (`skiff image prune`); returns how many there were */
  clear(): number {
    const entries = readdirSync(this.dir).filter((f) => f.endsWith('.json'));
    for (const f of entries) rmSync(join(this.dir, f), { force: true });
    return entries.length;
  }

  /** layer blobs the cache still refers to, kept by garbage collection */
  digests(): Set<string> {
    const out = new Set<string>();
    for (const f of existsSync(this.dir) ? readdirSync(this.dir).filter((f) => f.endsWith('.json')) : []) {
      try {
        out.add((JSON.parse(readFileSync(join(this.dir, f), 'utf8')) as CacheEntry).layer.descriptor.digest);
      } catch {
        // a torn entry is ignored
      }
    }
    return out;
  }
}
