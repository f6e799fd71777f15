// Server-side apply: merge the applied configuration into the live object by
// the schema's list semantics, detect conflicts with other managers' fields,
// remove fields the applier stopped declaring (when nobody else owns them), and
// record the applier's field set.
import { ApiError, errors, type StatusCause } from '../errors.js';
import { metaTime, type KubeObject, type ManagedFieldsEntry } from '../object.js';
import type { SchemaRegistry } from '../schema/schema-types.js';
import { decodeFieldsV1, encodeFieldsV1, leafPaths, pathKey, removeAt, valueAt, type FieldPath } from './field-set.js';
import { fieldInfo, isSetList, listKeys } from './schema-walk.js';

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export interface ApplyContext {
  registry: SchemaRegistry;
  model: string | undefined;
  apiVersion: string;
  manager: string;
  force: boolean;
  subresource?: string;
}

/** Upstream prints field paths like .spec.containers[name="x"].image */
export function printPath(p: FieldPath): string {
  let s = '';
  for (const t of p) {
    if (t === '.') continue;
    if (t.startsWith('f:')) s += `.${t.slice(2)}`;
    else if (t.startsWith('k:')) {
      const k = JSON.parse(t.slice(2)) as Obj;
      s += `[${Object.entries(k).map(([a, b]) => `${a}=${JSON.stringify(b)}`).join(',')}]`;
    } else if (t.startsWith('v:')) s += `[=${t.slice(2)}]`;
  }
  return s;
}

export function serverSideApply(live: KubeObject, applied: KubeObject, ctx: ApplyContext): KubeObject {
  const part = ctx.subresource === 'status' ? 'status' : 'main';
  const subresource = ctx.subresource === 'status' ? 'status' : undefined;
  const appliedPaths = leafPaths(applied, ctx.registry, ctx.model, part);
  const appliedKeys = new Set(appliedPaths.map(pathKey));
  const entries: ManagedFieldsEntry[] = structuredClone(live.metadata.managedFields ?? []);

  // conflicts: another manager owns a field we set, with a different value
  const conflicts: Array<{ manager: string; apiVersion?: string; path: FieldPath; entry: number }> = [];
  let previous: FieldPath[] = [];
  entries.forEach((e, i) => {
    const isMine = e.manager === ctx.manager && e.operation === 'Apply' && (e.subresource ?? undefined) === subresource;
    const paths = decodeFieldsV1(e.fieldsV1);
    if (isMine) {
      previous = paths;
      return;
    }
    for (const p of paths) {
      if (!appliedKeys.has(pathKey(p))) continue;
      const a = valueAt(applied, p);
      const l = valueAt(live, p);
      if (p[p.length - 1] === '.') continue;
      if (JSON.stringify(a.value) !== JSON.stringify(l.value)) conflicts.push({ manager: e.manager ?? '', apiVersion: e.apiVersion, path: p, entry: i });
    }
  });
  if (conflicts.length && !ctx.force) {
    const causes: StatusCause[] = conflicts.map((c) => ({
      reason: 'FieldManagerConflict',
      message: `conflict with "${c.manager}"${c.apiVersion ? ` using ${c.apiVersion}` : ''}`,
      field: printPath(c.path),
    }));
    const lines = conflicts.map((c) => `- ${c.manager}${c.apiVersion ? ` ${c.apiVersion}` : ''}: ${printPath(c.path)}`);
    const head = conflicts.length === 1 ? `Apply failed with 1 conflict: conflict with "${conflicts[0].manager}"${conflicts[0].apiVersion ? ` using ${conflicts[0].apiVersion}` : ''}: ${printPath(conflicts[0].path)}` : `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
    throw new ApiError(409, 'Conflict', head, { causes });
  }

  // merge, then drop what this manager no longer declares and nobody else owns
  const merged = mergeApplied(structuredClone(live) as Obj, applied as Obj, ctx.registry, ctx.model, true) as KubeObject;
  const forced = new Map<number, Set<string>>();
  for (const c of conflicts) {
    if (!forced.has(c.entry)) forced.set(c.entry, new Set());
    forced.get(c.entry)!.add(pathKey(c.path));
  }
  const othersOwned = new Set<string>();
  const nextEntries: ManagedFieldsEntry[] = [];
  entries.forEach((e, i) => {
    const isMine = e.manager === ctx.manager && e.operation === 'Apply' && (e.subresource ?? undefined) === subresource;
    if (isMine) return;
    const drop = forced.get(i);
    const paths = decodeFieldsV1(e.fieldsV1).filter((p) => !drop?.has(pathKey(p)));
    for (const p of paths) othersOwned.add(pathKey(p));
    if (paths.length) nextEntries.push({ ...e, fieldsV1: encodeFieldsV1(paths) });
  });
  const removed = previous.filter((p) => !appliedKeys.has(pathKey(p)) && !othersOwned.has(pathKey(p)));
  // deepest first, so removing an item does not hide its fields' removal
  removed.sort((a, b) => b.length - a.length);
  for (const p of removed) {
    // a keyed item goes only if nobody owns anything beneath it any more
    if (p[p.length - 1] === '.') {
      const prefix = pathKey(p.slice(0, -1));
      if ([...othersOwned, ...appliedKeys].some((k) => k.startsWith(prefix))) continue;
    }
    removeAt(merged, p);
  }
  const entry: ManagedFieldsEntry = { manager: ctx.manager, operation: 'Apply', apiVersion: ctx.apiVersion, time: metaTime(), fieldsType: 'FieldsV1', fieldsV1: encodeFieldsV1(appliedPaths) };
  if (subresource) entry.subresource = subresource;
  nextEntries.push(entry);
  merged.metadata = { ...merged.metadata, managedFields: nextEntries };
  return merged;
}

function mergeApplied(live: Obj, applied: Obj, registry: SchemaRegistry, model: string | undefined, top: boolean): Obj {
  for (const [k, av] of Object.entries(applied)) {
    if (top && k === 'metadata' && isObj(av)) {
      const lm = isObj(live.metadata) ? live.metadata : {};
      for (const [mk, mv] of Object.entries(av)) {
        if (mk === 'managedFields' || mk === 'resourceVersion' || mk === 'uid' || mk === 'creationTimestamp' || mk === 'generation') continue;
        lm[mk] = mergeValue(lm[mk], mv, fieldInfo(registry, 'V1ObjectMeta', mk), registry);
      }
      live.metadata = lm;
      continue;
    }
    live[k] = mergeValue(live[k], av, fieldInfo(registry, model, k), registry);
  }
  return live;
}

function mergeValue(lv: unknown, av: unknown, info: ReturnType<typeof fieldInfo>, registry: SchemaRegistry): unknown {
  if (av === null) return undefined;
  if (Array.isArray(av)) {
    const keys = listKeys(info.schema);
    const base = Array.isArray(lv) ? [...lv] : [];
    if (keys && av.every(isObj)) {
      for (const item of av as Obj[]) {
        const idx = base.findIndex((e) => isObj(e) && keys.every((k) => JSON.stringify(e[k]) === JSON.stringify(item[k])));
        if (idx >= 0) base[idx] = mergeApplied(structuredClone(base[idx]) as Obj, item, registry, info.model, false);
        else base.push(structuredClone(item));
      }
      return base;
    }
    if (isSetList(info.schema)) {
      const seen = new Set(base.map((v) => JSON.stringify(v)));
      for (const v of av) if (!seen.has(JSON.stringify(v))) base.push(v);
      return base;
    }
    return structuredClone(av);
  }
  if (isObj(av)) {
    if (info.kind === 'scalar' || (info.schema?.schema.type === 'any')) return structuredClone(av);
    const base = isObj(lv) ? { ...lv } : {};
    if (info.kind === 'map') {
      for (const [mk, mv] of Object.entries(av)) base[mk] = isObj(mv) && info.model ? mergeApplied(isObj(base[mk]) ? { ...(base[mk] as Obj) } : {}, mv, registry, info.model, false) : mv;
      return base;
    }
    return mergeApplied(base, av, registry, info.model, false);
  }
  return av;
}

export function parseApplyBody(body: Buffer | string, parseYaml: (s: string) => unknown): KubeObject {
  const text = typeof body === 'string' ? body : body.toString('utf8');
  const value = parseYaml(text);
  if (!isObj(value)) throw errors.badRequest('the apply patch must be a YAML or JSON object');
  return value as KubeObject;
}
