// labelSelector and fieldSelector query parameters -> a storage Predicate.
import { errors } from '../../api/errors.js';
import type { KubeObject } from '../../api/object.js';
import type { ResourceInfo } from '../../api/resource.js';
import type { Predicate } from '../../storage/store.js';
import { parseLabelSelector, selectorFromLabelSelector, labelSelectorToString } from '../../api/selectors/label-selector.js';
import { parseFieldSelector } from '../../api/selectors/field-selector.js';
import { storageResource } from '../registry/conversion.js';

export function buildPredicate(info: ResourceInfo, q: URLSearchParams, name?: string): Predicate | undefined {
  const ls = q.get('labelSelector');
  let fs = q.get('fieldSelector') ?? '';
  // a watch on a single object (GET .../pods/x?watch=1) is a fieldSelector on its name
  if (name) fs = fs ? `${fs},metadata.name=${name}` : `metadata.name=${name}`;
  const tests: Predicate[] = [];
  if (ls) {
    let sel;
    try {
      sel = parseLabelSelector(ls);
    } catch (e) {
      throw errors.badRequest(`unable to parse requirement: ${(e as Error).message}`);
    }
    tests.push((o) => sel.matches(o.metadata.labels ?? {}));
  }
  if (fs) {
    let sel;
    try {
      sel = parseFieldSelector(fs);
    } catch (e) {
      throw errors.badRequest(`invalid field selector: ${(e as Error).message}`);
    }
    const strategy = storageResource(info).strategy;
    const sample = strategy.selectableFields?.({ metadata: {} } as KubeObject) ?? {};
    for (const req of sel.requirements) {
      if (req.field !== 'metadata.name' && req.field !== 'metadata.namespace' && !(req.field in sample)) {
        throw errors.badRequest(`field label not supported: ${req.field}`);
      }
    }
    tests.push((o) => {
      const fields: Record<string, string> = {
        'metadata.name': o.metadata.name ?? '',
        'metadata.namespace': o.metadata.namespace ?? '',
        ...(strategy.selectableFields?.(o) ?? {}),
      };
      return sel.matches(fields);
    });
  }
  if (tests.length === 0) return undefined;
  if (tests.length === 1) return tests[0];
  return (o) => tests.every((t) => t(o));
}

/** String form of a selector for Scale.status.selector: LabelSelector objects and plain maps (ReplicationController). */
export function labelSelectorString(selector: unknown): string {
  if (!selector || typeof selector !== 'object') return '';
  const s = selector as Record<string, unknown>;
  if ('matchLabels' in s || 'matchExpressions' in s) return labelSelectorToString(selectorFromLabelSelector(s));
  return Object.entries(s)
    .map(([k, v]) => `${k}=${String(v)}`)
    .sort()
    .join(',');
}
