// The loop both rule writers of a node (service proxy, network policy) run:
// changes only schedule a pass on one timer, so those arriving together are
// applied together; a pass asked for while one runs becomes one more pass
// after it, never two at once. What a pass does, and how it retries, is the
// caller's.

export class ApplyLoop {
  private timer?: NodeJS.Timeout;
  private running = false;
  private again = false;
  private stopped = false;

  constructor(private readonly pass: () => Promise<void>) {}

  /** a pass is under way */
  get busy(): boolean {
    return this.running;
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  /** A pass after delayMs, unless one is already waiting on the timer. */
  schedule(delayMs: number): void {
    if (this.timer || this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.run();
    }, delayMs);
  }

  /** A pass now; if one is running, one more after it. */
  async run(): Promise<void> {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    try {
      do {
        this.again = false;
        await this.pass();
      } while (this.again && !this.stopped);
    } finally {
      this.running = false;
    }
  }

  /** Drops the extra pass asked for during this one (a failed pass that retries on its own timer). */
  skipRerun(): void {
    this.again = false;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }
}
