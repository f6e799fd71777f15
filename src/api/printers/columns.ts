// Column definitions and the cell formatting helpers the printers share
// (labels, label selectors, container lists), as upstream formats them.
import type { TableColumnDefinition } from './table-types.js';
import { DOCS } from './docs.js';

/** Loosely typed view of a JSON object: printers read fields that may be absent. */
export type Obj = Record<string, any>;

export function col(
  name: string,
  description: string,
  type: TableColumnDefinition['type'] = 'string',
  priority = 0,
  format = '',
): TableColumnDefinition {
  return { name, type, format, description, priority };
}

/** A priority-1 (wide) column. */
export function wide(
  name: string,
  description: string,
  type: TableColumnDefinition['type'] = 'string',
): TableColumnDefinition {
  return col(name, description, type, 1);
}

export const NAME = col('Name', DOCS.ObjectMeta.name, 'string', 0, 'name');
export const AGE = col('Age', DOCS.ObjectMeta.creationTimestamp);
export const CONTAINERS = wide('Containers', 'Names of each container in the template.');
export const IMAGES = wide('Images', 'Images referenced by each container in the template.');

/** labels.FormatLabels: "k=v" sorted by key, comma-joined; "<none>" when empty. */
export function formatLabels(labels: Obj | undefined | null): string {
  const keys = Object.keys(labels ?? {}).sort();
  if (keys.length === 0) return '<none>';
  return keys.map((k) => `${k}=${labels![k]}`).join(',');
}

class SelectorError extends Error {}

/**
 * metav1.LabelSelectorAsSelector(sel).String(): requirements sorted by key, set
 * values sorted; a nil or empty selector prints as "". Throws SelectorError for
 * a selector upstream would reject.
 */
function selectorString(sel: Obj | undefined | null): string {
  if (!sel) return '';
  const reqs: Array<[string, string]> = [];
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) reqs.push([k, `${k}=${v}`]);
  for (const e of (sel.matchExpressions ?? []) as Obj[]) {
    const key = String(e.key ?? '');
    const values: string[] = Array.isArray(e.values) ? e.values.map(String) : [];
    const set = () => (values.length === 1 ? values[0] : [...values].sort().join(','));
    switch (e.operator) {
      case 'In':
      case 'NotIn':
        if (values.length === 0) throw new SelectorError('values set cannot be empty');
        reqs.push([key, `${key} ${e.operator === 'In' ? 'in' : 'notin'} (${set()})`]);
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (values.length !== 0) throw new SelectorError('values set must be empty');
        reqs.push([key, e.operator === 'Exists' ? key : `!${key}`]);
        break;
      default:
        throw new SelectorError(`${String(e.operator)} is not a valid label selector operator`);
    }
  }
  // stable, so a key given twice keeps its order
  return reqs
    .map((r, i) => [r, i] as const)
    .sort(([a, i], [b, j]) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : i - j))
    .map(([r]) => r[1])
    .join(',');
}

/** metav1.FormatLabelSelector: "<none>" for an empty selector, "<error>" for an invalid one. */
export function formatLabelSelector(sel: Obj | undefined | null): string {
  try {
    return selectorString(sel) || '<none>';
  } catch (e) {
    if (e instanceof SelectorError) return '<error>';
    throw e;
  }
}

/** The deployment printer's own form: "" for an empty selector, "<invalid>" for an invalid one. */
export function rawLabelSelector(sel: Obj | undefined | null): string {
  try {
    return selectorString(sel);
  } catch (e) {
    if (e instanceof SelectorError) return '<invalid>';
    throw e;
  }
}

/** layoutContainerCells: container names and images, comma-joined. */
export function containerCells(podSpec: Obj | undefined | null): [string, string] {
  const cs: Obj[] = podSpec?.containers ?? [];
  return [cs.map((c) => c.name ?? '').join(','), cs.map((c) => c.image ?? '').join(',')];
}

/** "a,b,c + 2 more..." after `max` items; "<unset>" for none (upstream's listWithMoreString). */
export function listWithMore(items: string[], count: number, max: number): string {
  const shown = items.slice(0, max).join(',');
  if (count > max) return `${shown} + ${count - max} more...`;
  return shown === '' ? '<unset>' : shown;
}

/** net.JoinHostPort: brackets around IPv6 hosts. */
export function joinHostPort(host: string, port: number | string): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** An int32/int64 field, 0 when absent (Go's zero value). */
export function int(v: unknown): number {
  return typeof v === 'number' ? v : 0;
}

/** A string field, "" when absent (Go's zero value). */
export function str(v: unknown): string {
  return typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v);
}

/** intstr.IntOrString.String() */
export function intOrString(v: unknown): string {
  return typeof v === 'number' ? String(v) : str(v);
}

/** printBoolPtr: "True" / "False", "<unset>" when absent. */
export function boolPtr(v: unknown): string {
  if (typeof v !== 'boolean') return '<unset>';
  return v ? 'True' : 'False';
}
