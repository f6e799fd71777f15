// IPv4 CIDR arithmetic for pod and service ranges.

export interface Cidr {
  base: number;
  bits: number;
}

export function ipToInt(ip: string): number {
  const parts = ip.split('.');
  if (parts.length !== 4) throw new Error(`${ip} is not an IPv4 address`);
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) throw new Error(`${ip} is not an IPv4 address`);
    n = n * 256 + Number(p);
  }
  return n;
}

export function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function parseCidr(s: string): Cidr {
  const [ip, len] = s.split('/');
  const bits = Number(len);
  if (!ip || !Number.isInteger(bits) || bits < 0 || bits > 32) throw new Error(`${s} is not an IPv4 CIDR`);
  const size = 2 ** (32 - bits);
  return { base: Math.floor(ipToInt(ip) / size) * size, bits };
}

export function formatCidr(c: Cidr): string {
  return `${intToIp(c.base)}/${c.bits}`;
}

export function cidrSize(c: Cidr): number {
  return 2 ** (32 - c.bits);
}

export function cidrContains(c: Cidr, ip: string): boolean {
  const n = ipToInt(ip);
  return n >= c.base && n < c.base + cidrSize(c);
}

/** The index-th subnet of the given prefix length inside a range (node pod CIDRs). */
export function subnetAt(range: Cidr, bits: number, index: number): Cidr | undefined {
  if (bits < range.bits) return undefined;
  const size = 2 ** (32 - bits);
  if (index < 0 || index >= cidrSize(range) / size) return undefined;
  return { base: range.base + index * size, bits };
}
