// Wall-clock fields of an instant in an IANA time zone, and back, through Intl
// (the tz database Node ships), so the CronJob controller needs no zone files.

export interface Wall {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Whether Intl knows the zone (upstream answers UnknownTimeZone otherwise). */
export function validTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

function parts(t: number, timeZone: string): Wall & { second: number } {
  const out: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(t))) if (p.type !== 'literal') out[p.type] = Number(p.value);
  return { year: out.year, month: out.month, day: out.day, hour: out.hour, minute: out.minute, second: out.second };
}

export function wallFields(t: number, timeZone: string): Wall {
  return parts(t, timeZone);
}

/** The zone's offset from UTC at instant t, in ms (local minus UTC). */
function offsetAt(t: number, timeZone: string): number {
  const p = parts(t, timeZone);
  const whole = Math.floor(t / 1000) * 1000;
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - whole;
}

/**
 * The instant a wall time names. A repeated wall time (fall-back) gives its
 * first occurrence; a skipped one (spring-forward) is read with the offset in
 * force before the gap, which lands just as far past the gap's end.
 */
export function wallToInstant(w: Wall, timeZone: string): number {
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute);
  const before = offsetAt(asUtc - 86_400_000, timeZone);
  const after = offsetAt(asUtc + 86_400_000, timeZone);
  const valid = [asUtc - before, asUtc - after].filter((t) => offsetAt(t, timeZone) === asUtc - t);
  return valid.length ? Math.min(...valid) : asUtc - before;
}
