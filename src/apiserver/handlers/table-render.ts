// meta.k8s.io/v1 Table responses for `kubectl get`, from the per-kind printers.
import type { KubeObject, ListMeta } from '../../api/object.js';
import type { ResourceInfo } from '../../api/resource.js';
import { printerFor, tableWatchRenderer, toTable, type TableGroupVersion, type TableWatchRenderer } from '../../api/printers/index.js';
import { apiVersionOf } from '../registry/conversion.js';

export type { IncludeObject } from '../../api/printers/index.js';
import type { IncludeObject } from '../../api/printers/index.js';

export class TableRenderer {
  table(info: ResourceInfo, version: string, items: KubeObject[], listMeta: ListMeta | undefined, includeObject: IncludeObject, groupVersion?: TableGroupVersion): object {
    return toTable(printerFor(info.group, info.plural), items, {
      includeObject,
      listMeta,
      apiVersionOfObjects: apiVersionOf(info.group, version),
      kindOfObjects: info.kind,
      groupVersion,
    });
  }

  /** One per watch stream: only the first event carries the columns. */
  watch(info: ResourceInfo, version: string, includeObject: IncludeObject, groupVersion?: TableGroupVersion): TableWatchRenderer {
    return tableWatchRenderer(printerFor(info.group, info.plural), { includeObject, apiVersionOfObjects: apiVersionOf(info.group, version), kindOfObjects: info.kind, groupVersion });
  }
}
