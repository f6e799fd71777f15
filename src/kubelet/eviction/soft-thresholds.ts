// Soft eviction thresholds (--eviction-soft with --eviction-soft-grace-period),
// as the kubelet's: met for their grace period before pods are evicted, and then
// with at most --eviction-max-pod-grace-period of termination grace.
import { EvictionThresholdError, parseDurationMs, parseEvictionHard, SIGNALS, type Signal, type Threshold } from '../eviction-thresholds.js';

export interface SoftThreshold extends Threshold {
  /** how long the threshold must stay met before it evicts */
  gracePeriodMs: number;
}

/** "memory.available=1m30s,nodefs.available=2m" by signal. */
export function parseGracePeriods(text: string): Map<Signal, number> {
  const out = new Map<Signal, number>();
  for (const stmt of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [signal, value] = stmt.split('=').map((s) => s.trim());
    if (!signal || value === undefined) throw new EvictionThresholdError(`invalid eviction grace period ${JSON.stringify(stmt)}: want signal=duration, e.g. memory.available=1m30s`);
    if (!(SIGNALS as readonly string[]).includes(signal)) throw new EvictionThresholdError(`unsupported eviction signal ${signal}`);
    out.set(signal as Signal, parseDurationMs(value));
  }
  return out;
}

/** The soft thresholds, each with its grace period; every one needs a period, as upstream. */
export function parseEvictionSoft(soft: string | undefined, gracePeriods: string | undefined): SoftThreshold[] {
  if (!soft) return [];
  const periods = parseGracePeriods(gracePeriods ?? '');
  return parseEvictionHard(soft).map((t) => {
    const gracePeriodMs = periods.get(t.signal);
    if (gracePeriodMs === undefined) throw new EvictionThresholdError(`grace period must be specified for the soft eviction threshold ${t.signal}`);
    return { ...t, gracePeriodMs };
  });
}
