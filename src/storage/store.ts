// The storage contract, shaped like upstream's k8s.io/apiserver/pkg/storage.Interface.
// Storage knows nothing of kinds: it keeps JSON objects under string keys, stamps
// metadata.resourceVersion (the store's global revision at the object's last write),
// and serves list/watch with resourceVersion semantics. Everything above storage/
// uses only this file; which backend runs (SQLite, etcd) is invisible to it.
import type { KubeObject } from '../api/object.js';

export type StorageErrorCode =
  | 'KeyNotFound'
  | 'KeyExists'
  | 'Conflict' // precondition (resourceVersion or uid) failed
  | 'Compacted' // requested revision is older than the compaction horizon -> 410
  | 'TooLarge' // value larger than the backend accepts -> 413
  | 'TooNew' // requested revision is newer than the store has -> 504 Timeout upstream
  | 'InvalidContinue' // malformed continue token -> 400
  | 'Unavailable';

export class StorageError extends Error {
  constructor(
    readonly code: StorageErrorCode,
    readonly key: string,
    message?: string,
  ) {
    super(message ?? `${code}: ${key}`);
    this.name = 'StorageError';
  }
}

export interface Preconditions {
  /** metadata.resourceVersion the current object must have */
  resourceVersion?: string;
  /** metadata.uid the current object must have */
  uid?: string;
}

/** Filters objects for list and watch (label and field selectors); applied before limit. */
export type Predicate = (obj: KubeObject) => boolean;

export interface ListOptions {
  /** As the client sent it: undefined/'' = most recent (consistent), '0' = any (cache ok), 'N'. */
  resourceVersion?: string;
  /** 'NotOlderThan' | 'Exact' (upstream's resourceVersionMatch); only with resourceVersion set. */
  resourceVersionMatch?: 'NotOlderThan' | 'Exact';
  limit?: number;
  /** Opaque token produced by a previous list's `continue`. */
  continue?: string;
  predicate?: Predicate;
  /** When true, only keys directly under the prefix with exactly this one more segment; default is recursive. */
  // (kept simple: all keys starting with prefix are included)
}

export interface ListResult {
  items: KubeObject[];
  /** the revision the list is consistent at */
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchEvent {
  type: WatchEventType;
  /** For DELETED: the last state, with resourceVersion = the deletion revision.
   *  For BOOKMARK: { kind, apiVersion absent, metadata: { resourceVersion, annotations? } }.
   *  For ERROR: a Status object. Never mutate: shared by every watcher. */
  object: KubeObject;
  /** Cache slot the API edge may use to serialize an event once for all watchers. */
  encoded?: Map<string, Buffer>;
}

export interface WatchOptions {
  /** undefined/'' = initial ADDED events for current state, then changes;
   *  '0' = same, from the cache's state; 'N' = only changes after revision N (410 if compacted). */
  resourceVersion?: string;
  predicate?: Predicate;
  /** Send BOOKMARK events periodically (and the initial-events-end bookmark). */
  allowBookmarks?: boolean;
  /** upstream's sendInitialEvents: initial ADDED events, then a BOOKMARK annotated
   *  "k8s.io/initial-events-end": "true". */
  sendInitialEvents?: boolean;
}

export interface Watch {
  /** Events in revision order. Ends when stop() is called or the store closes. */
  [Symbol.asyncIterator](): AsyncIterator<WatchEvent>;
  /** The next event if one is queued now (no waiting), for writers that send what is ready in one go. */
  takeReady?(): WatchEvent | undefined;
  stop(): void;
}

/** One resource's storage (e.g. prefix "/registry/pods/"); keys are full keys under it. */
export interface ResourceStore {
  readonly prefix: string;
  get(key: string): Promise<KubeObject>; // throws KeyNotFound
  /**
   * The cache's copy, as upstream's listers read: may trail the latest write a
   * little, undefined when not cached (or the cache is not ready). Shared: never
   * modify it. For admission checks that fall back to get() when it is missing.
   */
  getCached(key: string): KubeObject | undefined;
  /** `prefix` must start with this store's prefix (e.g. a namespace: "/registry/pods/default/"). */
  list(prefix: string, opts?: ListOptions): Promise<ListResult>;
  /** Throws KeyExists. Returns the stored object (resourceVersion stamped). */
  create(key: string, obj: KubeObject): Promise<KubeObject>;
  /** Compare-and-swap on preconditions; throws KeyNotFound / Conflict. */
  update(key: string, obj: KubeObject, pre?: Preconditions): Promise<KubeObject>;
  /** Throws KeyNotFound / Conflict. Returns the deleted object with the deletion revision. */
  delete(key: string, pre?: Preconditions): Promise<KubeObject>;
  watch(prefix: string, opts?: WatchOptions): Watch;
  /** Number of objects under prefix (for remainingItemCount and metrics). */
  count(prefix: string): Promise<number>;
}

export interface Storage {
  /** 'sqlite' | 'etcd'; for /metrics and logs only, never for behaviour above storage/. */
  readonly backend: string;
  /** The per-resource store (watch-cached). Same prefix -> same instance. */
  resource(prefix: string): ResourceStore;
  /** The store's current global revision. */
  currentRevision(): Promise<number>;
  close(): Promise<void>;
}
