// Field sets as server-side apply tracks them (structured-merge-diff's FieldsV1):
// paths of tokens f:<field>, k:{<keys>} (list items by key), v:<value> (set
// items); leaves are owned values, "." marks ownership of a keyed item itself.
import type { SchemaRegistry } from '../schema/schema-types.js';
import { fieldInfo, isSetList, listKeys } from './schema-walk.js';

export type FieldPath = string[];
type Obj = Record<string, unknown>;

const SEP = '\u0000';
export const pathKey = (p: FieldPath): string => p.join(SEP);
export const keyPath = (k: string): FieldPath => (k === '' ? [] : k.split(SEP));

function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

// Server-owned metadata never enters a field set.
const SERVER_META = new Set(['name', 'namespace', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'managedFields', 'selfLink']);

export function itemToken(item: Obj, keys: string[]): string {
  const k: Obj = {};
  for (const key of [...keys].sort()) if (key in item) k[key] = item[key];
  return `k:${JSON.stringify(k)}`;
}

/** Every leaf path of obj; `part` picks the main resource (no status) or the status subresource. */
export function leafPaths(obj: Obj, registry: SchemaRegistry, model: string | undefined, part: 'main' | 'status'): FieldPath[] {
  const out: FieldPath[] = [];
  for (const [key, v] of Object.entries(obj)) {
    if (key === 'apiVersion' || key === 'kind') continue;
    if ((key === 'status') !== (part === 'status')) continue;
    if (key === 'metadata' && isObj(v)) {
      for (const [mk, mv] of Object.entries(v)) {
        if (SERVER_META.has(mk) || mv === undefined) continue;
        walk(mv, ['f:metadata', `f:${mk}`], fieldInfo(registry, 'V1ObjectMeta', mk), registry, out);
      }
      continue;
    }
    walk(v, [`f:${key}`], fieldInfo(registry, model, key), registry, out);
  }
  return out;
}

function walk(v: unknown, path: FieldPath, info: ReturnType<typeof fieldInfo>, registry: SchemaRegistry, out: FieldPath[]): void {
  if (v === undefined) return;
  if (Array.isArray(v)) {
    const keys = listKeys(info.schema);
    if (keys && v.every(isObj)) {
      for (const item of v as Obj[]) {
        const p = [...path, itemToken(item, keys)];
        out.push([...p, '.']);
        for (const [ik, iv] of Object.entries(item)) walk(iv, [...p, `f:${ik}`], fieldInfo(registry, info.model, ik), registry, out);
      }
      return;
    }
    if (isSetList(info.schema)) {
      for (const item of v) out.push([...path, `v:${JSON.stringify(item)}`]);
      return;
    }
    out.push(path); // atomic
    return;
  }
  if (isObj(v) && Object.keys(v).length > 0 && info.kind !== 'scalar') {
    if (info.kind === 'map') {
      for (const [mk, mv] of Object.entries(v)) {
        if (isObj(mv) && info.model) walk(mv, [...path, `f:${mk}`], { schema: undefined, model: info.model, kind: 'object' }, registry, out);
        else out.push([...path, `f:${mk}`]);
      }
      return;
    }
    for (const [k, cv] of Object.entries(v)) walk(cv, [...path, `f:${k}`], fieldInfo(registry, info.model, k), registry, out);
    return;
  }
  out.push(path);
}

export function encodeFieldsV1(paths: FieldPath[]): Obj {
  const root: Obj = {};
  for (const p of paths) {
    let node = root;
    for (const t of p) {
      if (!isObj(node[t])) node[t] = {};
      node = node[t] as Obj;
    }
  }
  return root;
}

export function decodeFieldsV1(fields: unknown): FieldPath[] {
  const out: FieldPath[] = [];
  const rec = (node: unknown, path: FieldPath) => {
    if (!isObj(node)) return;
    const entries = Object.entries(node);
    if (entries.length === 0) {
      if (path.length) out.push(path);
      return;
    }
    for (const [t, child] of entries) rec(child, [...path, t]);
  };
  rec(fields, []);
  return out;
}

/** The value at a field path, or undefined. */
export function valueAt(obj: unknown, path: FieldPath): { found: boolean; value?: unknown } {
  let cur: unknown = obj;
  for (const t of path) {
    if (t === '.') return { found: true, value: cur };
    if (t.startsWith('f:')) {
      if (!isObj(cur) || !(t.slice(2) in cur)) return { found: false };
      cur = cur[t.slice(2)];
    } else if (t.startsWith('k:')) {
      if (!Array.isArray(cur)) return { found: false };
      const want = JSON.parse(t.slice(2)) as Obj;
      cur = cur.find((e) => isObj(e) && Object.entries(want).every(([k, v]) => JSON.stringify(e[k]) === JSON.stringify(v)));
      if (cur === undefined) return { found: false };
    } else if (t.startsWith('v:')) {
      if (!Array.isArray(cur)) return { found: false };
      const s = t.slice(2);
      const hit = cur.find((e) => JSON.stringify(e) === s);
      if (hit === undefined) return { found: false };
      cur = hit;
    }
  }
  return { found: true, value: cur };
}

/** Removes the value at a path (a keyed item when the path ends with "."). */
export function removeAt(obj: unknown, path: FieldPath): void {
  const p = path[path.length - 1] === '.' ? path.slice(0, -1) : path;
  if (p.length === 0) return;
  const parent = valueAt(obj, p.slice(0, -1));
  if (!parent.found) return;
  const t = p[p.length - 1];
  const pv = parent.value;
  if (t.startsWith('f:') && isObj(pv)) delete pv[t.slice(2)];
  else if ((t.startsWith('k:') || t.startsWith('v:')) && Array.isArray(pv)) {
    const target = valueAt(pv, [t]).value;
    const i = pv.indexOf(target);
    if (i >= 0) pv.splice(i, 1);
  }
}
