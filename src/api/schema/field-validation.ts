// Unknown-field detection for fieldValidation=Strict|Warn, walking an object
// against its upstream model. The walk also drops what it reports: upstream's
// decoder never keeps fields its types lack, whatever fieldValidation says.
import type { KubeObject } from '../object.js';
import type { SchemaRegistry, SchemaType } from './schema-types.js';

const MAX_REPORTED = 100;

/** Paths of the fields obj's model lacks (at most MAX_REPORTED), each removed from obj. */
export function unknownFields(obj: KubeObject, registry: SchemaRegistry, group: string, version: string, kind: string): string[] {
  const def = registry.definitionFor(group, version, kind);
  if (!def) return [];
  const out: string[] = [];
  walkRef(obj, def.name, '', registry, out);
  return out;
}

function walkRef(value: unknown, ref: string, path: string, registry: SchemaRegistry, out: string[]): void {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return;
  const def = registry.definition(ref);
  if (!def) return;
  for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
    const f = def.fields.get(key);
    const p = path ? `${path}.${key}` : key;
    if (!f) {
      if (out.length < MAX_REPORTED) out.push(p);
      delete (value as Record<string, unknown>)[key];
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

/**
 * Values of the wrong shape where the model wants an object, a map or a list:
 * upstream's JSON decoder refuses these with 400 before anything else runs.
 */
export function shapeErrors(obj: KubeObject, registry: SchemaRegistry, group: string, version: string, kind: string): string[] {
  const def = registry.definitionFor(group, version, kind);
  if (!def) return [];
  const out: string[] = [];
  const jsType = (v: unknown) => (Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v === 'object' ? 'object' : typeof v);
  const check = (value: unknown, schema: SchemaType, path: string): void => {
    if (out.length >= MAX_REPORTED || value === null || value === undefined) return;
    const scalar = scalarMismatch(value, schema);
    if (scalar) {
      out.push(`json: cannot unmarshal ${scalar.got} into Go struct field ${kind}.${path} of type ${scalar.want}`);
      return;
    }
    if (schema.type === 'object') {
      // references to models we do not describe (e.g. MicroTime) are not checked
      if (!registry.definition(schema.ref)) return;
      if (jsType(value) !== 'object') {
        out.push(`json: cannot unmarshal ${jsType(value)} into Go struct field ${kind}.${path} of type ${schema.ref}`);
        return;
      }
      const d = registry.definition(schema.ref);
      if (!d) return;
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        const f = d.fields.get(k);
        if (f) check(v, f.schema, `${path}.${k}`);
      }
    } else if (schema.type === 'array') {
      if (!Array.isArray(value)) {
        out.push(`json: cannot unmarshal ${jsType(value)} into Go struct field ${kind}.${path} of type []`);
        return;
      }
      value.forEach((v, i) => check(v, schema.items, `${path}[${i}]`));
    } else if (schema.type === 'map') {
      if (jsType(value) !== 'object') {
        out.push(`json: cannot unmarshal ${jsType(value)} into Go struct field ${kind}.${path} of type map`);
        return;
      }
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) check(v, schema.values, `${path}.${k}`);
    }
  };
  for (const [k, v] of Object.entries(obj)) {
    const f = def.fields.get(k);
    if (f) check(v, f.schema, k);
  }
  return out;
}

/** What a scalar value is and what its model wants, when they disagree (as Go's decoder reports it). */
function scalarMismatch(value: unknown, schema: SchemaType): { got: string; want: string } | undefined {
  const t = typeof value;
  const got = Array.isArray(value) ? 'array' : t === 'object' ? 'object' : t === 'number' ? `number ${String(value)}` : t === 'boolean' ? 'bool' : t;
  switch (schema.type) {
    case 'string':
      // the generated model types resource.Quantity (maps of limits, sizeLimit) as
      // string, and a quantity may be a JSON number: numbers pass here
      return t === 'string' || t === 'number' ? undefined : { got, want: 'string' };
    case 'time':
      return t === 'string' ? undefined : { got, want: 'string' };
    case 'boolean':
      return t === 'boolean' ? undefined : { got, want: 'bool' };
    case 'integer':
      return t === 'number' && Number.isInteger(value) ? undefined : { got, want: 'int64' };
    case 'number':
      return t === 'number' ? undefined : { got, want: 'float64' };
    case 'int-or-string':
      return t === 'string' || (t === 'number' && Number.isInteger(value)) ? undefined : { got, want: 'intstr.IntOrString' };
    case 'quantity':
      return t === 'string' || t === 'number' ? undefined : { got, want: 'resource.Quantity' };
    default:
      return undefined;
  }
}
