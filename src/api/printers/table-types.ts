// Server-side printing contract (meta.k8s.io/v1 Table), as upstream's
// pkg/printers/internalversion. The apiserver calls printTable for any resource
// when the client asks for `application/json;as=Table;v=v1;g=meta.k8s.io`.
import type { KubeObject } from '../object.js';

export interface TableColumnDefinition {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  format: string; // '' | 'name' | ...
  description: string;
  priority: number; // 0 = always shown, 1 = only with -o wide
}

export interface TableRow {
  cells: unknown[];
  /** filled by the apiserver according to includeObject (None | Metadata | Object) */
  object?: unknown;
}

export interface Printer {
  columns: TableColumnDefinition[];
  /** One or more rows per object (upstream prints one, but the type allows more). */
  rows(obj: KubeObject, now: Date): unknown[][];
}
