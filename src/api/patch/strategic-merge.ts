// Strategic merge patch (k8s.io/apimachinery/pkg/util/strategicpatch semantics):
// lists tagged patchStrategy=merge merge by their patchMergeKey (or as sets for
// primitives), other lists are replaced; directives $patch, $retainKeys,
// $deleteFromPrimitiveList/<f> and $setElementOrder/<f>; null deletes a key.
import { errors } from '../errors.js';
import type { SchemaRegistry } from '../schema/schema-types.js';
import { fieldInfo } from './schema-walk.js';

type Obj = Record<string, unknown>;

const DELETE_PRIMITIVE = '$deleteFromPrimitiveList/';
const SET_ORDER = '$setElementOrder/';

function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export function applyStrategicMergePatch(original: unknown, patch: unknown, registry: SchemaRegistry, model: string | undefined): unknown {
  if (!isObj(patch)) throw errors.badRequest('strategic merge patch must be a JSON object');
  return mergeMap(isObj(original) ? original : {}, patch, registry, model);
}

function mergeMap(original: Obj, patch: Obj, registry: SchemaRegistry, model: string | undefined): Obj {
  const directive = patch.$patch;
  if (directive === 'replace') {
    const { $patch: _p, ...rest } = patch;
    return stripDirectives(rest) as Obj;
  }
  if (directive === 'delete') return {};
  if (directive !== undefined && directive !== 'merge') throw errors.badRequest(`Unknown patch type: ${String(directive)}`);

  const result: Obj = { ...original };
  const retainKeys = patch.$retainKeys;
  for (const [key, pv] of Object.entries(patch)) {
    if (key === '$patch' || key === '$retainKeys') continue;
    if (key.startsWith(DELETE_PRIMITIVE)) {
      const field = key.slice(DELETE_PRIMITIVE.length);
      if (!Array.isArray(pv)) throw errors.badRequest(`${key} must be a list`);
      const cur = result[field];
      if (Array.isArray(cur)) {
        const drop = new Set(pv.map((v) => JSON.stringify(v)));
        result[field] = cur.filter((v) => !drop.has(JSON.stringify(v)));
      }
      continue;
    }
    if (key.startsWith(SET_ORDER)) continue; // applied after merging
    if (pv === null) {
      delete result[key];
      continue;
    }
    const info = fieldInfo(registry, model, key);
    const ov = result[key];
    if (Array.isArray(pv)) {
      result[key] = mergeList(Array.isArray(ov) ? ov : [], pv, info, registry);
    } else if (isObj(pv)) {
      if (info.kind === 'map') {
        // map[string]T: merge per key; values of struct type merge further
        const base = isObj(ov) ? ov : {};
        const out: Obj = { ...base };
        for (const [mk, mv] of Object.entries(pv)) {
          if (mk === '$patch') continue;
          if (mv === null) delete out[mk];
          else out[mk] = isObj(mv) && info.model ? mergeMap(isObj(base[mk]) ? (base[mk] as Obj) : {}, mv, registry, info.model) : stripDirectives(mv);
        }
        result[key] = pv.$patch === 'replace' ? stripDirectives(pv) : out;
      } else {
        result[key] = mergeMap(isObj(ov) ? ov : {}, pv, registry, info.model);
      }
    } else {
      result[key] = pv;
    }
  }
  for (const [key, order] of Object.entries(patch)) {
    if (!key.startsWith(SET_ORDER) || !Array.isArray(order)) continue;
    const field = key.slice(SET_ORDER.length);
    const list = result[field];
    if (Array.isArray(list)) result[field] = applyOrder(list, order, fieldInfo(registry, model, field));
  }
  if (retainKeys !== undefined) {
    if (!Array.isArray(retainKeys)) throw errors.badRequest('$retainKeys must be a list');
    for (const k of Object.keys(result)) if (!retainKeys.includes(k)) delete result[k];
  }
  return result;
}

function mergeKeyOf(info: ReturnType<typeof fieldInfo>): string | undefined {
  const s = info.schema;
  if (!s?.patchStrategy?.includes('merge')) return undefined;
  return s.patchMergeKey;
}

function mergeList(original: unknown[], patch: unknown[], info: ReturnType<typeof fieldInfo>, registry: SchemaRegistry): unknown[] {
  const strategy = info.schema?.patchStrategy ?? '';
  // a list element {$patch: replace} replaces the whole list with the other elements
  if (patch.some((e) => isObj(e) && e.$patch === 'replace' && Object.keys(e).length === 1)) {
    return patch.filter((e) => !(isObj(e) && e.$patch === 'replace')).map(stripDirectives);
  }
  if (!strategy.includes('merge')) return patch.map(stripDirectives);
  const key = mergeKeyOf(info);
  if (!key) {
    // primitives merged as a set; {$patch: delete} elements are not meaningful here
    const out = [...original];
    const seen = new Set(out.map((v) => JSON.stringify(v)));
    for (const v of patch) {
      const s = JSON.stringify(v);
      if (!seen.has(s)) {
        seen.add(s);
        out.push(v);
      }
    }
    return out;
  }
  const out = original.map((e) => e);
  for (const pe of patch) {
    if (!isObj(pe)) throw errors.badRequest(`the list elements of a merge list must be objects with key ${key}`);
    if (!(key in pe)) throw errors.badRequest(`map: ${JSON.stringify(pe)} does not contain declared merge key: ${key}`);
    const idx = out.findIndex((oe) => isObj(oe) && JSON.stringify(oe[key]) === JSON.stringify(pe[key]));
    if (pe.$patch === 'delete') {
      if (idx >= 0) out.splice(idx, 1);
      continue;
    }
    if (idx >= 0) out[idx] = mergeMap(out[idx] as Obj, pe, registry, info.model);
    else out.push(mergeMap({}, pe, registry, info.model));
  }
  return out;
}

function applyOrder(list: unknown[], order: unknown[], info: ReturnType<typeof fieldInfo>): unknown[] {
  const key = mergeKeyOf(info);
  const id = (v: unknown) => JSON.stringify(key && isObj(v) ? v[key] : v);
  const orderIds = order.map((o) => JSON.stringify(key && isObj(o) ? o[key] : o));
  const pos = new Map(orderIds.map((o, i) => [o, i]));
  const ordered = list.filter((v) => pos.has(id(v))).sort((a, b) => pos.get(id(a))! - pos.get(id(b))!);
  const rest = list.filter((v) => !pos.has(id(v)));
  return [...ordered, ...rest];
}

function stripDirectives(v: unknown): unknown {
  if (Array.isArray(v)) return v.filter((e) => !(isObj(e) && e.$patch === 'delete')).map(stripDirectives);
  if (!isObj(v)) return v;
  const out: Obj = {};
  for (const [k, x] of Object.entries(v)) {
    if (k === '$patch' || k === '$retainKeys' || k.startsWith(SET_ORDER) || k.startsWith(DELETE_PRIMITIVE)) continue;
    out[k] = stripDirectives(x);
  }
  return out;
}
