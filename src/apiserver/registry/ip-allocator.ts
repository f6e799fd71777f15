// Service ClusterIPs from one IPv4 range, as upstream's ipallocator: the network
// and broadcast addresses are never handed out; dynamic picks come from the
// upper part of the range first, so the lower part stays free for the IPs people
// ask for by hand (the `kubernetes` Service takes the first, cluster DNS the tenth).

import { RangeAllocator, type AllocateFailure } from './range-allocator.js';

export class ServiceCidrError extends Error {}

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
  /** the usable addresses as numbers (network and broadcast left out) */
  private readonly numbers: RangeAllocator;

  constructor(readonly cidr: string) {
    const [ip, len] = cidr.split('/');
    const bits = Number(len);
    const base = ip === undefined ? undefined : ipToInt(ip);
    if (base === undefined || !/^\d+$/.test(len ?? '') || bits < 1 || bits > 30) {
      throw new ServiceCidrError(`invalid service CIDR ${JSON.stringify(cidr)}: want an IPv4 CIDR with a prefix of 1 to 30 bits, e.g. 10.43.0.0/16`);
    }
    const size = 2 ** (32 - bits);
    const network = Math.floor(base / size) * size;
    const usable = size - 2;
    this.numbers = new RangeAllocator(network + 1, network + size - 2, Math.min(Math.max(16, Math.floor(usable / 16)), 256, usable));
  }

  get size(): number {
    return this.numbers.size;
  }

  get free(): number {
    return this.numbers.free;
  }

  /** The index-th address of the range, counting from 1 (1 = the `kubernetes` Service). */
  nth(index: number): string {
    return intToIp(this.numbers.first + index - 1);
  }

  contains(ip: string): boolean {
    const n = ipToInt(ip);
    return n !== undefined && this.numbers.contains(n);
  }

  has(ip: string): boolean {
    const n = ipToInt(ip);
    return n !== undefined && this.numbers.has(n);
  }

  /** Reserves a given IP; says why not when it cannot. */
  allocate(ip: string): AllocateFailure | undefined {
    const n = ipToInt(ip);
    return n === undefined ? 'not-in-range' : this.numbers.allocate(n);
  }

  /** Reserves any free IP, or undefined when the range is full. */
  allocateNext(): string | undefined {
    const n = this.numbers.allocateNext();
    return n === undefined ? undefined : intToIp(n);
  }

  release(ip: string): void {
    const n = ipToInt(ip);
    if (n !== undefined) this.numbers.release(n);
  }
}
