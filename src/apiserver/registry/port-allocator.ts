// Node ports from one range (default 30000-32767), as upstream's portallocator:
// dynamic picks come from the upper part first, leaving the lower part to the
// ports people ask for by hand.

export class PortRangeError extends Error {}

export class PortAllocator {
  readonly base: number;
  readonly size: number;
  private readonly staticBlock: number;
  private readonly used = new Set<number>();

  constructor(readonly range: string) {
    const m = /^(\d+)-(\d+)$/.exec(range.trim());
    const lo = m ? Number(m[1]) : NaN;
    const hi = m ? Number(m[2]) : NaN;
    if (!m || lo < 1 || hi > 65535 || hi < lo) throw new PortRangeError(`invalid node port range ${JSON.stringify(range)}: want FIRST-LAST within 1-65535, e.g. 30000-32767`);
    this.base = lo;
    this.size = hi - lo + 1;
    this.staticBlock = Math.min(Math.max(16, Math.floor(this.size / 32)), 128, this.size);
  }

  contains(port: number): boolean {
    return Number.isInteger(port) && port >= this.base && port < this.base + this.size;
  }

  has(port: number): boolean {
    return this.used.has(port);
  }

  allocate(port: number): 'allocated' | 'not-in-range' | undefined {
    if (!this.contains(port)) return 'not-in-range';
    if (this.used.has(port)) return 'allocated';
    this.used.add(port);
    return undefined;
  }

  allocateNext(): number | undefined {
    const upper = this.pick(this.base + this.staticBlock, this.base + this.size - 1);
    const p = upper ?? this.pick(this.base, this.base + this.staticBlock - 1);
    if (p !== undefined) this.used.add(p);
    return p;
  }

  release(port: number): void {
    this.used.delete(port);
  }

  private pick(lo: number, hi: number): number | undefined {
    if (hi < lo) return undefined;
    const span = hi - lo + 1;
    const start = Math.floor(Math.random() * span);
    for (let i = 0; i < span; i++) {
      const p = lo + ((start + i) % span);
      if (!this.used.has(p)) return p;
    }
    return undefined;
  }
}
