// The watch cache of one resource (upstream's cacher): the current objects in
// memory plus a buffer of recent events, fed by the backend's watch (in-process for
// SQLite, right after each commit). Lists at resourceVersion "0", "" (after catching
// up to the store's revision, as upstream >= 1.31) and NotOlderThan are served from
// memory; Exact lists and continue tokens go to the backend's MVCC history. Every
// watcher is served from the cache: fan-out never re-reads the store, and never waits
// for a slow watcher. Writes and get go straight to the backend.
import { cloneJson, type KubeObject } from '../api/object.js';
import { prefixEnd, type Backend, type BackendEvent } from './backend.js';
import { listFromBackend } from './backend-list.js';
import { bookmarkEvent, CacheWatcher, errorEvent } from './cache-watcher.js';
import { eventFor, type CachedEvent } from './cached-event.js';
import { decodeContinue, encodeContinue } from './continue-token.js';
import { EventBuffer, type EventBufferOptions } from './event-buffer.js';
import { decodeKV, decodeObject, encodeObject } from './object-codec.js';
import { SortedKeys } from './sorted-keys.js';
import {
  StorageError,
  type ListOptions,
  type ListResult,
  type Preconditions,
  type Predicate,
  type ResourceStore,
  type Watch,
  type WatchEvent,
  type WatchOptions,
} from './store.js';

export interface WatchCacheOptions {
  /** recent-event history kept for watches from a resourceVersion */
  history?: EventBufferOptions;
  /** undelivered live events a watcher may have before it is terminated (default 1000) */
  watcherCapacity?: number;
  /** mean interval of periodic bookmarks (default 60 s, as upstream; jittered ±10%) */
  bookmarkIntervalMs?: number;
  /** how long a read waits for the cache to reach a requested revision (default 3 s, as upstream) */
  freshnessTimeoutMs?: number;
}

interface Entry {
  object: KubeObject;
  /** the ADDED event for this state, shared by every watcher's initial events */
  added?: WatchEvent;
}

interface Waiter {
  revision: number;
  resolve: () => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export class WatchCache implements ResourceStore {
  private readonly objects = new Map<string, Entry>();
  private readonly keys = new SortedKeys();
  private buffer = new EventBuffer(0);
  /** the store revision the cache reflects */
  private revision = 0;
  private ready: Promise<void>;
  private isReady = false;
  private closed = false;
  private cancelFeed?: () => void;
  private readonly watchers = new Set<CacheWatcher>();
  private waiters: Waiter[] = [];
  private bookmarkTimer?: NodeJS.Timeout;
  private readonly opts: Required<WatchCacheOptions>;

  constructor(
    private readonly backend: Backend,
    readonly prefix: string,
    options: WatchCacheOptions = {},
  ) {
    this.opts = {
      history: options.history ?? {},
      watcherCapacity: options.watcherCapacity ?? 1000,
      bookmarkIntervalMs: options.bookmarkIntervalMs ?? 60_000,
      freshnessTimeoutMs: options.freshnessTimeoutMs ?? 3000,
    };
    this.ready = this.init();
    this.ready.catch(() => undefined);
  }

  /** Resolves once the initial list is loaded and the feed is attached. */
  whenReady(): Promise<void> {
    return this.ready;
  }

  /** The revision the cache has caught up to. */
  get cachedRevision(): number {
    return this.revision;
  }

  // ---- feed ----

  private async init(): Promise<void> {
    const page = await this.backend.range(this.prefix);
    if (this.closed) return;
    this.objects.clear();
    this.keys.clear();
    for (const kv of page.kvs) {
      this.objects.set(kv.key, { object: decodeKV(kv) });
      this.keys.insert(kv.key);
    }
    this.revision = page.revision;
    this.buffer = new EventBuffer(page.revision, this.opts.history);
    this.cancelFeed = this.backend.watch(this.prefix, page.revision, {
      onEvents: (events, revision) => this.ingest(events, revision),
      onError: (err) => this.onFeedError(err),
    });
    this.isReady = true;
  }

  private ingest(events: BackendEvent[], revision: number): void {
    const now = Date.now();
    for (const ev of events) {
      if (ev.revision <= this.revision) continue;
      const prev = this.objects.get(ev.key);
      this.revision = ev.revision;
      if (ev.type === 'delete' && !prev) continue;
      const object = decodeObject(ev.value, ev.revision);
      const type = ev.type === 'delete' ? 'DELETED' : prev ? 'MODIFIED' : 'ADDED';
      const event: WatchEvent = { type, object };
      if (type === 'DELETED') {
        this.objects.delete(ev.key);
        this.keys.remove(ev.key);
      } else {
        this.objects.set(ev.key, { object, added: type === 'ADDED' ? event : undefined });
        if (!prev) this.keys.insert(ev.key);
      }
      const ce: CachedEvent = { revision: ev.revision, key: ev.key, type, object, prevObject: prev?.object, time: now, event };
      this.buffer.push(ce);
      for (const w of this.watchers) {
        if (!w.running || !ev.key.startsWith(w.prefix)) continue;
        const out = eventFor(ce, w.predicate);
        if (out) w.push(out);
      }
    }
    // progress: writes to other resources move the revision too
    if (revision > this.revision) this.revision = revision;
    this.wakeWaiters();
  }

  private onFeedError(err: Error): void {
    this.isReady = false;
    this.cancelFeed = undefined;
    const status = err instanceof StorageError && err.code === 'Compacted' ? 410 : 500;
    for (const w of [...this.watchers]) w.finish(errorEvent(status, status === 410 ? 'Expired' : 'InternalError', err.message));
    if (this.closed) return;
    // as upstream: re-list and start over; watchers re-establish themselves
    this.ready = new Promise((r) => setTimeout(r, 100)).then(() => this.init());
    this.ready.catch(() => undefined);
  }

  // ---- reads ----

  async get(key: string): Promise<KubeObject> {
    this.checkKey(key);
    const kv = await this.backend.get(key);
    if (!kv) throw new StorageError('KeyNotFound', key);
    return decodeKV(kv);
  }

  getCached(key: string): KubeObject | undefined {
    return this.isReady ? this.objects.get(key)?.object : undefined;
  }

  async count(prefix: string): Promise<number> {
    this.checkKey(prefix);
    await this.ready;
    const [from, to] = this.keys.range(prefix, prefixEnd(prefix));
    return to - from;
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    this.checkKey(prefix);
    await this.ready;
    const { limit, predicate } = opts;
    if (opts.continue) {
      const pos = decodeContinue(opts.continue, prefix);
      // nothing changed since the first page: the cache is that snapshot
      if (pos.revision === this.revision) return this.listCached(prefix, pos.startKey, limit, predicate);
      return listFromBackend(this.backend, prefix, { revision: pos.revision, startKey: pos.startKey, limit, predicate });
    }
    const rv = opts.resourceVersion;
    if (rv && rv !== '0') {
      const n = parseRevision(rv, prefix);
      const exact = opts.resourceVersionMatch === 'Exact' || (!opts.resourceVersionMatch && !!limit);
      if (exact) {
        if (n === this.revision) return this.listCached(prefix, prefix, limit, predicate);
        return listFromBackend(this.backend, prefix, { revision: n, limit, predicate });
      }
      await this.waitFor(n);
    } else if (!rv) {
      // a consistent read: catch up to everything acknowledged before it began
      await this.waitFor(await this.backend.currentRevision());
    }
    return this.listCached(prefix, prefix, limit, predicate);
  }

  private listCached(prefix: string, startKey: string, limit: number | undefined, predicate?: Predicate): ListResult {
    const [from, to] = this.keys.range(startKey < prefix ? prefix : startKey, prefixEnd(prefix));
    const items: KubeObject[] = [];
    const result: ListResult = { items, resourceVersion: String(this.revision) };
    let lastKey = '';
    for (let i = from; i < to; i++) {
      const key = this.keys.at(i);
      const obj = this.objects.get(key)!.object;
      if (predicate && !predicate(obj)) continue;
      if (limit && items.length === limit) {
        // another match exists: the client gets a continue token (upstream's page semantics)
        result.continue = encodeContinue(prefix, lastKey, this.revision);
        if (!predicate) result.remainingItemCount = to - i;
        break;
      }
      items.push(obj);
      lastKey = key;
    }
    return result;
  }

  // ---- writes (straight to the backend; the feed updates the cache before they resolve) ----

  async create(key: string, obj: KubeObject): Promise<KubeObject> {
    this.checkKey(key);
    const value = encodeObject(key, obj);
    const r = await this.backend.create(key, value);
    return this.written(key, value, r.revision);
  }

  async update(key: string, obj: KubeObject, pre?: Preconditions): Promise<KubeObject> {
    this.checkKey(key);
    const value = encodeObject(key, obj);
    const r = await this.backend.update(key, value, this.preconditions(key, pre));
    return this.written(key, value, r.revision);
  }

  /**
   * The object a write stored, for its caller: the feed has already decoded it
   * into the cache, and a copy of that is cheaper than parsing the JSON again.
   */
  private written(key: string, value: string, revision: number): KubeObject {
    const cached = this.objects.get(key)?.object;
    if (cached && cached.metadata.resourceVersion === String(revision)) return cloneJson(cached);
    return decodeObject(value, revision);
  }

  async delete(key: string, pre?: Preconditions): Promise<KubeObject> {
    this.checkKey(key);
    const r = await this.backend.delete(key, this.preconditions(key, pre));
    return decodeObject(r.value, r.revision);
  }

  private preconditions(key: string, pre?: Preconditions) {
    let modRevision: number | undefined;
    if (pre?.resourceVersion !== undefined && pre.resourceVersion !== '') {
      modRevision = Number(pre.resourceVersion);
      // a resourceVersion that is not a revision can never match
      if (!/^\d+$/.test(pre.resourceVersion)) throw new StorageError('Conflict', key);
    }
    return { modRevision, uid: pre?.uid || undefined };
  }

  // ---- watch ----

  watch(prefix: string, opts: WatchOptions = {}): Watch {
    this.checkKey(prefix);
    const rv = opts.resourceVersion;
    const from = rv && rv !== '0' ? parseRevision(rv, prefix) : undefined;
    const w = new CacheWatcher({
      prefix,
      predicate: opts.predicate,
      allowBookmarks: !!opts.allowBookmarks,
      capacity: this.opts.watcherCapacity,
      onEnd: (x) => this.removeWatcher(x),
    });
    // legacy watches from "" or "0" begin with the current state; sendInitialEvents says so explicitly
    const initial = opts.sendInitialEvents ?? from === undefined;
    const endBookmark = initial && opts.sendInitialEvents === true && !!opts.allowBookmarks;
    if (from !== undefined && !initial && this.isReady && from < this.buffer.oldestReplayable) {
      throw tooOld(prefix, from);
    }
    this.watchers.add(w);
    void this.startWatcher(w, { from, consistent: !rv, initial, endBookmark }).catch((e: Error) => {
      if (e instanceof StorageError && e.code === 'Compacted') w.finish(errorEvent(410, 'Expired', e.message));
      else if (e instanceof StorageError && e.code === 'TooNew') w.finish(errorEvent(504, 'Timeout', `Too large resource version: ${e.message}`));
      else w.finish(errorEvent(500, 'InternalError', e.message));
    });
    return w;
  }

  private async startWatcher(
    w: CacheWatcher,
    o: { from?: number; consistent: boolean; initial: boolean; endBookmark: boolean },
  ): Promise<void> {
    if (!this.isReady) await this.ready;
    if (o.from !== undefined) await this.waitFor(o.from);
    else if (o.consistent) await this.waitFor(await this.backend.currentRevision());
    if (w.ended) return;
    // from here to w.start() nothing yields, so no event can slip between snapshot and live
    let events: WatchEvent[];
    if (o.initial) {
      events = this.snapshot(w.prefix, w.predicate);
      if (o.endBookmark) events.push(bookmarkEvent(this.revision, { 'k8s.io/initial-events-end': 'true' }));
    } else if (o.from !== undefined) {
      if (o.from < this.buffer.oldestReplayable) throw tooOld(w.prefix, o.from);
      events = [];
      for (const ce of this.buffer.since(o.from)) {
        if (!ce.key.startsWith(w.prefix)) continue;
        const out = eventFor(ce, w.predicate);
        if (out) events.push(out);
      }
    } else {
      events = [];
    }
    w.start(events);
    if (w.allowBookmarks) this.scheduleBookmarks(w);
  }

  private snapshot(prefix: string, predicate?: Predicate): WatchEvent[] {
    const [from, to] = this.keys.range(prefix, prefixEnd(prefix));
    const out: WatchEvent[] = [];
    for (let i = from; i < to; i++) {
      const entry = this.objects.get(this.keys.at(i))!;
      if (predicate && !predicate(entry.object)) continue;
      out.push((entry.added ??= { type: 'ADDED', object: entry.object }));
    }
    return out;
  }

  private removeWatcher(w: CacheWatcher): void {
    this.watchers.delete(w);
  }

  private scheduleBookmarks(w: CacheWatcher): void {
    w.nextBookmark = Date.now() + this.jitteredInterval();
    if (this.bookmarkTimer) return;
    const tick = Math.max(10, Math.min(1000, this.opts.bookmarkIntervalMs / 4));
    this.bookmarkTimer = setInterval(() => this.sendBookmarks(), tick);
    this.bookmarkTimer.unref();
  }

  private sendBookmarks(): void {
    const now = Date.now();
    let shared: WatchEvent | undefined;
    let any = false;
    for (const w of this.watchers) {
      if (!w.allowBookmarks) continue;
      any = true;
      if (!w.running || now < w.nextBookmark) continue;
      // one bookmark object per tick, shared by every watcher it goes to
      w.push((shared ??= bookmarkEvent(this.revision)));
      w.nextBookmark = now + this.jitteredInterval();
    }
    if (!any) {
      clearInterval(this.bookmarkTimer);
      this.bookmarkTimer = undefined;
    }
  }

  private jitteredInterval(): number {
    return this.opts.bookmarkIntervalMs * (0.9 + Math.random() * 0.2);
  }

  // ---- freshness ----

  /** Resolves when the cache has reached revision; StorageError TooNew after the timeout. */
  private waitFor(revision: number): Promise<void> {
    if (this.revision >= revision) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        revision,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters = this.waiters.filter((x) => x !== waiter);
          reject(new StorageError('TooNew', this.prefix, `${revision}, current: ${this.revision}`));
        }, this.opts.freshnessTimeoutMs),
      };
      this.waiters.push(waiter);
    });
  }

  private wakeWaiters(): void {
    if (this.waiters.length === 0) return;
    const still: Waiter[] = [];
    for (const w of this.waiters) {
      if (w.revision <= this.revision) {
        clearTimeout(w.timer);
        w.resolve();
      } else still.push(w);
    }
    this.waiters = still;
  }

  // ---- lifecycle ----

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.cancelFeed?.();
    clearInterval(this.bookmarkTimer);
    for (const w of [...this.watchers]) w.finish();
    for (const x of this.waiters) {
      clearTimeout(x.timer);
      x.reject(new StorageError('Unavailable', this.prefix, 'storage closed'));
    }
    this.waiters = [];
  }

  private checkKey(key: string): void {
    if (this.closed) throw new StorageError('Unavailable', key, 'storage closed');
    if (!key.startsWith(this.prefix)) {
      throw new Error(`key ${key} is outside this store's prefix ${this.prefix}`);
    }
  }
}

function parseRevision(rv: string, key: string): number {
  const n = Number(rv);
  if (!/^\d+$/.test(rv) || !Number.isSafeInteger(n)) {
    // the API edge validates first; this is a backstop
    throw new StorageError('InvalidContinue', key, `invalid resourceVersion ${JSON.stringify(rv)}`);
  }
  return n;
}

function tooOld(prefix: string, revision: number): StorageError {
  return new StorageError('Compacted', prefix, `too old resource version: ${revision}`);
}
