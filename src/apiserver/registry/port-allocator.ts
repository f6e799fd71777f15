// Node ports from one range (default 30000-32767), as upstream's portallocator:
// dynamic picks come from the upper part first, leaving the lower part to the
// ports people ask for by hand.
import { RangeAllocator } from './range-allocator.js';

export class PortRangeError extends Error {}

function parsePortRange(range: string): { lo: number; hi: number } {
  const m = /^(\d+)-(\d+)$/.exec(range.trim());
  const lo = m ? Number(m[1]) : NaN;
  const hi = m ? Number(m[2]) : NaN;
  if (!m || lo < 1 || hi > 65535 || hi < lo) throw new PortRangeError(`invalid node port range ${JSON.stringify(range)}: want FIRST-LAST within 1-65535, e.g. 30000-32767`);
  return { lo, hi };
}

export class PortAllocator extends RangeAllocator {
  constructor(readonly range: string) {
    const { lo, hi } = parsePortRange(range);
    const size = hi - lo + 1;
    super(lo, hi, Math.min(Math.max(16, Math.floor(size / 32)), 128, size));
  }
}
