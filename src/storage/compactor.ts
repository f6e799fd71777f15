// Periodic compaction, as upstream's apiserver compactor: at every interval it
// compacts up to the revision it saw at the previous interval, so at least one
// interval of history (5 minutes by default) stays readable for continue tokens,
// Exact lists and watches; and never the newest `minRetain` revisions, as kine.
import type { Backend } from './backend.js';

export interface CompactorOptions {
  intervalMs?: number;
  minRetain?: number;
  /** errors are reported here and the next interval tries again */
  onError?: (e: Error) => void;
}

export class Compactor {
  private timer?: NodeJS.Timeout;
  private previous?: number;
  private running?: Promise<void>;
  readonly intervalMs: number;
  private readonly minRetain: number;

  constructor(
    private readonly backend: Backend,
    private readonly opts: CompactorOptions = {},
  ) {
    this.intervalMs = opts.intervalMs ?? 5 * 60_000;
    this.minRetain = opts.minRetain ?? 1000;
  }

  start(): void {
    if (this.timer || this.intervalMs <= 0) return;
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
    this.timer.unref();
  }

  /** One interval's work; also callable directly (tests, benchmarks). */
  tick(): Promise<void> {
    this.running ??= this.compactOnce().finally(() => (this.running = undefined));
    return this.running;
  }

  private async compactOnce(): Promise<void> {
    try {
      const current = await this.backend.currentRevision();
      const previous = this.previous;
      this.previous = current;
      if (previous === undefined) return;
      const target = Math.min(previous, current - this.minRetain);
      if (target > (await this.backend.compactedRevision())) await this.backend.compact(target);
    } catch (e) {
      this.opts.onError?.(e as Error);
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
