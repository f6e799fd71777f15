// Numbers handed out from one range, as upstream's allocator bitmap with its
// static block: dynamic picks come from above the first `staticBlock` numbers
// while any are free, so the lower part stays for the numbers people ask for
// by hand. ClusterIPs and node ports are both this over their own numbers.

export type AllocateFailure = 'allocated' | 'not-in-range';

export class RangeAllocator {
  private readonly used = new Set<number>();

  constructor(
    /** first and last number that may be handed out */
    readonly first: number,
    readonly last: number,
    private readonly staticBlock: number,
  ) {}

  get size(): number {
    return this.last - this.first + 1;
  }

  get free(): number {
    return this.size - this.used.size;
  }

  contains(n: number): boolean {
    return Number.isInteger(n) && n >= this.first && n <= this.last;
  }

  has(n: number): boolean {
    return this.used.has(n);
  }

  /** Reserves a given number; says why not when it cannot. */
  allocate(n: number): AllocateFailure | undefined {
    if (!this.contains(n)) return 'not-in-range';
    if (this.used.has(n)) return 'allocated';
    this.used.add(n);
    return undefined;
  }

  /** Reserves any free number, or undefined when the range is full. */
  allocateNext(): number | undefined {
    if (this.used.size >= this.size) return undefined;
    const upper = this.pick(this.first + this.staticBlock, this.last);
    const n = upper ?? this.pick(this.first, this.first + this.staticBlock - 1);
    if (n !== undefined) this.used.add(n);
    return n;
  }

  release(n: number): void {
    this.used.delete(n);
  }

  /** A random free number in [lo, hi]: a random start, then a linear scan (wrapping). */
  private pick(lo: number, hi: number): number | undefined {
    if (hi < lo) return undefined;
    const span = hi - lo + 1;
    const start = Math.floor(Math.random() * span);
    for (let i = 0; i < span; i++) {
      const n = lo + ((start + i) % span);
      if (!this.used.has(n)) return n;
    }
    return undefined;
  }
}
