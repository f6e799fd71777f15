// Standard 5-field cron schedules as the CronJob controller reads them (the
// robfig/cron "standard" parser upstream uses): ranges, steps, lists, month and
// weekday names (0-6: robfig refuses 7 for Sunday), `?`, the
// @yearly/@monthly/@weekly/@daily/@hourly macros and `@every <Go duration>`.
// Times are computed on the wall clock of an IANA time zone (Intl), so a
// schedule follows DST: a wall time skipped by spring-forward runs at the
// first instant after the gap, one repeated by fall-back runs once.
import { wallFields, wallToInstant, type Wall } from './time-zone.js';

export class CronSyntaxError extends Error {}

interface Field {
  min: number;
  max: number;
  names?: string[];
}

const FIELDS: Field[] = [
  { min: 0, max: 59 },
  { min: 0, max: 23 },
  { min: 1, max: 31 },
  { min: 1, max: 12, names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'] },
  { min: 0, max: 6, names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] },
];

const MACROS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

export interface CronSchedule {
  minutes: Set<number>;
  hours: Set<number>;
  days: Set<number>;
  months: Set<number>;
  weekdays: Set<number>;
  /** a field written as `*` or `?`: day-of-month and day-of-week then both must match, else either */
  daysStar: boolean;
  weekdaysStar: boolean;
  /** `@every`: a fixed delay in whole seconds (ms), counted from the previous activation */
  every?: number;
}

const GO_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Go's time.ParseDuration, in ms ("1h30m", "1.5h", "90s"; a bare "0"). */
export function parseGoDuration(text: string): number {
  const bad = () => new CronSyntaxError(`failed to parse duration @every ${text}: time: invalid duration ${JSON.stringify(text)}`);
  let rest = text;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    sign = rest.startsWith('-') ? -1 : 1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (!rest) throw bad();
  let ms = 0;
  const part = /^(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/;
  while (rest) {
    const m = part.exec(rest);
    if (!m) throw bad();
    ms += Number(m[1]) * GO_UNITS[m[2]!]!;
    rest = rest.slice(m[0].length);
  }
  return sign * ms;
}

// error texts are robfig/cron's, which upstream's 422 for a bad spec.schedule carries
function value(text: string, f: Field): number {
  const named = f.names?.indexOf(text.toUpperCase()) ?? -1;
  if (named >= 0) return named + f.min;
  if (!/^\d+$/.test(text)) throw new CronSyntaxError(`failed to parse int from ${text}: strconv.Atoi: parsing ${JSON.stringify(text)}: invalid syntax`);
  return Number(text);
}

function parseField(text: string, f: Field): { set: Set<number>; star: boolean } {
  const set = new Set<number>();
  let star = false;
  for (const part of text.split(',')) {
    const [range, stepText, extra] = part.split('/');
    if (extra !== undefined) throw new CronSyntaxError(`too many slashes: ${part}`);
    const step = stepText === undefined ? 1 : value(stepText, { min: 0, max: 0 });
    if (step < 1) throw new CronSyntaxError(`step of range should be a positive number: ${part}`);
    let lo: number;
    let hi: number;
    if (range === '*' || range === '?') {
      [lo, hi] = [f.min, f.max];
      if (step === 1) star = true;
    } else {
      const [a, b, more] = range.split('-');
      if (more !== undefined) throw new CronSyntaxError(`too many hyphens: ${part}`);
      lo = value(a, f);
      // "N/step" means N to the end of the field
      hi = b !== undefined ? value(b, f) : stepText !== undefined ? f.max : lo;
    }
    if (lo < f.min) throw new CronSyntaxError(`beginning of range (${lo}) below minimum (${f.min}): ${part}`);
    if (hi > f.max) throw new CronSyntaxError(`end of range (${hi}) above maximum (${f.max}): ${part}`);
    if (lo > hi) throw new CronSyntaxError(`beginning of range (${lo}) beyond end of range (${hi}): ${part}`);
    for (let v = lo; v <= hi; v += step) set.add(v);
  }
  return { set, star };
}

export function parseCron(spec: string): CronSchedule {
  const text = spec.trim();
  if (!text) throw new CronSyntaxError('empty spec string');
  if (text.startsWith('@every ')) {
    // robfig's Every: at least a second, rounded down to whole seconds
    const ms = parseGoDuration(text.slice('@every '.length).trim());
    const every = Math.max(1000, Math.floor(ms / 1000) * 1000);
    const none = new Set<number>();
    return { minutes: none, hours: none, days: none, months: none, weekdays: none, daysStar: false, weekdaysStar: false, every };
  }
  const expanded = text.startsWith('@') ? MACROS[text.toLowerCase()] : text;
  if (!expanded) throw new CronSyntaxError(`unrecognized descriptor: ${text}`);
  const parts = expanded.split(/\s+/);
  if (parts.length !== 5) throw new CronSyntaxError(`expected exactly 5 fields, found ${parts.length}: [${parts.join(' ')}]`);
  const parsed = parts.map((p, i) => parseField(p, FIELDS[i]));
  return {
    minutes: parsed[0].set,
    hours: parsed[1].set,
    days: parsed[2].set,
    months: parsed[3].set,
    weekdays: parsed[4].set,
    daysStar: parsed[2].star,
    weekdaysStar: parsed[4].star,
  };
}

function dayMatches(s: CronSchedule, w: Wall): boolean {
  const dom = s.days.has(w.day);
  const dow = s.weekdays.has(new Date(Date.UTC(w.year, w.month - 1, w.day)).getUTCDay());
  return s.daysStar || s.weekdaysStar ? dom && dow : dom || dow;
}

/** Normalizes overflowing wall fields (minute 60, day 32, month 13) through UTC arithmetic. */
function wall(year: number, month: number, day: number, hour: number, minute: number): Wall {
  const d = new Date(Date.UTC(year, month - 1, day, hour, minute));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: d.getUTCHours(), minute: d.getUTCMinutes() };
}

/** The first activation strictly after `after` (ms since epoch), or undefined if none within five years. */
export function nextAfter(s: CronSchedule, after: number, timeZone = 'UTC'): number | undefined {
  // @every ignores the time zone: the previous activation's second plus the delay
  if (s.every) return Math.floor(after / 1000) * 1000 + s.every;
  const start = wallFields(after, timeZone);
  let w = wall(start.year, start.month, start.day, start.hour, start.minute + 1);
  const limit = start.year + 5;
  while (w.year <= limit) {
    if (!s.months.has(w.month)) w = wall(w.year, w.month + 1, 1, 0, 0);
    else if (!dayMatches(s, w)) w = wall(w.year, w.month, w.day + 1, 0, 0);
    else if (!s.hours.has(w.hour)) w = wall(w.year, w.month, w.day, w.hour + 1, 0);
    else if (!s.minutes.has(w.minute)) w = wall(w.year, w.month, w.day, w.hour, w.minute + 1);
    else {
      const t = wallToInstant(w, timeZone);
      if (t > after) return t;
      // a repeated wall time already passed (fall-back): go on
      w = wall(w.year, w.month, w.day, w.hour, w.minute + 1);
    }
  }
  return undefined;
}

export interface MissedTimes {
  /** the latest activation in (earliest, now], if any */
  mostRecent?: number;
  /** how many activations fell in that window (upstream warns past 100) */
  missed: number;
  next?: number;
}

/** Activations between the last one handled and now, as upstream's mostRecentScheduleTime. */
export function scheduledTimes(s: CronSchedule, earliest: number, now: number, timeZone = 'UTC'): MissedTimes {
  let missed = 0;
  let mostRecent: number | undefined;
  let t = nextAfter(s, earliest, timeZone);
  while (t !== undefined && t <= now) {
    mostRecent = t;
    missed++;
    // past a hundred the count no longer matters ("too many"): find the latest
    // activation in a window before now that doubles until it holds one
    if (missed > 100) {
      for (let span = 3_600_000; ; span *= 2) {
        const from = Math.max(t, now - span);
        let last: number | undefined;
        for (let n = nextAfter(s, from, timeZone); n !== undefined && n <= now; n = nextAfter(s, n, timeZone)) last = n;
        if (last !== undefined || from === t) {
          mostRecent = last ?? t;
          break;
        }
      }
      break;
    }
    t = nextAfter(s, t, timeZone);
  }
  return { mostRecent, missed, next: nextAfter(s, mostRecent ?? now, timeZone) ?? undefined };
}
