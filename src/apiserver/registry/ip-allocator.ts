// Service ClusterIPs from one IPv4 range, as upstream's ipallocator: the network
// and broadcast addresses are never handed out; dynamic picks come from the
// upper part of the range first, so the lower part stays free for the IPs people
// ask for by hand (the `kubernetes` Service takes the first, cluster DNS the tenth).

export class ServiceCidrError extends Error {}

export type AllocateFailure = 'allocated' | 'not-in-range';

function ipToInt(ip: string): number | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    n = n * 256 + Number(p);
  }
  return n;
}

function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function isIPv4(ip: string): boolean {
  return ipToInt(ip) !== undefined;
}

export class IpAllocator {
  /** first and last address that may be handed out */
  private readonly first: number;
  private readonly last: number;
  /** dynamic allocation starts above this offset (upstream's reserved static block) */
  private readonly staticBlock: number;
  private readonly used = new Set<number>();

  constructor(readonly cidr: string) {
    const [ip, len] = cidr.split('/');
    const bits = Number(len);
    const base = ip === undefined ? undefined : ipToInt(ip);
    if (base === undefined || !/^\d+$/.test(len ?? '') || bits < 1 || bits > 30) {
      throw new ServiceCidrError(`invalid service CIDR ${JSON.stringify(cidr)}: want an IPv4 CIDR with a prefix of 1 to 30 bits, e.g. 10.43.0.0/16`);
    }
    const size = 2 ** (32 - bits);
    const network = Math.floor(base / size) * size;
    this.first = network + 1;
    this.last = network + size - 2;
    const usable = this.last - this.first + 1;
    this.staticBlock = Math.min(Math.max(16, Math.floor(usable / 16)), 256, usable);
  }

  get size(): number {
    return this.last - this.first + 1;
  }

  get free(): number {
    return this.size - this.used.size;
  }

  /** The index-th address of the range, counting from 1 (1 = the `kubernetes` Service). */
  nth(index: number): string {
    return intToIp(this.first + index - 1);
  }

  contains(ip: string): boolean {
    const n = ipToInt(ip);
    return n !== undefined && n >= this.first && n <= this.last;
  }

  has(ip: string): boolean {
    const n = ipToInt(ip);
    return n !== undefined && this.used.has(n);
  }

  /** Reserves a given IP; says why not when it cannot. */
  allocate(ip: string): AllocateFailure | undefined {
    const n = ipToInt(ip);
    if (n === undefined || n < this.first || n > this.last) return 'not-in-range';
    if (this.used.has(n)) return 'allocated';
    this.used.add(n);
    return undefined;
  }

  /** Reserves any free IP, or undefined when the range is full. */
  allocateNext(): string | undefined {
    if (this.used.size >= this.size) return undefined;
    const upper = this.pick(this.first + this.staticBlock, this.last);
    const n = upper ?? this.pick(this.first, this.first + this.staticBlock - 1);
    if (n === undefined) return undefined;
    this.used.add(n);
    return intToIp(n);
  }

  release(ip: string): void {
    const n = ipToInt(ip);
    if (n !== undefined) this.used.delete(n);
  }

  /** A random free address in [lo, hi]: a random start, then a linear scan (wrapping). */
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
