// One watcher of a watch cache: the events it still has to deliver, as an async
// iterator. Initial events (a snapshot or a replay) are references to objects the
// cache holds anyway, so they are not bounded; live events are, and a watcher whose
// live queue overflows is terminated (after delivering what it has) so one slow
// client never holds up the others or grows memory, as upstream's cacher does.
import type { KubeObject } from '../api/object.js';
import type { Predicate, Watch, WatchEvent } from './store.js';

export interface CacheWatcherOptions {
  prefix: string;
  predicate?: Predicate;
  allowBookmarks: boolean;
  /** most undelivered live events before the watcher is terminated */
  capacity: number;
  /** called once when the watcher ends for any reason */
  onEnd: (w: CacheWatcher) => void;
}

type State = 'pending' | 'running' | 'draining' | 'stopped';

export class CacheWatcher implements Watch {
  readonly prefix: string;
  readonly predicate?: Predicate;
  readonly allowBookmarks: boolean;
  /** when the next periodic bookmark is due (ms) */
  nextBookmark = 0;
  /** true when it ended because it fell behind */
  overflowed = false;
  private state: State = 'pending';
  private initial: WatchEvent[] = [];
  private initialPos = 0;
  private queue: WatchEvent[] = [];
  private queueHead = 0;
  private waiter?: (r: IteratorResult<WatchEvent>) => void;

  constructor(private readonly opts: CacheWatcherOptions) {
    this.prefix = opts.prefix;
    this.predicate = opts.predicate;
    this.allowBookmarks = opts.allowBookmarks;
  }

  get running(): boolean {
    return this.state === 'running';
  }

  get ended(): boolean {
    return this.state === 'draining' || this.state === 'stopped';
  }

  /** Begins delivery: `initial` first, then whatever push() adds. */
  start(initial: WatchEvent[]): void {
    if (this.state !== 'pending') return;
    this.state = 'running';
    this.initial = initial;
    this.wake();
  }

  /** Adds a live event; terminates the watcher when it has fallen too far behind. */
  push(ev: WatchEvent): void {
    if (this.state !== 'running') return;
    if (this.queue.length - this.queueHead >= this.opts.capacity) {
      this.overflowed = true;
      this.finish();
      return;
    }
    this.queue.push(ev);
    this.wake();
  }

  /** Ends after the queued events, optionally with a last (ERROR) event. */
  finish(last?: WatchEvent): void {
    if (this.ended) return;
    if (last) this.queue.push(last);
    this.state = 'draining';
    this.opts.onEnd(this);
    this.wake();
  }

  stop(): void {
    if (this.state === 'stopped') return;
    const wasEnded = this.ended;
    this.state = 'stopped';
    this.initial = [];
    this.queue = [];
    this.queueHead = 0;
    if (!wasEnded) this.opts.onEnd(this);
    this.wake();
  }

  takeReady(): WatchEvent | undefined {
    return this.take();
  }

  [Symbol.asyncIterator](): AsyncIterator<WatchEvent> {
    return {
      next: () => {
        const ev = this.take();
        if (ev) return Promise.resolve({ value: ev, done: false });
        if (this.state === 'draining' || this.state === 'stopped') {
          this.state = 'stopped';
          return Promise.resolve({ value: undefined, done: true });
        }
        return new Promise((resolve) => (this.waiter = resolve));
      },
      return: () => {
        this.stop();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }

  private take(): WatchEvent | undefined {
    if (this.state === 'stopped' || this.state === 'pending') return undefined;
    if (this.initialPos < this.initial.length) {
      const ev = this.initial[this.initialPos];
      this.initial[this.initialPos++] = undefined as unknown as WatchEvent; // let it be collected
      if (this.initialPos === this.initial.length) {
        this.initial = [];
        this.initialPos = 0;
      }
      return ev;
    }
    if (this.queueHead < this.queue.length) {
      const ev = this.queue[this.queueHead++];
      // compact now and then instead of shifting on every event
      if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
        this.queue = this.queue.slice(this.queueHead);
        this.queueHead = 0;
      }
      return ev;
    }
    return undefined;
  }

  private wake(): void {
    const w = this.waiter;
    if (!w) return;
    const ev = this.take();
    if (ev) {
      this.waiter = undefined;
      w({ value: ev, done: false });
    } else if (this.state === 'draining' || this.state === 'stopped') {
      this.waiter = undefined;
      this.state = 'stopped';
      w({ value: undefined, done: true });
    }
  }
}

/** A Status object for an ERROR watch event, as upstream's cacher sends them. */
export function errorEvent(code: number, reason: string, message: string): WatchEvent {
  const object = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code } as unknown as KubeObject;
  return { type: 'ERROR', object };
}

export function bookmarkEvent(revision: number, annotations?: Record<string, string>): WatchEvent {
  const metadata: KubeObject['metadata'] = { resourceVersion: String(revision) };
  if (annotations) metadata.annotations = annotations;
  return { type: 'BOOKMARK', object: { metadata } };
}
