// Navigating the schema alongside an object: the model of a field and its list semantics.
import type { FieldSchema, SchemaRegistry, SchemaType } from '../schema/schema-types.js';

export interface FieldInfo {
  schema: FieldSchema | undefined;
  /** model name of the field's value (object) or of its items/values (list, map) */
  model: string | undefined;
  kind: 'object' | 'list' | 'map' | 'scalar' | 'unknown';
}

function refOf(s: SchemaType): string | undefined {
  if (s.type === 'object') return s.ref;
  if (s.type === 'array' || s.type === 'map') return refOf(s.type === 'array' ? s.items : s.values);
  return undefined;
}

export function fieldInfo(registry: SchemaRegistry, model: string | undefined, key: string): FieldInfo {
  if (!model) return { schema: undefined, model: undefined, kind: 'unknown' };
  const f = registry.definition(model)?.fields.get(key);
  if (!f) return { schema: undefined, model: undefined, kind: 'unknown' };
  const t = f.schema.type;
  const kind = t === 'object' ? 'object' : t === 'array' ? 'list' : t === 'map' ? 'map' : 'scalar';
  return { schema: f, model: refOf(f.schema), kind };
}

/** The keys identifying a list item, for lists merged by key. */
export function listKeys(f: FieldSchema | undefined): string[] | undefined {
  if (!f) return undefined;
  if (f.listType === 'map' && f.listMapKeys?.length) return f.listMapKeys;
  if (f.patchMergeKey) return [f.patchMergeKey];
  return undefined;
}

export function isSetList(f: FieldSchema | undefined): boolean {
  return f?.listType === 'set' || (f?.patchStrategy?.includes('merge') === true && !f.patchMergeKey && f.schema.type === 'array' && f.schema.items.type !== 'object');
}
