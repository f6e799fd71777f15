// A shared informer as client-go's reflector + store: list, then watch from the
// list's resourceVersion (with bookmarks); relist after 410 Gone or a broken
// watch; a cache indexed by key and namespace; handlers for add/update/delete.
import type { KubeObject } from '../api/object.js';
import { resourcePath, type ResourceRef, type RestClient } from './rest-client.js';

export interface Handlers<T extends KubeObject> {
  onAdd?(obj: T): void;
  onUpdate?(oldObj: T, newObj: T): void;
  onDelete?(obj: T): void;
}

/**
 * Drops metadata.managedFields, which a node's consumers never read: a third
 * or more of a small object's fields. Writes of such an object keep the stored
 * managedFields (the server reads ownership from the stored object).
 */
export function stripManagedFields<T extends KubeObject>(obj: T): T {
  if (obj.metadata.managedFields) delete obj.metadata.managedFields;
  return obj;
}

export function keyOf(obj: KubeObject): string {
  return obj.metadata.namespace ? `${obj.metadata.namespace}/${obj.metadata.name}` : obj.metadata.name!;
}

const METADATA_ONLY = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json';
const METADATA_WATCH = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json';

export class Informer<T extends KubeObject = KubeObject> {
  private readonly cache = new Map<string, T>();
  private readonly handlers: Handlers<T>[] = [];
  private synced = false;
  private stopped = false;
  private abortWatch?: () => void;
  private syncWaiters: Array<() => void> = [];
  private running?: Promise<void>;

  constructor(
    private readonly client: RestClient,
    readonly resource: ResourceRef,
    private readonly opts: {
      namespace?: string;
      metadataOnly?: boolean;
      onError?: (e: unknown) => void;
      fieldSelector?: string;
      labelSelector?: string;
      /** applied to every object before it is cached, as client-go's SetTransform (e.g. stripManagedFields) */
      transform?: (obj: T) => T;
    } = {},
  ) {}

  addHandlers(h: Handlers<T>): void {
    this.handlers.push(h);
    // late joiners see the current state as adds, as client-go does
    if (this.synced) for (const o of this.cache.values()) h.onAdd?.(o);
  }

  start(): void {
    this.running ??= this.run();
  }

  hasSynced(): boolean {
    return this.synced;
  }

  waitForSync(): Promise<void> {
    if (this.synced) return Promise.resolve();
    return new Promise((r) => this.syncWaiters.push(r));
  }

  get(key: string): T | undefined {
    return this.cache.get(key);
  }

  list(namespace?: string): T[] {
    const all = [...this.cache.values()];
    return namespace === undefined ? all : all.filter((o) => o.metadata.namespace === namespace);
  }

  stop(): void {
    this.stopped = true;
    this.abortWatch?.();
  }

  private async run(): Promise<void> {
    let backoff = 100;
    while (!this.stopped) {
      try {
        const rv = await this.relist();
        backoff = 100;
        await this.watchFrom(rv);
      } catch (e) {
        if (this.stopped) return;
        this.opts.onError?.(e);
        await new Promise((r) => setTimeout(r, backoff).unref());
        backoff = Math.min(backoff * 2, 30_000);
      }
    }
  }

  private async relist(): Promise<string> {
    const list = await this.client.list<T>(this.resource, this.opts.namespace, this.selectorQuery(), this.opts.metadataOnly ? METADATA_ONLY : undefined);
    const seen = new Set<string>();
    const transform = this.opts.transform;
    for (const item of list.items) {
      const obj = transform ? transform(item as T) : (item as T);
      const key = keyOf(obj);
      seen.add(key);
      const old = this.cache.get(key);
      this.cache.set(key, obj);
      if (!old) this.emit('add', obj);
      else if (old.metadata.resourceVersion !== obj.metadata.resourceVersion) this.emit('update', obj, old);
    }
    for (const [key, old] of this.cache) {
      if (!seen.has(key)) {
        this.cache.delete(key);
        this.emit('delete', old);
      }
    }
    if (!this.synced) {
      this.synced = true;
      for (const w of this.syncWaiters) w();
      this.syncWaiters = [];
    }
    return list.metadata.resourceVersion ?? '0';
  }

  private async watchFrom(rv: string): Promise<void> {
    let current = rv;
    while (!this.stopped) {
      const sel = this.selectorQuery();
      const path = `${resourcePath(this.resource, this.opts.namespace)}?watch=1&allowWatchBookmarks=true&resourceVersion=${current}&timeoutSeconds=${300 + Math.floor(Math.random() * 300)}${sel ? `&${sel}` : ''}`;
      const w = this.client.watch<T>(path, this.opts.metadataOnly ? METADATA_WATCH : undefined);
      this.abortWatch = w.abort;
      for await (const ev of w.events) {
        if (ev.type === 'ERROR') {
          // 410 Gone and other errors: start over with a fresh list
          throw new Error(`watch error: ${(ev.object as any)?.message ?? 'unknown'}`);
        }
        current = ev.object.metadata.resourceVersion ?? current;
        if (ev.type === 'BOOKMARK') continue;
        const obj = this.opts.transform ? this.opts.transform(ev.object) : ev.object;
        const key = keyOf(obj);
        const old = this.cache.get(key);
        if (ev.type === 'DELETED') {
          this.cache.delete(key);
          this.emit('delete', obj);
        } else {
          this.cache.set(key, obj);
          if (old) this.emit('update', obj, old);
          else this.emit('add', obj);
        }
      }
    }
  }

  private selectorQuery(): string {
    const q = new URLSearchParams();
    if (this.opts.fieldSelector) q.set('fieldSelector', this.opts.fieldSelector);
    if (this.opts.labelSelector) q.set('labelSelector', this.opts.labelSelector);
    return q.toString();
  }

  private emit(kind: 'add' | 'update' | 'delete', obj: T, old?: T): void {
    for (const h of this.handlers) {
      try {
        if (kind === 'add') h.onAdd?.(obj);
        else if (kind === 'update') h.onUpdate?.(old!, obj);
        else h.onDelete?.(obj);
      } catch (e) {
        this.opts.onError?.(e);
      }
    }
  }
}

/** One informer per resource, shared by every consumer. */
export class SharedInformerFactory {
  private readonly informers = new Map<string, Informer>();

  constructor(
    private readonly client: RestClient,
    private readonly onError?: (e: unknown) => void,
  ) {}

  informerFor(r: ResourceRef, metadataOnly = false): Informer {
    const key = `${r.group}/${r.version}/${r.plural}/${metadataOnly ? 'meta' : 'full'}`;
    let inf = this.informers.get(key);
    if (!inf) {
      inf = new Informer(this.client, r, { metadataOnly, onError: this.onError });
      this.informers.set(key, inf);
    }
    return inf;
  }

  start(): void {
    for (const i of this.informers.values()) i.start();
  }

  async waitForSync(): Promise<void> {
    await Promise.all([...this.informers.values()].map((i) => i.waitForSync()));
  }

  stop(): void {
    for (const i of this.informers.values()) i.stop();
  }
}
