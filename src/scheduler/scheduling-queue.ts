// The scheduling queue as upstream's PriorityQueue: an active heap ordered by
// priority (higher first) then by when the pod was queued; pods that did not fit
// wait in an unschedulable pool until a cluster event moves them back, after a
// per-pod back-off (1 s doubling to 10 s). A move requested while a pod is being
// scheduled sends that pod back rather than into the pool, so no event is missed.
export interface QueuedPod {
  key: string;
  priority: number;
  timestamp: number;
  attempts: number;
  /** the move count when this pod was popped */
  popCycle: number;
  /** it failed on other pods (affinity, spread): a pod being placed may make it fit */
  waitsOnPods?: boolean;
}

const INITIAL_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 10_000;
// upstream's podMaxInUnschedulablePodsDuration: retry whatever waited this long
const MAX_UNSCHEDULABLE_MS = 5 * 60_000;

export class SchedulingQueue {
  private readonly heap: QueuedPod[] = [];
  private readonly active = new Map<string, QueuedPod>();
  private readonly unschedulable = new Map<string, { pod: QueuedPod; since: number }>();
  private readonly backingOff = new Map<string, { pod: QueuedPod; timer: NodeJS.Timeout }>();
  private readonly inFlight = new Map<string, QueuedPod>();
  private waiters: Array<(p: QueuedPod | undefined) => void> = [];
  private moveCycle = 0;
  private closed = false;
  private readonly flushTimer: NodeJS.Timeout;

  constructor(private readonly now: () => number = Date.now) {
    this.flushTimer = setInterval(() => this.flushStale(), 30_000);
    this.flushTimer.unref();
  }

  /** A pending pod was seen (added or changed in a way that may make it fit). */
  add(key: string, priority: number): void {
    if (this.closed || this.active.has(key)) return;
    if (this.inFlight.has(key)) {
      // scheduled right now: make sure it is looked at again
      this.inFlight.get(key)!.popCycle = -1;
      return;
    }
    const prev = this.unschedulable.get(key)?.pod ?? this.backingOff.get(key)?.pod;
    this.forget(key);
    this.push({ key, priority, timestamp: prev?.timestamp ?? this.now(), attempts: prev?.attempts ?? 0, popCycle: 0 });
  }

  has(key: string): boolean {
    return this.active.has(key) || this.unschedulable.has(key) || this.backingOff.has(key) || this.inFlight.has(key);
  }

  /** The pod is gone or no longer pending. */
  delete(key: string): void {
    this.forget(key);
    if (this.active.delete(key)) {
      const i = this.heap.findIndex((p) => p.key === key);
      if (i >= 0) this.removeAt(i);
    }
  }

  pop(): Promise<QueuedPod | undefined> {
    if (this.closed) return Promise.resolve(undefined);
    const p = this.shift();
    if (p) return Promise.resolve(p);
    return new Promise((r) => this.waiters.push(r));
  }

  /** Scheduling finished (bound or being bound). */
  done(p: QueuedPod): void {
    this.inFlight.delete(p.key);
  }

  /** It fits nowhere now: wait for a cluster event (or retry at once if one came meanwhile). */
  unschedulableNow(p: QueuedPod, waitsOnPods = false): void {
    this.inFlight.delete(p.key);
    p.waitsOnPods = waitsOnPods;
    if (this.closed) return;
    p.attempts++;
    if (p.popCycle < this.moveCycle) this.backoff(p);
    else this.unschedulable.set(p.key, { pod: p, since: this.now() });
  }

  /** A transient error: try again after the back-off. */
  retry(p: QueuedPod): void {
    this.inFlight.delete(p.key);
    if (this.closed) return;
    p.attempts++;
    this.backoff(p);
  }

  /** Something changed that may make waiting pods fit (a node, a pod leaving). */
  moveAllToActive(): void {
    this.moveCycle++;
    for (const { pod } of this.unschedulable.values()) this.backoff(pod);
    this.unschedulable.clear();
  }

  /** A pod was placed on a node: only pods that failed on pod (anti-)affinity or spread may now fit. */
  movePodsWaitingOnPods(): void {
    if (this.unschedulable.size === 0) return;
    this.moveCycle++;
    for (const [k, { pod }] of this.unschedulable) {
      if (!pod.waitsOnPods) continue;
      this.unschedulable.delete(k);
      this.backoff(pod);
    }
  }

  get pending(): number {
    return this.heap.length + this.unschedulable.size + this.backingOff.size;
  }

  close(): void {
    this.closed = true;
    clearInterval(this.flushTimer);
    for (const b of this.backingOff.values()) clearTimeout(b.timer);
    this.backingOff.clear();
    for (const w of this.waiters) w(undefined);
    this.waiters = [];
  }

  private flushStale(): void {
    const now = this.now();
    for (const [k, u] of this.unschedulable) {
      if (now - u.since < MAX_UNSCHEDULABLE_MS) continue;
      this.unschedulable.delete(k);
      this.push(u.pod);
    }
  }

  private backoff(p: QueuedPod): void {
    this.unschedulable.delete(p.key);
    if (this.backingOff.has(p.key)) return;
    const ms = Math.min(MAX_BACKOFF_MS, INITIAL_BACKOFF_MS * 2 ** Math.max(0, p.attempts - 1));
    const timer = setTimeout(() => {
      this.backingOff.delete(p.key);
      this.push(p);
    }, ms);
    timer.unref();
    this.backingOff.set(p.key, { pod: p, timer });
  }

  private forget(key: string): void {
    this.unschedulable.delete(key);
    const b = this.backingOff.get(key);
    if (b) {
      clearTimeout(b.timer);
      this.backingOff.delete(key);
    }
  }

  private push(p: QueuedPod): void {
    if (this.closed || this.active.has(p.key) || this.inFlight.has(p.key)) return;
    const w = this.waiters.shift();
    if (w) {
      this.take(p);
      w(p);
      return;
    }
    this.active.set(p.key, p);
    this.heap.push(p);
    this.up(this.heap.length - 1);
  }

  private take(p: QueuedPod): void {
    p.popCycle = this.moveCycle;
    this.inFlight.set(p.key, p);
  }

  private shift(): QueuedPod | undefined {
    if (this.heap.length === 0) return undefined;
    const top = this.heap[0];
    this.removeAt(0);
    this.active.delete(top.key);
    this.take(top);
    return top;
  }

  private less(a: QueuedPod, b: QueuedPod): boolean {
    return a.priority !== b.priority ? a.priority > b.priority : a.timestamp < b.timestamp;
  }

  private removeAt(i: number): void {
    const last = this.heap.pop()!;
    if (i === this.heap.length) return;
    this.heap[i] = last;
    this.up(i);
    this.down(i);
  }

  private up(i: number): void {
    const h = this.heap;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(h[i], h[parent])) break;
      [h[i], h[parent]] = [h[parent], h[i]];
      i = parent;
    }
  }

  private down(i: number): void {
    const h = this.heap;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.less(h[l], h[m])) m = l;
      if (r < h.length && this.less(h[r], h[m])) m = r;
      if (m === i) return;
      [h[i], h[m]] = [h[m], h[i]];
      i = m;
    }
  }
}
