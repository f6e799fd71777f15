// Unknown-field detection for fieldValidation=Strict|Warn, walking an object
// against its upstream model.
import type { KubeObject } from '../object.js';
import type { SchemaRegistry, SchemaType } from './schema-types.js';

const MAX_REPORTED = 100;

export function unknownFields(obj: KubeObject, registry: SchemaRegistry, group: string, version: string, kind: string): string[] {
  const def = registry.definitionFor(group, version, kind);
  if (!def) return [];
  const out: string[] = [];
  walkRef(obj, def.name, '', registry, out);
  return out;
}

function walkRef(value: unknown, ref: string, path: string, registry: SchemaRegistry, out: string[]): void {
  if (out.length >= MAX_REPORTED || value === null || typeof value !== 'object' || Array.isArray(value)) return;
  const def = registry.definition(ref);
  if (!def) return;
  for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
    const f = def.fields.get(key);
    const p = path ? `${path}.${key}` : key;
    if (!f) {
      out.push(p);
      continue;
    }
    walk(child, f.schema, p, registry, out);
  }
}

function walk(value: unknown, schema: SchemaType, path: string, registry: SchemaRegistry, out: string[]): void {
  if (value === null || value === undefined) return;
  switch (schema.type) {
    case 'object':
      return walkRef(value, schema.ref, path, registry, out);
    case 'array':
      if (Array.isArray(value)) value.forEach((v, i) => walk(v, schema.items, `${path}[${i}]`, registry, out));
      return;
    case 'map':
      if (typeof value === 'object' && !Array.isArray(value)) {
        for (const [k, v] of Object.entries(value as Record<string, unknown>)) walk(v, schema.values, `${path}.${k}`, registry, out);
      }
      return;
    default:
      return;
  }
}
