// Amounts printed as resource.Quantity's String() prints them, so eviction
// messages read as upstream's: bytes in the largest binary suffix that divides
// them exactly (70Mi, 51200Ki, 1536), counts as plain decimals.

const BINARY = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];
const DECIMAL = ['', 'k', 'M', 'G', 'T', 'P', 'E'];

/** A decimal count, with upstream's k/M/G suffix when it ends in whole thousands (1000 is "1k"). */
export function formatDecimal(n: number): string {
  let v = Math.trunc(n);
  if (v === 0) return '0';
  let e = 0;
  while (v % 1000 === 0 && e < DECIMAL.length - 1) {
    v /= 1000;
    e++;
  }
  return `${v}${DECIMAL[e]}`;
}

/** Bytes as a BinarySI quantity; below 1024 (either sign) upstream prints them as a decimal. */
export function formatBytes(n: number): string {
  let v = Math.trunc(n);
  if (Math.abs(v) < 1024) return formatDecimal(v);
  let e = 0;
  while (v % 1024 === 0 && e < BINARY.length - 1) {
    v /= 1024;
    e++;
  }
  return `${v}${BINARY[e]}`;
}
