// Column builders shared by the printers.
import type { TableColumnDefinition } from './table-types.js';

export function col(name: string, description = '', type: TableColumnDefinition['type'] = 'string', priority = 0, format = ''): TableColumnDefinition {
  return { name, type, format, description, priority };
}

export const NAME = col('Name', 'Name must be unique within a namespace.', 'string', 0, 'name');
export const AGE = col('Age', 'CreationTimestamp is a timestamp representing the server time when this object was created.');

export type Obj = Record<string, any>;

export function selectorString(sel: Obj | undefined): string {
  if (!sel) return '<none>';
  const parts: string[] = [];
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) parts.push(`${k}=${v}`);
  for (const e of sel.matchExpressions ?? []) {
    if (e.operator === 'In') parts.push(`${e.key} in (${(e.values ?? []).join(',')})`);
    else if (e.operator === 'NotIn') parts.push(`${e.key} notin (${(e.values ?? []).join(',')})`);
    else if (e.operator === 'Exists') parts.push(e.key);
    else if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`);
  }
  return parts.length ? parts.join(',') : '<none>';
}

export function mapSelector(sel: Obj | undefined): string {
  if (!sel || Object.keys(sel).length === 0) return '<none>';
  return Object.entries(sel)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

export function containersAndImages(podSpec: Obj | undefined): [string, string] {
  const cs: Obj[] = podSpec?.containers ?? [];
  return [cs.map((c) => c.name).join(','), cs.map((c) => c.image).join(',')];
}
