// Hard eviction thresholds (--eviction-hard), as the kubelet's: a list of
// "signal<quantity" or "signal<percent%" statements. A threshold that is met
// puts the node under pressure (MemoryPressure, DiskPressure, PIDPressure).
import { parseQuantity } from './quantity.js';

export const SIGNALS = ['memory.available', 'nodefs.available', 'nodefs.inodesFree', 'imagefs.available', 'imagefs.inodesFree', 'pid.available'] as const;
export type Signal = (typeof SIGNALS)[number];

export interface Threshold {
  signal: Signal;
  /** an absolute amount (bytes, inodes, PIDs) ... */
  quantity?: number;
  /** ... or a fraction of the capacity (0.1 for 10%) */
  fraction?: number;
}

/** upstream's Linux defaults; pid.available has none */
export const DEFAULT_EVICTION_HARD = 'memory.available<100Mi,nodefs.available<10%,nodefs.inodesFree<5%,imagefs.available<15%,imagefs.inodesFree<5%';

export class EvictionThresholdError extends Error {}

/**
 * Parses "memory.available<100Mi,nodefs.available<10%". Given thresholds replace
 * the defaults (as the kubelet's flag does); a zero threshold turns its signal off.
 */
export function parseEvictionHard(text: string): Threshold[] {
  const out: Threshold[] = [];
  for (const stmt of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^([A-Za-z.]+)\s*(<=|>=|<|>|=)\s*(\S+)$/.exec(stmt);
    if (!m) throw new EvictionThresholdError(`invalid eviction threshold ${JSON.stringify(stmt)}: want signal<value, e.g. memory.available<100Mi`);
    const [, signal, op, value] = m as unknown as [string, string, string, string];
    if (!(SIGNALS as readonly string[]).includes(signal)) throw new EvictionThresholdError(`unknown eviction signal ${JSON.stringify(signal)}; known: ${SIGNALS.join(', ')}`);
    if (op !== '<') throw new EvictionThresholdError(`invalid operator ${JSON.stringify(op)} in ${JSON.stringify(stmt)}: only < is supported`);
    if (out.some((t) => t.signal === signal)) throw new EvictionThresholdError(`found duplicate eviction threshold for signal ${signal}`);
    let t: Threshold;
    if (value.endsWith('%')) {
      const pct = Number(value.slice(0, -1));
      if (!Number.isFinite(pct) || pct < 0 || pct > 100) throw new EvictionThresholdError(`eviction percentage threshold ${signal} must be from 0% to 100%, got ${value}`);
      t = { signal: signal as Signal, fraction: pct / 100 };
    } else {
      const q = parseQuantity(value);
      if (!Number.isFinite(q) || q < 0) throw new EvictionThresholdError(`invalid quantity ${JSON.stringify(value)} for eviction signal ${signal}`);
      t = { signal: signal as Signal, quantity: q };
    }
    if ((t.fraction ?? t.quantity) === 0) continue;
    out.push(t);
  }
  return out;
}

/** What a threshold amounts to for a given capacity. */
export function thresholdValue(t: Threshold, capacity: number): number {
  return t.quantity ?? (t.fraction ?? 0) * capacity;
}

export interface Observation {
  available: number;
  capacity: number;
}

/** The thresholds met by what was observed (signals without an observation are skipped). */
export function thresholdsMet(thresholds: Threshold[], observed: Partial<Record<Signal, Observation>>): Threshold[] {
  return thresholds.filter((t) => {
    const o = observed[t.signal];
    return o !== undefined && o.available < thresholdValue(t, o.capacity);
  });
}

/** Which node condition a signal drives. */
export function conditionOf(signal: Signal): 'MemoryPressure' | 'DiskPressure' | 'PIDPressure' {
  if (signal === 'memory.available') return 'MemoryPressure';
  if (signal === 'pid.available') return 'PIDPressure';
  return 'DiskPressure';
}

/** "5m", "30s", "1h30m", "0s" (Go durations, as the kubelet's flags take them) in milliseconds. */
export function parseDurationMs(text: string): number {
  const unit: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  let rest = text.trim();
  if (rest === '0') return 0;
  if (!rest) throw new EvictionThresholdError('empty duration');
  while (rest) {
    const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)/.exec(rest);
    if (!m) throw new EvictionThresholdError(`invalid duration ${JSON.stringify(text)}: want e.g. 30s, 5m, 1h`);
    total += Number(m[1]) * unit[m[2]!]!;
    rest = rest.slice(m[0].length);
  }
  return total;
}
