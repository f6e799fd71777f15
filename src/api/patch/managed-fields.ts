// Field ownership for writes that are not applies (create, update, patch): the
// writer takes the fields it changed, as upstream's fieldmanager does.
import { metaTime, type KubeObject, type ManagedFieldsEntry } from '../object.js';
import type { SchemaRegistry } from '../schema/schema-types.js';
import { decodeFieldsV1, encodeFieldsV1, leafPaths, pathKey, valueAt, type FieldPath } from './field-set.js';

function sameValue(a: { found: boolean; value?: unknown }, b: { found: boolean; value?: unknown }): boolean {
  return a.found === b.found && JSON.stringify(a.value) === JSON.stringify(b.value);
}

export interface OwnershipContext {
  registry: SchemaRegistry;
  model: string | undefined;
  apiVersion: string;
  subresource?: string;
}

/** Returns obj with metadata.managedFields updated for an Update by `manager`. */
export function updateManagedFields(old: KubeObject | undefined, obj: KubeObject, manager: string, ctx: OwnershipContext): KubeObject {
  const part = ctx.subresource === 'status' ? 'status' : 'main';
  // read only: kept entries are copied below ({ ...e, fieldsV1 }), so no deep clone
  const entries: ManagedFieldsEntry[] = old?.metadata.managedFields ?? obj.metadata.managedFields ?? [];
  const newPaths = leafPaths(obj, ctx.registry, ctx.model, part);
  const present = new Set(newPaths.map(pathKey));
  const changed = old ? newPaths.filter((p) => !sameValue(valueAt(old, p), valueAt(obj, p))) : newPaths;
  const changedKeys = new Set(changed.map(pathKey));
  const subresource = ctx.subresource && ctx.subresource !== 'scale' ? ctx.subresource : undefined;

  const next: ManagedFieldsEntry[] = [];
  let mine: FieldPath[] = [];
  for (const e of entries) {
    const paths = decodeFieldsV1(e.fieldsV1).filter((p) => {
      const k = pathKey(p);
      // fields gone from the object, or taken over by this write, leave other owners
      const ownPart = (p[0] === 'f:status') === (part === 'status');
      if (!ownPart) return true;
      return present.has(k) && !changedKeys.has(k);
    });
    if (e.manager === manager && e.operation === 'Update' && e.apiVersion === ctx.apiVersion && (e.subresource ?? undefined) === subresource) {
      mine = paths;
      continue;
    }
    if (paths.length) next.push({ ...e, fieldsV1: encodeFieldsV1(paths) });
  }
  const merged = new Map(mine.map((p) => [pathKey(p), p]));
  for (const p of changed) merged.set(pathKey(p), p);
  if (merged.size) {
    const entry: ManagedFieldsEntry = { manager, operation: 'Update', apiVersion: ctx.apiVersion, time: metaTime(), fieldsType: 'FieldsV1', fieldsV1: encodeFieldsV1([...merged.values()]) };
    if (subresource) entry.subresource = subresource;
    next.push(entry);
  }
  const out = { ...obj, metadata: { ...obj.metadata } };
  if (next.length) out.metadata.managedFields = next;
  else delete out.metadata.managedFields;
  return out;
}
