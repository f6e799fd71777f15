// The skeleton client-go's controllers share: informer handlers turn objects
// into keys on a rate-limited queue, and N workers call one idempotent sync(key).
// A controller extends it with its informers and its sync; nothing else here.
import type { KubeObject } from '../api/object.js';
import { keyOf, type Handlers, type Informer } from './informer.js';
import { runWorkers, WorkQueue } from './workqueue.js';

export interface QueueControllerOptions {
  /** the log line of a failed sync (e.g. "deployment sync failed") */
  failed: string;
  /** the field that carries the failed key in that line (e.g. "deployment") */
  keyField: string;
  /** workers when run() is given none */
  workers: number;
  /** retry back-off: first delay, then doubling up to the maximum */
  baseDelayMs: number;
  maxDelayMs: number;
  log: (msg: string, extra?: Record<string, unknown>) => void;
}

/** The same function for add, update (the new object) and delete. */
export function onEveryChange<T extends KubeObject>(fn: (o: T) => void): Handlers<T> {
  return { onAdd: fn, onUpdate: (_o, n) => fn(n), onDelete: fn };
}

/** The key of the object's controlling owner of that kind, if it has one. */
export function controllerKeyOf(o: KubeObject, kind: string): string | undefined {
  const owner = o.metadata.ownerReferences?.find((r) => r.controller && r.kind === kind);
  return owner ? `${o.metadata.namespace}/${owner.name}` : undefined;
}

export abstract class QueueController {
  protected readonly queue: WorkQueue;
  /** informers this controller made for itself: started by run(), synced before the workers begin, stopped by stop() */
  protected readonly ownInformers: Informer[] = [];
  private workers?: Promise<void[]>;

  constructor(private readonly loop: QueueControllerOptions) {
    this.queue = new WorkQueue(loop.baseDelayMs, loop.maxDelayMs);
  }

  /** Brings one key's objects to what they should be; safe to run again. */
  protected abstract sync(key: string): Promise<void>;

  /** Queues the object's own key. */
  protected readonly enqueue = (o: KubeObject): void => this.queue.add(keyOf(o));

  /** Queues the key of the object's controlling owner of that kind. */
  protected enqueueController(kind: string): (o: KubeObject) => void {
    return (o) => {
      const key = controllerKeyOf(o, kind);
      if (key) this.queue.add(key);
    };
  }

  run(workers = this.loop.workers): void {
    const start = () => runWorkers(this.queue, workers, (k) => this.sync(k), (k, e) => this.loop.log(this.loop.failed, { [this.loop.keyField]: k, error: String(e) }));
    if (this.ownInformers.length === 0) {
      this.workers = start();
      return;
    }
    for (const inf of this.ownInformers) inf.start();
    this.workers = (async () => {
      await Promise.all(this.ownInformers.map((inf) => inf.waitForSync()));
      return start();
    })();
  }

  async stop(): Promise<void> {
    this.queue.shutDown();
    for (const inf of this.ownInformers) inf.stop();
    await this.workers;
  }
}
