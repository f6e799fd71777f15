// resource.Quantity.String() as upstream prints it: the canonical form
// ("1024Mi" -> "1Gi", "0.5" -> "500m", "1000" -> "1k"), which is what the
// printers show for capacities, quota and HPA targets.

const DECIMAL_SUFFIX: Record<string, number> = {
  n: -9,
  u: -6,
  m: -3,
  '': 0,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};
const BINARY_SUFFIX: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const DECIMAL_BY_EXPONENT = new Map(Object.entries(DECIMAL_SUFFIX).map(([s, e]) => [e, s]));
const BINARY_BY_EXPONENT = new Map(Object.entries(BINARY_SUFFIX).map(([s, e]) => [e, s]));

type Format = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

interface Parsed {
  negative: boolean;
  /** value = mantissa * 10^exp10 * 2^exp2 */
  mantissa: bigint;
  exp10: number;
  exp2: number;
  format: Format;
}

const RE = /^([+-]?)(\d*)(?:\.(\d*))?(.*)$/;

function parse(s: string): Parsed | undefined {
  const m = RE.exec(s.trim());
  if (!m) return undefined;
  const [, sign, digits = '', fraction = '', suffix = ''] = m;
  if (digits === '' && fraction === '') return undefined;
  let exp10 = -fraction.length;
  let exp2 = 0;
  let format: Format;
  if (suffix in BINARY_SUFFIX) {
    format = 'BinarySI';
    exp2 = BINARY_SUFFIX[suffix];
  } else if (suffix in DECIMAL_SUFFIX) {
    format = 'DecimalSI';
    exp10 += DECIMAL_SUFFIX[suffix];
  } else if (/^[eE][+-]?\d+$/.test(suffix)) {
    format = 'DecimalExponent';
    exp10 += Number(suffix.slice(1));
  } else return undefined;
  return {
    negative: sign === '-',
    mantissa: BigInt((digits || '0') + fraction),
    exp10,
    exp2,
    format,
  };
}

const TEN = 10n;
const pow10 = (n: number) => TEN ** BigInt(n);

/** Canonical decimal form of m * 10^e (m >= 0). */
function decimal(m: bigint, e: number, format: Format): string {
  // upstream keeps nano precision and rounds anything finer up
  if (e < -9) {
    const d = pow10(-9 - e);
    m = (m + d - 1n) / d;
    e = -9;
  }
  if (m === 0n) return '0';
  while (m % TEN === 0n) {
    m /= TEN;
    e++;
  }
  const extra = ((e % 3) + 3) % 3;
  m *= pow10(extra);
  e -= extra;
  if (format === 'DecimalExponent') return e === 0 ? `${m}` : `${m}e${e}`;
  const suffix = DECIMAL_BY_EXPONENT.get(e);
  return suffix === undefined ? `${m}e${e}` : `${m}${suffix}`;
}

/** The canonical string of a quantity; the input unchanged when it does not parse. */
export function canonicalQuantity(s: string): string {
  const q = parse(s);
  if (!q) return s;
  let m = q.mantissa * 2n ** BigInt(q.exp2);
  let e = q.exp10;
  if (m === 0n) return '0';
  const sign = q.negative ? '-' : '';
  if (q.format !== 'BinarySI') return sign + decimal(m, e, q.format);
  // |value| < 1024 or a fraction prints as DecimalSI
  const isInteger = e >= 0 || m % pow10(-e) === 0n;
  if (!isInteger) return sign + decimal(m, e, 'DecimalSI');
  if (e > 0) m *= pow10(e);
  else if (e < 0) m /= pow10(-e);
  e = 0;
  if (m < 1024n) return sign + decimal(m, 0, 'DecimalSI');
  let exp = 0;
  while (m % 1024n === 0n && exp < 60) {
    m /= 1024n;
    exp += 10;
  }
  return `${sign}${m}${BINARY_BY_EXPONENT.get(exp) ?? ''}`;
}

/** Quantity.String() of an optional (pointer) quantity: "<nil>" when absent. */
export function quantityPtr(v: unknown): string {
  if (v === undefined || v === null) return '<nil>';
  return canonicalQuantity(String(v));
}

/** Quantity.String() of a quantity held by value (a map entry): "0" when absent. */
export function quantityValue(v: unknown): string {
  if (v === undefined || v === null) return '0';
  return canonicalQuantity(String(v));
}
