// meta.k8s.io/v1 Table responses for `kubectl get`, from the per-kind printers.
import type { KubeObject, ListMeta } from '../../api/object.js';
import type { ResourceInfo } from '../../api/resource.js';
import { printerFor, toTable } from '../../api/printers/index.js';
import { apiVersionOf } from '../registry/conversion.js';

export type IncludeObject = 'None' | 'Metadata' | 'Object';

export class TableRenderer {
  table(info: ResourceInfo, version: string, items: KubeObject[], listMeta: ListMeta | undefined, includeObject: IncludeObject): object {
    return toTable(printerFor(info.group, info.plural), items, {
      includeObject,
      listMeta,
      apiVersionOfObjects: apiVersionOf(info.group, version),
      kindOfObjects: info.kind,
    });
  }
}
