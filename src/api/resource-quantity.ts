// Exact resource quantities (upstream's resource.Quantity) for quota and limit
// arithmetic: values held as integer nano-units so "100m" + "200m" is exactly
// "300m", printed in upstream's canonical form (largest suffix that keeps an
// integer mantissa; binary suffixes kept for binary inputs).

export type QuantityFormat = 'BinarySI' | 'DecimalSI';

export interface Quantity {
  /** the value times 10^9 */
  nano: bigint;
  format: QuantityFormat;
}

const NANO = 1_000_000_000n;
const BINARY: Record<string, bigint> = { Ki: 1n << 10n, Mi: 1n << 20n, Gi: 1n << 30n, Ti: 1n << 40n, Pi: 1n << 50n, Ei: 1n << 60n };
const DECIMAL_EXP: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const SYNTAX = /^([+-]?)([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?[0-9]+)?$/;

export class QuantityError extends Error {}

function pow10(e: number): bigint {
  return 10n ** BigInt(e);
}

/** Divides rounding up (away from zero for positives), as upstream rounds to nano precision. */
function ceilDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a > 0n ? q + 1n : q;
}

export function parseQuantity(input: unknown): Quantity {
  if (typeof input === 'number' && Number.isFinite(input)) input = String(input);
  if (typeof input !== 'string') throw new QuantityError('quantities must match the regular expression \'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$\'');
  const m = SYNTAX.exec(input.trim());
  if (!m) throw new QuantityError('quantities must match the regular expression \'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$\'');
  const [whole, frac = ''] = m[2].split('.');
  const digits = BigInt((whole || '0') + frac);
  const suffix = m[3] ?? '';
  let num = digits * NANO;
  let den = pow10(frac.length);
  let format: QuantityFormat = 'DecimalSI';
  if (suffix in BINARY) {
    num *= BINARY[suffix];
    format = 'BinarySI';
  } else {
    const e = suffix in DECIMAL_EXP ? DECIMAL_EXP[suffix] : Number(suffix.slice(1));
    if (e >= 0) num *= pow10(e);
    else den *= pow10(-e);
  }
  const nano = ceilDiv(num, den);
  return { nano: m[1] === '-' ? -nano : nano, format };
}

/** Canonical text of a quantity, as upstream's Quantity.String(). */
export function formatQuantity(q: Quantity): string {
  if (q.nano === 0n) return '0';
  const sign = q.nano < 0n ? '-' : '';
  const v = q.nano < 0n ? -q.nano : q.nano;
  // small or fractional binary values read better in decimal, as upstream decides
  if (q.format === 'BinarySI' && v % NANO === 0n && v >= 1024n * NANO) {
    const units = v / NANO;
    for (const s of ['Ei', 'Pi', 'Ti', 'Gi', 'Mi', 'Ki']) if (units % BINARY[s] === 0n) return `${sign}${units / BINARY[s]}${s}`;
    return `${sign}${units}`;
  }
  for (const [s, e] of Object.entries(DECIMAL_EXP).sort((a, b) => b[1] - a[1])) {
    const unit = pow10(e + 9);
    if (v % unit === 0n) return `${sign}${v / unit}${s}`;
  }
  return `${sign}${v}n`;
}

export function addQuantity(a: Quantity, b: Quantity): Quantity {
  return { nano: a.nano + b.nano, format: a.nano === 0n ? b.format : a.format };
}

export function subtractQuantity(a: Quantity, b: Quantity): Quantity {
  return { nano: a.nano - b.nano, format: a.nano === 0n ? b.format : a.format };
}

export function compareQuantity(a: Quantity, b: Quantity): number {
  return a.nano < b.nano ? -1 : a.nano > b.nano ? 1 : 0;
}

export function zeroQuantity(format: QuantityFormat = 'DecimalSI'): Quantity {
  return { nano: 0n, format };
}

/** The value as a JavaScript number (ratios), in whole units. */
export function quantityNumber(q: Quantity): number {
  return Number(q.nano) / 1e9;
}

/** milli-units, rounded up, as upstream's MilliValue() */
export function milliValue(q: Quantity): bigint {
  return ceilDiv(q.nano, 1_000_000n);
}

/** Text that is a valid quantity, else undefined. */
export function tryParseQuantity(input: unknown): Quantity | undefined {
  try {
    return parseQuantity(input);
  } catch {
    return undefined;
  }
}
