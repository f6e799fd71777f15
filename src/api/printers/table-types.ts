// Server-side printing contract (meta.k8s.io/v1 Table), as upstream's
// pkg/printers/internalversion. The apiserver turns any resource into a Table
// when the client asks for `application/json;as=Table;v=v1;g=meta.k8s.io`.
import type { KubeObject } from '../object.js';

export interface TableColumnDefinition {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  format: string; // '' | 'name'
  description: string;
  priority: number; // 0 = always shown, 1 = only with -o wide
}

/** metav1.TableRowCondition; upstream sets one on pods that have finished. */
export interface TableRowCondition {
  type: 'Completed';
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
}

export interface TableRow {
  cells: unknown[];
  conditions?: TableRowCondition[];
  /** by includeObject: null (None), a PartialObjectMetadata (Metadata), the object (Object) */
  object: unknown;
}

export interface Printer {
  /** Every column, wide ones (priority 1) included: the server always prints wide. */
  columns: TableColumnDefinition[];
  /** One cell array per row (upstream prints one row per object), one cell per column. */
  rows(obj: KubeObject, now: Date): unknown[][];
  /** Row conditions for the object's rows, when upstream sets any. */
  conditions?(obj: KubeObject): TableRowCondition[] | undefined;
  /**
   * Upstream's default table convertor (resources without a printer) leaves
   * `rows` null for an empty list, where the printers give [].
   */
  nullWhenEmpty?: boolean;
}
