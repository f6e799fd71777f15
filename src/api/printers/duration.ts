// Human-readable durations as upstream's apimachinery util/duration
// (HumanDuration, ShortHumanDuration) and the printers' timestamp helpers.

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
// Go durations are int64 nanoseconds: anything older saturates at ~292 years.
const MAX_GO_DURATION_MS = 9_223_372_036_854;

/** Go's int(d / unit): truncation toward zero. */
const whole = (ms: number, unit: number) => Math.trunc(ms / unit);

function clamp(ms: number): number {
  return Math.max(-MAX_GO_DURATION_MS, Math.min(MAX_GO_DURATION_MS, ms));
}

/** ~2-3 significant figures: "5s", "2m30s", "10m", "3h5m", "2d3h", "10d", "2y45d". */
export function humanDuration(ms: number): string {
  ms = clamp(ms);
  const seconds = whole(ms, SECOND);
  // up to two seconds in the future counts as now (clock skew between machines)
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60 * 2) return `${seconds}s`;
  const minutes = whole(ms, MINUTE);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 60 * 3) return `${minutes}m`;
  const hours = whole(ms, HOUR);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  const days = Math.trunc(hours / 24);
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${days}d` : `${days}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${days}d`;
  const years = Math.trunc(days / 365);
  if (hours < 24 * 365 * 8) {
    const dy = days % 365;
    return dy === 0 ? `${years}y` : `${years}y${dy}d`;
  }
  return `${years}y`;
}

/** One unit only: "5s", "10m", "3h", "10d", "2y". */
export function shortHumanDuration(ms: number): string {
  ms = clamp(ms);
  const seconds = whole(ms, SECOND);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60) return `${seconds}s`;
  const minutes = whole(ms, MINUTE);
  if (minutes < 60) return `${minutes}m`;
  const hours = whole(ms, HOUR);
  if (hours < 24) return `${hours}h`;
  if (hours < 24 * 365) return `${Math.trunc(hours / 24)}d`;
  return `${Math.trunc(hours / 24 / 365)}y`;
}

// 0001-01-01T00:00:00Z, what Go's zero time.Time serializes to
const ZERO_TIME_MS = Date.parse('0001-01-01T00:00:00Z');

/** Milliseconds of an RFC 3339 timestamp, undefined when absent (Go's zero time) or unparsable. */
export function timestampMs(ts: unknown): number | undefined {
  if (typeof ts !== 'string' || ts === '') return undefined;
  const t = Date.parse(ts);
  if (Number.isNaN(t) || t <= ZERO_TIME_MS) return undefined;
  return t;
}

/** upstream translateTimestampSince: HumanDuration(now - ts), "<unknown>" for no timestamp. */
export function since(ts: unknown, now: Date): string {
  const t = timestampMs(ts);
  return t === undefined ? '<unknown>' : humanDuration(now.getTime() - t);
}
