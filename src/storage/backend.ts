// The key-value contract under the watch cache, shaped like etcd v3's: a global
// revision, MVCC reads at a revision, compare-and-swap writes, compaction, and a
// watch that replays the log from a revision. SQLite implements it in-process; an
// etcd backend maps it one-to-one onto Range/Txn/Watch/Compact. Values are the JSON
// text of objects without metadata.resourceVersion (the revision stands in for it).

export interface RawKV {
  key: string;
  value: string;
  /** revision of the key's last write (the object's resourceVersion) */
  modRevision: number;
  /** revision at which the key was (last) created */
  createRevision: number;
}

export interface BackendEvent {
  type: 'put' | 'delete';
  key: string;
  /** revision of this write */
  revision: number;
  createRevision: number;
  /** put: the new value; delete: the last value before deletion */
  value: string;
}

export interface RangeOptions {
  /** read at this exact revision; 0 or undefined = current */
  revision?: number;
  /** first key to return (inclusive); must lie inside the prefix */
  startKey?: string;
  limit?: number;
}

export interface RangeResult {
  kvs: RawKV[];
  /** the revision the read is consistent at */
  revision: number;
  /** more keys follow the last one returned */
  more: boolean;
}

export interface WriteResult {
  revision: number;
  createRevision: number;
}

export interface DeleteResult extends WriteResult {
  /** the value the key held before the delete */
  value: string;
}

export interface WritePreconditions {
  /** the key's modRevision must equal this */
  modRevision?: number;
  /** the stored object's metadata.uid must equal this */
  uid?: string;
}

export interface BackendWatchHandler {
  /** Events in revision order, then the store revision they bring the watcher to.
   *  Called with no events as a progress notification (other prefixes were written). */
  onEvents(events: BackendEvent[], revision: number): void;
  /** The watch cannot continue (e.g. Compacted); no more calls follow. */
  onError(err: Error): void;
}

export interface Backend {
  readonly name: string;
  get(key: string): Promise<RawKV | undefined>;
  range(prefix: string, opts?: RangeOptions): Promise<RangeResult>;
  /** Keys under prefix (at revision, from startKey); for remainingItemCount. */
  count(prefix: string, opts?: Omit<RangeOptions, 'limit'>): Promise<number>;
  /** Throws StorageError KeyExists. */
  create(key: string, value: string): Promise<WriteResult>;
  /** Throws StorageError KeyNotFound / Conflict. */
  update(key: string, value: string, pre?: WritePreconditions): Promise<WriteResult>;
  /** Throws StorageError KeyNotFound / Conflict. */
  delete(key: string, pre?: WritePreconditions): Promise<DeleteResult>;
  /** Replays writes under prefix after `afterRevision`, then streams new ones.
   *  Throws (or reports through onError) Compacted when afterRevision is compacted. */
  watch(prefix: string, afterRevision: number, handler: BackendWatchHandler): () => void;
  /** Revision of the newest acknowledged write. */
  currentRevision(): Promise<number>;
  /** Oldest revision still readable. */
  compactedRevision(): Promise<number>;
  /** Drops history older than revision (reads and watches below it fail with Compacted). */
  compact(revision: number): Promise<void>;
  close(): Promise<void>;
}

/** First key after every key that starts with prefix (etcd's range end for a prefix). */
export function prefixEnd(prefix: string): string {
  for (let i = prefix.length - 1; i >= 0; i--) {
    const c = prefix.charCodeAt(i);
    if (c < 0xffff) return prefix.slice(0, i) + String.fromCharCode(c + 1);
  }
  return '\uffff';
}
