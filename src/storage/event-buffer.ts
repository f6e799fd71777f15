// The watch cache's recent history: a ring of committed events in revision order, so
// a watch from a recent resourceVersion replays from memory. It keeps at least
// `minEvents`, at most `maxEvents`, and in between drops events older than
// `historyMs` (upstream keeps roughly the last 75 s, sized between bounds).
import type { CachedEvent } from './cached-event.js';

export interface EventBufferOptions {
  minEvents?: number;
  maxEvents?: number;
  historyMs?: number;
}

export class EventBuffer {
  private ring: (CachedEvent | undefined)[];
  private head = 0; // index of the oldest event
  private length = 0;
  private readonly min: number;
  private readonly max: number;
  private readonly historyMs: number;
  /** Events after this revision are all in the buffer (a watch from here can replay). */
  oldestReplayable: number;

  constructor(startRevision: number, opts: EventBufferOptions = {}) {
    this.min = opts.minEvents ?? 1000;
    this.max = Math.max(this.min, opts.maxEvents ?? 10_000);
    this.historyMs = opts.historyMs ?? 75_000;
    this.ring = new Array(Math.min(this.min, 1024));
    this.oldestReplayable = startRevision;
  }

  get size(): number {
    return this.length;
  }

  push(ev: CachedEvent): void {
    this.evict(ev.time);
    if (this.length === this.ring.length) this.grow();
    this.ring[(this.head + this.length) % this.ring.length] = ev;
    this.length++;
  }

  /** Events with revision > after, oldest first. */
  since(after: number): CachedEvent[] {
    // binary search over the ring for the first revision > after
    let lo = 0;
    let hi = this.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.get(mid).revision <= after) lo = mid + 1;
      else hi = mid;
    }
    const out: CachedEvent[] = [];
    for (let i = lo; i < this.length; i++) out.push(this.get(i));
    return out;
  }

  private get(i: number): CachedEvent {
    return this.ring[(this.head + i) % this.ring.length]!;
  }

  private evict(now: number): void {
    while (this.length > 0 && (this.length >= this.max || (this.length >= this.min && now - this.get(0).time > this.historyMs))) {
      const old = this.get(0);
      this.ring[this.head] = undefined;
      this.head = (this.head + 1) % this.ring.length;
      this.length--;
      this.oldestReplayable = old.revision;
    }
  }

  private grow(): void {
    const next = new Array<CachedEvent | undefined>(Math.min(this.max, this.ring.length * 2));
    for (let i = 0; i < this.length; i++) next[i] = this.get(i);
    this.ring = next;
    this.head = 0;
  }
}
