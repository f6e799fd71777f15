// A list served by the backend at one revision: the path for resourceVersionMatch=Exact
// and for continue tokens. Like upstream's etcd3 store it reads pages, filters them
// with the predicate, and reads more (in growing pages) until `limit` items matched.
import type { Backend } from './backend.js';
import { encodeContinue } from './continue-token.js';
import { decodeKV } from './object-codec.js';
import type { KubeObject } from '../api/object.js';
import type { ListResult, Predicate } from './store.js';

export interface BackendListOptions {
  /** exact revision; 0/undefined = current */
  revision?: number;
  startKey?: string;
  limit?: number;
  predicate?: Predicate;
}

const MAX_PAGE = 10_000;

export async function listFromBackend(backend: Backend, prefix: string, opts: BackendListOptions): Promise<ListResult> {
  const limit = opts.limit && opts.limit > 0 ? opts.limit : 0;
  const items: KubeObject[] = [];
  let revision = opts.revision ?? 0;
  let startKey = opts.startKey;
  let pageSize = limit ? limit : 0;
  let lastKey: string | undefined;
  for (;;) {
    const page = await backend.range(prefix, { revision, startKey, limit: pageSize });
    // pin the revision so every page reads the same snapshot
    revision = page.revision;
    for (let i = 0; i < page.kvs.length; i++) {
      const kv = page.kvs[i];
      const obj = decodeKV(kv);
      if (opts.predicate && !opts.predicate(obj)) continue;
      items.push(obj);
      lastKey = kv.key;
      if (limit && items.length === limit) {
        const more = i < page.kvs.length - 1 || page.more;
        return more ? await withContinue(backend, prefix, items, revision, lastKey, !opts.predicate) : done(items, revision);
      }
    }
    if (!page.more || page.kvs.length === 0) return done(items, revision);
    startKey = page.kvs[page.kvs.length - 1].key + '\u0000';
    pageSize = Math.min(pageSize * 2, MAX_PAGE);
  }
}

async function withContinue(
  backend: Backend,
  prefix: string,
  items: KubeObject[],
  revision: number,
  lastKey: string,
  countable: boolean,
): Promise<ListResult> {
  const result: ListResult = { items, resourceVersion: String(revision), continue: encodeContinue(prefix, lastKey, revision) };
  // only an unfiltered list knows how many items remain, as upstream
  if (countable) result.remainingItemCount = await backend.count(prefix, { revision, startKey: lastKey + '\u0000' });
  return result;
}

function done(items: KubeObject[], revision: number): ListResult {
  return { items, resourceVersion: String(revision) };
}
