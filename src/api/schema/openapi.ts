// /openapi/v2 and /openapi/v3 documents built from the schema registry, with the
// x-kubernetes-* extensions kubectl reads (group-version-kind, patch strategy and
// merge key, list type and keys). Built on first request and cached as bytes.
import { createHash } from 'node:crypto';
import { resources } from '../kinds/resources.js';
import { encodeOpenApiV2 } from './openapi-v2-protobuf.js';
import { schemaRegistry } from './registry.js';
import type { Definition, FieldSchema, SchemaRegistry, SchemaType } from './schema-types.js';

export interface Doc {
  body: Buffer;
  etag: string;
}

type Json = Record<string, unknown>;

function gvkIndex(registry: SchemaRegistry): Map<string, Array<{ group: string; version: string; kind: string }>> {
  const out = new Map<string, Array<{ group: string; version: string; kind: string }>>();
  const add = (name: string, gvk: { group: string; version: string; kind: string }) => {
    if (!out.has(name)) out.set(name, []);
    out.get(name)!.push(gvk);
  };
  for (const r of resources) {
    for (const v of r.versions) {
      const def = registry.definitionFor(r.group, v, r.kind);
      if (def) add(def.name, { group: r.group, version: v, kind: r.kind });
      const list = registry.definitionFor(r.group, v, r.listKind);
      if (list) add(list.name, { group: r.group, version: v, kind: r.listKind });
    }
  }
  return out;
}

function typeSchema(s: SchemaType, refPrefix: string, v3: boolean): Json {
  switch (s.type) {
    case 'object':
      return { $ref: `${refPrefix}${s.ref}` };
    case 'array':
      return { type: 'array', items: typeSchema(s.items, refPrefix, v3) };
    case 'map':
      return { type: 'object', additionalProperties: typeSchema(s.values, refPrefix, v3) };
    case 'int-or-string':
      return { type: 'string', format: 'int-or-string', 'x-kubernetes-int-or-string': true };
    case 'quantity':
      return { type: 'string', format: 'quantity' };
    case 'time':
      return { type: 'string', format: 'date-time' };
    case 'any':
      // v2 leaves the type out, as upstream's untyped JSON schema does (CRD defaults,
      // enums, examples): kubectl's client-side validation reads a v2 `type: object`
      // without properties as a map, and would reject `default: 5`
      return v3 ? { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } : { 'x-kubernetes-preserve-unknown-fields': true };
    default:
      return { type: s.type, ...(s.type === 'integer' ? { format: 'int64' } : {}) };
  }
}

function fieldSchema(f: FieldSchema, refPrefix: string, v3: boolean): Json {
  let out = typeSchema(f.schema, refPrefix, v3);
  if (v3 && out.$ref) out = { allOf: [out] }; // v3 cannot put siblings next to $ref
  if (f.description) out.description = f.description;
  if (f.patchStrategy) out['x-kubernetes-patch-strategy'] = f.patchStrategy;
  if (f.patchMergeKey) out['x-kubernetes-patch-merge-key'] = f.patchMergeKey;
  if (f.listType && f.schema.type === 'array') out['x-kubernetes-list-type'] = f.listType;
  if (f.listMapKeys && f.listType === 'map') out['x-kubernetes-list-map-keys'] = f.listMapKeys;
  return out;
}

function definitionSchema(def: Definition, refPrefix: string, v3: boolean, gvks?: Array<{ group: string; version: string; kind: string }>): Json {
  const properties: Json = {};
  const required: string[] = [];
  for (const f of def.fields.values()) {
    properties[f.name] = fieldSchema(f, refPrefix, v3);
    if (f.required) required.push(f.name);
  }
  const out: Json = { type: 'object', properties };
  if (def.description) out.description = def.description;
  if (required.length) out.required = required;
  if (gvks) out['x-kubernetes-group-version-kind'] = gvks;
  return out;
}

/** Definitions reachable from the given roots. */
function reachable(registry: SchemaRegistry, roots: string[]): string[] {
  const seen = new Set<string>();
  const stack = [...roots];
  const visitType = (s: SchemaType) => {
    if (s.type === 'object') stack.push(s.ref);
    else if (s.type === 'array') visitType(s.items);
    else if (s.type === 'map') visitType(s.values);
  };
  while (stack.length) {
    const name = stack.pop()!;
    if (seen.has(name)) continue;
    const def = registry.definition(name);
    if (!def) continue;
    seen.add(name);
    for (const f of def.fields.values()) visitType(f.schema);
  }
  return [...seen].sort();
}

function toDoc(value: unknown): Doc {
  const body = Buffer.from(JSON.stringify(value));
  return { body, etag: createHash('sha512').update(body).digest('hex').slice(0, 64).toUpperCase() };
}

let v2: Doc | undefined;
let v2Protobuf: Doc | undefined;

/** The v2 document as gnostic's openapi.v2.Document, encoded from the JSON on
 *  first use; it keeps the JSON's etag, as upstream does (responses vary by Accept). */
export function openapiV2Protobuf(): Doc {
  if (v2Protobuf) return v2Protobuf;
  const json = openapiV2();
  v2Protobuf = { body: encodeOpenApiV2(JSON.parse(json.body.toString('utf8'))), etag: json.etag };
  return v2Protobuf;
}

export function openapiV2(): Doc {
  if (v2) return v2;
  const registry = schemaRegistry();
  const gvks = gvkIndex(registry);
  const definitions: Json = {};
  for (const def of registry.all()) definitions[def.name] = definitionSchema(def, '#/definitions/', false, gvks.get(def.name));
  v2 = toDoc({ swagger: '2.0', info: { title: 'Kubernetes', version: 'v1.32.0' }, paths: {}, definitions });
  return v2;
}

function groupVersionPath(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

const v3Docs = new Map<string, Doc>();

const WRITE_PARAMS = ['dryRun', 'fieldManager', 'fieldValidation'].map((name) => ({ name, in: 'query', schema: { type: 'string', uniqueItems: true } }));

/** Paths and operations per resource: kubectl finds a resource's kind from the
 *  get operation and checks write operations for the fieldValidation parameter. */
function v3Paths(registry: SchemaRegistry, gvPath: string): Json {
  const paths: Json = {};
  for (const r of resources) {
    for (const version of r.versions) {
      if (groupVersionPath(r.group, version) !== gvPath) continue;
      const def = registry.definitionFor(r.group, version, r.kind);
      const list = registry.definitionFor(r.group, version, r.listKind);
      if (!def) continue;
      const gvk = { group: r.group, version, kind: r.kind };
      const ref = (d: Definition | undefined) => ({ '200': { description: 'OK', content: { 'application/json': { schema: { $ref: `#/components/schemas/${(d ?? def).name}` } } } } });
      const op = (action: string, d: Definition | undefined, params: object[] = []) => ({ 'x-kubernetes-action': action, 'x-kubernetes-group-version-kind': gvk, parameters: params, responses: ref(d) });
      const base = `/${gvPath}${r.namespaced ? '/namespaces/{namespace}' : ''}/${r.plural}`;
      paths[base] = { get: op('list', list), post: op('post', def, WRITE_PARAMS), delete: op('deletecollection', undefined) };
      const forceParam = { name: 'force', in: 'query', schema: { type: 'boolean', uniqueItems: true } };
      paths[`${base}/{name}`] = { get: op('get', def), put: op('put', def, WRITE_PARAMS), patch: op('patch', def, [...WRITE_PARAMS, forceParam]), delete: op('delete', undefined, [WRITE_PARAMS[0]]) };
    }
  }
  return paths;
}

export function openapiV3Document(gvPath: string): Doc | undefined {
  const cached = v3Docs.get(gvPath);
  if (cached) return cached;
  const registry = schemaRegistry();
  const gvks = gvkIndex(registry);
  const roots: string[] = [];
  for (const r of resources) {
    for (const v of r.versions) {
      if (groupVersionPath(r.group, v) !== gvPath) continue;
      for (const k of [r.kind, r.listKind]) {
        const def = registry.definitionFor(r.group, v, k);
        if (def) roots.push(def.name);
      }
    }
  }
  if (roots.length === 0) return undefined;
  const schemas: Json = {};
  for (const name of reachable(registry, roots)) {
    const def = registry.definition(name)!;
    const own = (gvks.get(name) ?? []).filter((g) => groupVersionPath(g.group, g.version) === gvPath);
    schemas[name] = definitionSchema(def, '#/components/schemas/', true, own.length ? own : undefined);
  }
  const doc = toDoc({ openapi: '3.0.0', info: { title: 'Kubernetes', version: 'v1.32.0' }, paths: v3Paths(registry, gvPath), components: { schemas } });
  v3Docs.set(gvPath, doc);
  return doc;
}

export function openapiV3Index(): object {
  const paths: Json = {};
  const gvs = new Set<string>();
  for (const r of resources) for (const v of r.versions) gvs.add(groupVersionPath(r.group, v));
  for (const gv of [...gvs].sort()) {
    const doc = openapiV3Document(gv);
    if (doc) paths[gv] = { serverRelativeURL: `/openapi/v3/${gv}?hash=${doc.etag}` };
  }
  return { paths };
}
