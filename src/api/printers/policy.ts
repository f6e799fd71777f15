// Policy objects: PodDisruptionBudgets and ResourceQuotas.
import type { Printer } from './table-types.js';
import { AGE, NAME, col, int, intOrString, type Obj } from './columns.js';
import { since } from './duration.js';
import { quantityValue } from './quantity.js';

export const podDisruptionBudgetPrinter: Printer = {
  columns: [
    NAME,
    col('Min Available', 'The minimum number of pods that must be available.'),
    col('Max Unavailable', 'The maximum number of pods that may be unavailable.'),
    col(
      'Allowed Disruptions',
      'Calculated number of pods that may be disrupted at this time.',
      'integer',
    ),
    AGE,
  ],
  rows(o: Obj, now) {
    const spec: Obj = o.spec ?? {};
    const minAvailable =
      spec.minAvailable === undefined || spec.minAvailable === null
        ? 'N/A'
        : intOrString(spec.minAvailable);
    const maxUnavailable =
      spec.maxUnavailable === undefined || spec.maxUnavailable === null
        ? 'N/A'
        : intOrString(spec.maxUnavailable);
    return [
      [
        o.metadata.name,
        minAvailable,
        maxUnavailable,
        int(o.status?.disruptionsAllowed),
        since(o.metadata.creationTimestamp, now),
      ],
    ];
  },
};

/** "name: used/hard" for each status.hard entry, sorted; limits.* go to the Limit column. */
function quotaColumns(o: Obj): [string, string] {
  const hard: Obj = o.status?.hard ?? {};
  const used: Obj = o.status?.used ?? {};
  const request: string[] = [];
  const limit: string[] = [];
  for (const name of Object.keys(hard).sort()) {
    const entry = `${name}: ${quantityValue(used[name])}/${quantityValue(hard[name])}`;
    const pieces = name.split('.');
    if (pieces.length > 1 && pieces[0] === 'limits') limit.push(entry);
    else request.push(entry);
  }
  return [request.join(', '), limit.join(', ')];
}

export const resourceQuotaPrinter: Printer = {
  columns: [
    NAME,
    col(
      'Request',
      'Request represents a minimum amount of cpu/memory that a container may consume.',
    ),
    col(
      'Limit',
      'Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.',
    ),
    AGE,
  ],
  rows(o: Obj, now) {
    const [request, limit] = quotaColumns(o);
    return [[o.metadata.name, request, limit, since(o.metadata.creationTimestamp, now)]];
  },
};
