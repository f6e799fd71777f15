// Upstream's default table convertor, for resources without a printer (roles,
// cluster roles, limit ranges, and anything else): NAME and CREATED AT.
import type { Printer } from './table-types.js';
import { NAME, col } from './columns.js';
import { DOCS } from './docs.js';
import { timestampMs } from './duration.js';

/** creationTimestamp as Go's time.RFC3339 in UTC ("0001-01-01T00:00:00Z" when unset). */
export function rfc3339(ts: unknown): string {
  const t = timestampMs(ts);
  if (t === undefined) return '0001-01-01T00:00:00Z';
  return new Date(Math.floor(t / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

export const defaultPrinter: Printer = {
  columns: [NAME, col('Created At', DOCS.ObjectMeta.creationTimestamp, 'date')],
  rows: (o) => [[o.metadata.name ?? '', rfc3339(o.metadata.creationTimestamp)]],
  nullWhenEmpty: true,
};
