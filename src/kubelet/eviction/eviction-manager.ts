// The kubelet's eviction manager: every monitoring interval (upstream's 10 s)
// it evicts pods that outgrew their local storage limits, and, when a hard
// threshold is met (or a soft one has been for its grace period), ranks the
// running pods for the starved resource and kills the first it may — one pod
// per interval, so the next observation sees what that freed.
import type { KubeObject } from '../../api/object.js';
import { thresholdsMet, thresholdValue, type Observation, type Signal, type Threshold } from '../eviction-thresholds.js';
import type { ActivePod } from '../kubelet.js';
import { evictionMessage, EVICTED_REASON } from './messages.js';
import { hasStorageLimits, localStorageViolation } from './local-storage.js';
import { isCriticalPod, rankForEviction, resourceOf, type Candidate, type PodUsage } from './ranking.js';
import type { SoftThreshold } from './soft-thresholds.js';

export interface EvictionManagerOptions {
  nodeName: string;
  hard: Threshold[];
  soft?: SoftThreshold[];
  /** termination grace for soft evictions (upstream's --eviction-max-pod-grace-period); negative: the pod's own */
  maxPodGraceSeconds?: number;
  /** how often it looks (upstream's 10 s) */
  intervalMs?: number;
  observe: () => Partial<Record<Signal, Observation>>;
  pods: () => ActivePod[];
  measure: (p: ActivePod) => Promise<PodUsage>;
  evict: (key: string, graceSeconds: number, reason: string, message: string, conditions: Array<Record<string, unknown>>) => Promise<boolean>;
  event: (obj: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string) => void;
  log: (msg: string, extra?: Record<string, unknown>) => void;
  /**
   * Node-level reclaim before any pod is evicted for a disk signal (upstream's image and
   * container GC); the thresholds are observed again after it.
   */
  reclaimDisk?: () => Promise<unknown>;
  /** told the thresholds met at every pass, so node conditions see pressure as soon as it is acted on */
  onThresholdsMet?: (met: Threshold[], now: number) => void;
}

export class EvictionManager {
  /** when each threshold was first seen met, for soft grace periods */
  private readonly firstObserved = new Map<Threshold, number>();
  private timer?: NodeJS.Timeout;
  private stopped = false;

  constructor(private readonly opts: EvictionManagerOptions) {}

  start(): void {
    const every = this.opts.intervalMs ?? 10_000;
    const loop = () => {
      this.timer = setTimeout(() => {
        void this.synchronize()
          .catch((e) => this.opts.log('eviction manager: failed to synchronize', { error: String(e) }))
          .finally(() => {
            if (!this.stopped) loop();
          });
      }, every);
    };
    loop();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  /** One pass; returns the keys of the pods it evicted. */
  async synchronize(now = Date.now()): Promise<string[]> {
    const thresholds: Threshold[] = [...this.opts.hard, ...(this.opts.soft ?? [])];
    const observed = this.opts.observe();
    const met = thresholdsMet(thresholds, observed);
    this.opts.onThresholdsMet?.(met, now);
    for (const t of [...this.firstObserved.keys()]) if (!met.includes(t)) this.firstObserved.delete(t);
    for (const t of met) if (!this.firstObserved.has(t)) this.firstObserved.set(t, now);
    const due = met.filter((t) => now - this.firstObserved.get(t)! >= ((t as SoftThreshold).gracePeriodMs ?? 0));

    // pods are measured only when something depends on it: storage limits every pass, everyone under pressure
    const active = this.opts.pods().filter((p) => due.length > 0 || hasStorageLimits(p.pod));
    const candidates: Array<Candidate & { key: string }> = [];
    for (const p of active) {
      let usage: PodUsage | undefined;
      try {
        usage = await this.opts.measure(p);
      } catch (e) {
        this.opts.log('eviction manager: pod not measured', { pod: p.key, error: String(e) });
      }
      candidates.push({ key: p.key, pod: p.pod, usage });
    }

    // a pod over its own storage limits goes whatever the node's state; if any did, that is this pass
    const evicted: string[] = [];
    for (const c of candidates) {
      const why = c.usage && localStorageViolation(c.pod, c.usage);
      if (why && (await this.evictPod(c, 0, why, []))) evicted.push(c.key);
    }
    if (evicted.length || due.length === 0) return evicted;

    // memory before everything else, as upstream's byEvictionPriority
    const toReclaim = [...due].sort((a, b) => Number(b.signal === 'memory.available') - Number(a.signal === 'memory.available'))[0]!;
    const resource = resourceOf(toReclaim.signal);
    this.opts.log('eviction manager: attempting to reclaim', { resource });
    this.opts.event({ apiVersion: 'v1', kind: 'Node', metadata: { name: this.opts.nodeName, uid: this.opts.nodeName } }, 'Warning', 'EvictionThresholdMet', `Attempting to reclaim ${resource}`);
    if (await this.reclaimNodeLevel(toReclaim, thresholds)) {
      this.opts.log('eviction manager: able to reduce resource pressure without evicting pods', { resource });
      return evicted;
    }
    if (candidates.length === 0) {
      this.opts.log('eviction manager: eviction thresholds have been met, but no pods are active to evict');
      return evicted;
    }
    const info = thresholdInfo(resource, due, observed);
    const soft = (toReclaim as SoftThreshold).gracePeriodMs !== undefined;
    const ranked = rankForEviction(toReclaim.signal, candidates) as Array<Candidate & { key: string }>;
    this.opts.log('eviction manager: pods ranked for eviction', { pods: ranked.map((c) => c.key) });
    for (const c of ranked) {
      const message = evictionMessage(resource, c.pod, c.usage, info);
      const grace = soft ? this.softGrace(c.pod) : 0;
      if (await this.evictPod(c, grace, message, [{ type: 'DisruptionTarget', status: 'True', reason: 'TerminationByKubelet', message }])) return [c.key];
    }
    this.opts.log('eviction manager: unable to evict any pods from the node');
    return evicted;
  }

  /** true when, after the node's own reclaim, no threshold is met any more (grace periods aside) */
  private async reclaimNodeLevel(t: Threshold, thresholds: Threshold[]): Promise<boolean> {
    const disk = t.signal.startsWith('nodefs.') || t.signal.startsWith('imagefs.');
    if (!disk || !this.opts.reclaimDisk) return false;
    try {
      await this.opts.reclaimDisk();
    } catch (e) {
      this.opts.log('eviction manager: unexpected error when attempting to reduce resource pressure', { error: String(e) });
    }
    return thresholdsMet(thresholds, this.opts.observe()).length === 0;
  }

  private softGrace(pod: KubeObject): number {
    const own = ((pod.spec as { terminationGracePeriodSeconds?: number } | undefined)?.terminationGracePeriodSeconds) ?? 30;
    const max = this.opts.maxPodGraceSeconds ?? 0;
    return max < 0 ? own : Math.min(own, max);
  }

  private async evictPod(c: Candidate & { key: string }, graceSeconds: number, message: string, conditions: Array<Record<string, unknown>>): Promise<boolean> {
    // static, mirror and system-critical pods stay, as upstream's evictPod refuses them
    if (isCriticalPod(c.pod)) {
      this.opts.log('eviction manager: cannot evict a critical pod', { pod: c.key });
      return false;
    }
    this.opts.event(c.pod, 'Warning', EVICTED_REASON, message);
    this.opts.log('evicting pod', { pod: c.key, message });
    const done = await this.opts.evict(c.key, graceSeconds, EVICTED_REASON, message, conditions);
    if (done) this.opts.log('eviction manager: pod is evicted successfully', { pod: c.key });
    return done;
  }
}

/** The threshold and what was available, for the message (upstream's getThresholdMetInfo). */
function thresholdInfo(resource: string, due: Threshold[], observed: Partial<Record<Signal, Observation>>): { quantity: number; available: number } | undefined {
  for (const t of due) {
    const o = observed[t.signal];
    if (resourceOf(t.signal) === resource && o) return { quantity: Math.floor(thresholdValue(t, o.capacity)), available: o.available };
  }
  return undefined;
}
