// The SQLite backend: writes go to the writer thread in group-committed batches
// (everything queued while the previous batch was being fsynced goes into the next
// one), reads run here on a read-only connection. After a batch is durable its
// events are handed straight to the watchers (the watch caches), then the writers'
// promises resolve, so a cache has seen every write that has been acknowledged.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { StorageError } from '../store.js';
import {
  prefixEnd,
  type Backend,
  type BackendEvent,
  type BackendWatchHandler,
  type DeleteResult,
  type RangeOptions,
  type RangeResult,
  type RawKV,
  type WritePreconditions,
  type WriteResult,
} from '../backend.js';
import { openReader } from './sqlite-schema.js';
import { SqliteReader } from './sqlite-reader.js';
import type { OpResult, WriteOp } from './sqlite-writer.js';
import type { WorkerReply, WorkerRequest } from './sqlite-writer-worker.js';
import { startWorker } from './worker-loader.js';

export interface SqliteBackendOptions {
  /** database file; its directory is created */
  path: string;
  /** most writes in one transaction (bounds a batch's latency) */
  maxBatch?: number;
  /** revisions compacted per transaction, so writes interleave with compaction */
  compactChunk?: number;
}

interface Pending {
  op: WriteOp;
  resolve: (r: OpResult) => void;
  reject: (e: Error) => void;
}

interface Subscriber {
  prefix: string;
  end: string;
  /** highest revision delivered; guards against a replay and a dispatch overlapping */
  revision: number;
  handler: BackendWatchHandler;
}

export class SqliteBackend implements Backend {
  readonly name = 'sqlite';
  private queue: Pending[] = [];
  private inFlight: Pending[] | undefined;
  private flushScheduled = false;
  private acked = 0;
  private readonly requests = new Map<number, { resolve: (m: WorkerReply) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private readonly subscribers = new Set<Subscriber>();
  private closed = false;
  /** writes in each committed batch, for benchmarks and metrics */
  readonly batchSizes: number[] = [];

  private constructor(
    private readonly worker: Worker,
    private readonly reader: SqliteReader,
    private readonly readerDb: ReturnType<typeof openReader>,
    private readonly opts: Required<SqliteBackendOptions>,
    revision: number,
  ) {
    this.acked = revision;
    worker.on('message', (m: WorkerReply) => this.onReply(m));
    worker.on('error', (e) => this.fail(e));
    worker.on('exit', () => this.fail(new Error('sqlite writer thread exited')));
  }

  static async open(options: SqliteBackendOptions): Promise<SqliteBackend> {
    const opts = { maxBatch: 1000, compactChunk: 2000, ...options };
    mkdirSync(dirname(opts.path), { recursive: true });
    const worker = startWorker(import.meta.url, 'sqlite-writer-worker', { workerData: { path: opts.path } });
    const ready = await new Promise<Extract<WorkerReply, { t: 'ready' }>>((resolve, reject) => {
      const onMessage = (m: WorkerReply) => {
        if (m.t !== 'ready') return;
        worker.off('error', reject);
        worker.off('message', onMessage);
        resolve(m);
      };
      worker.on('message', onMessage);
      worker.once('error', reject);
    });
    const readerDb = openReader(opts.path);
    return new SqliteBackend(worker, new SqliteReader(readerDb), readerDb, opts, ready.revision);
  }

  // ---- reads ----

  async get(key: string): Promise<RawKV | undefined> {
    this.checkOpen(key);
    return this.reader.get(key);
  }

  async range(prefix: string, opts?: RangeOptions): Promise<RangeResult> {
    this.checkOpen(prefix);
    return this.reader.range(prefix, opts);
  }

  async count(prefix: string, opts?: Omit<RangeOptions, 'limit'>): Promise<number> {
    this.checkOpen(prefix);
    return this.reader.count(prefix, opts);
  }

  async currentRevision(): Promise<number> {
    return this.acked;
  }

  async compactedRevision(): Promise<number> {
    this.checkOpen('');
    return this.reader.meta().compactRevision;
  }

  // ---- writes ----

  async create(key: string, value: string): Promise<WriteResult> {
    const r = await this.write({ op: 'create', key, value });
    return { revision: r.revision, createRevision: r.createRevision };
  }

  async update(key: string, value: string, pre: WritePreconditions = {}): Promise<WriteResult> {
    const r = await this.write({ op: 'update', key, value, modRevision: pre.modRevision, uid: pre.uid });
    return { revision: r.revision, createRevision: r.createRevision };
  }

  async delete(key: string, pre: WritePreconditions = {}): Promise<DeleteResult> {
    const r = await this.write({ op: 'delete', key, modRevision: pre.modRevision, uid: pre.uid });
    return { revision: r.revision, createRevision: r.createRevision, value: r.value! };
  }

  private write(op: WriteOp): Promise<Extract<OpResult, { ok: true }>> {
    this.checkOpen(op.key);
    return new Promise((resolve, reject) => {
      const done = (r: OpResult) => (r.ok ? resolve(r) : reject(new StorageError(r.code, op.key)));
      this.queue.push({ op, resolve: done, reject });
      if (!this.inFlight && !this.flushScheduled) {
        // wait for the rest of this turn's writes: they share one transaction and fsync
        this.flushScheduled = true;
        setImmediate(() => {
          this.flushScheduled = false;
          this.flush();
        });
      }
    });
  }

  private flush(): void {
    if (this.inFlight || this.queue.length === 0 || this.closed) return;
    const batch = this.queue.splice(0, this.opts.maxBatch);
    this.inFlight = batch;
    this.post({ t: 'batch', id: 0, ops: batch.map((p) => p.op) });
  }

  private onBatch(results: OpResult[], revision: number): void {
    const batch = this.inFlight!;
    this.inFlight = undefined;
    this.batchSizes.push(batch.length);
    if (this.batchSizes.length > 10000) this.batchSizes.splice(0, 5000);
    const events: BackendEvent[] = [];
    results.forEach((r, i) => {
      if (!r.ok) return;
      const op = batch[i].op;
      events.push({
        type: op.op === 'delete' ? 'delete' : 'put',
        key: op.key,
        revision: r.revision,
        createRevision: r.createRevision,
        value: op.op === 'delete' ? r.value! : op.value,
      });
    });
    this.acked = Math.max(this.acked, revision);
    this.dispatch(events, this.acked);
    results.forEach((r, i) => batch[i].resolve(r));
    // writes that queued up during this batch's fsync form the next batch
    this.flush();
  }

  // ---- watch ----

  watch(prefix: string, afterRevision: number, handler: BackendWatchHandler): () => void {
    this.checkOpen(prefix);
    const sub: Subscriber = { prefix, end: prefixEnd(prefix), revision: afterRevision, handler };
    // replay what is committed and acknowledged, then join the live dispatch; both
    // happen in this turn, so no acknowledged write falls between them
    const past = this.reader.log(prefix, afterRevision, this.acked);
    if (past.length || this.acked > afterRevision) {
      sub.revision = Math.max(afterRevision, this.acked);
      handler.onEvents(past, sub.revision);
    }
    this.subscribers.add(sub);
    return () => this.subscribers.delete(sub);
  }

  private dispatch(events: BackendEvent[], revision: number): void {
    for (const sub of this.subscribers) {
      if (revision <= sub.revision) continue;
      const mine = events.filter((e) => e.revision > sub.revision && e.key >= sub.prefix && e.key < sub.end);
      sub.revision = revision;
      try {
        sub.handler.onEvents(mine, revision);
      } catch (e) {
        // one broken consumer must not starve the others
        this.subscribers.delete(sub);
        sub.handler.onError(e as Error);
      }
    }
  }

  // ---- compaction and lifecycle ----

  async compact(revision: number): Promise<void> {
    this.checkOpen('');
    await this.request({ t: 'compact', id: 0, revision, chunk: this.opts.compactChunk });
  }

  /** Files on disk, for benchmarks and metrics. */
  get path(): string {
    return this.opts.path;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // let queued writes finish: they may already be promised to callers
    while (this.inFlight || this.queue.length) {
      this.flush();
      await new Promise((r) => setTimeout(r, 1));
    }
    this.closed = true;
    const subs = [...this.subscribers];
    this.subscribers.clear();
    for (const s of subs) s.handler.onError(new StorageError('Unavailable', s.prefix, 'storage closed'));
    this.readerDb.close();
    const id = this.nextId++;
    const closedReply = new Promise<WorkerReply>((resolve, reject) => this.requests.set(id, { resolve, reject }));
    this.worker.postMessage({ t: 'close', id } satisfies WorkerRequest);
    await closedReply.catch(() => undefined);
    await this.worker.terminate();
  }

  private request(req: WorkerRequest): Promise<WorkerReply> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.requests.set(id, { resolve, reject });
      this.post({ ...req, id });
    });
  }

  private post(req: WorkerRequest): void {
    this.worker.postMessage(req);
  }

  private onReply(m: WorkerReply): void {
    if (m.t === 'ready') return;
    if (m.t === 'batch') return this.onBatch(m.results, m.revision);
    if (m.t === 'error' && m.id === 0) {
      // the whole batch rolled back: nothing was written
      const batch = this.inFlight ?? [];
      this.inFlight = undefined;
      for (const p of batch) p.reject(new StorageError('Unavailable', p.op.key, m.message));
      this.flush();
      return;
    }
    const req = this.requests.get(m.id);
    if (!req) return;
    this.requests.delete(m.id);
    if (m.t === 'error') req.reject(new StorageError('Unavailable', '', m.message));
    else req.resolve(m);
  }

  private fail(e: Error): void {
    if (this.closed) return;
    this.closed = true;
    const err = new StorageError('Unavailable', '', e.message);
    for (const p of [...(this.inFlight ?? []), ...this.queue]) p.reject(err);
    this.inFlight = undefined;
    this.queue = [];
    for (const r of this.requests.values()) r.reject(err);
    this.requests.clear();
    for (const s of this.subscribers) s.handler.onError(err);
    this.subscribers.clear();
  }

  private checkOpen(key: string): void {
    if (this.closed) throw new StorageError('Unavailable', key, 'storage closed');
  }
}
