// Upstream's LimitRanger admission as pure functions: a new pod's containers get
// the default requests and limits of the namespace's Container-type limits, then
// the pod is checked against every item's min, max and maxLimitRequestRatio (per
// Container and for the Pod as a whole); a PVC against PersistentVolumeClaim
// min/max storage. Messages are upstream's, word for word, so users find them.
import type { KubeObject } from '../object.js';
import { addQuantity, compareQuantity, formatQuantity, milliValue, tryParseQuantity, type Quantity } from '../resource-quantity.js';

type Obj = Record<string, any>;
type ResourceList = Record<string, string>;

interface LimitItem {
  type: string;
  min?: ResourceList;
  max?: ResourceList;
  default?: ResourceList;
  defaultRequest?: ResourceList;
  maxLimitRequestRatio?: ResourceList;
}

const itemsOf = (ranges: KubeObject[]): LimitItem[] => ranges.flatMap((r) => ((r.spec as Obj | undefined)?.limits ?? []) as LimitItem[]);

const allContainers = (pod: KubeObject): Obj[] => {
  const spec = (pod.spec ?? {}) as Obj;
  return [...(spec.initContainers ?? []), ...(spec.containers ?? [])];
};

/**
 * The LimitRange's own defaults, as upstream's API defaulting: for Container items
 * the default limit is the max, and the default request the default limit, else the min.
 */
export function defaultLimitRange(o: KubeObject): void {
  for (const item of ((o.spec as Obj | undefined)?.limits ?? []) as LimitItem[]) {
    if (item.type !== 'Container') continue;
    const def = (item.default ??= {});
    const req = (item.defaultRequest ??= {});
    for (const [k, v] of Object.entries(item.max ?? {})) def[k] ??= v;
    for (const [k, v] of Object.entries(def)) req[k] ??= v;
    for (const [k, v] of Object.entries(item.min ?? {})) req[k] ??= v;
  }
}

/**
 * Fills missing requests (defaultRequest) and limits (default) of every container;
 * returns the annotation text upstream leaves on the pod ("" when nothing was set).
 */
export function applyLimitRangeDefaults(pod: KubeObject, ranges: KubeObject[]): string {
  const defaults: ResourceList = {};
  const defaultRequests: ResourceList = {};
  for (const item of itemsOf(ranges)) {
    if (item.type !== 'Container') continue;
    Object.assign(defaults, item.default ?? {});
    Object.assign(defaultRequests, item.defaultRequest ?? {});
  }
  const notes: string[] = [];
  const spec = (pod.spec ?? {}) as Obj;
  const fill = (c: Obj, what: string) => {
    const res = (c.resources ??= {}) as Obj;
    const set = (field: 'requests' | 'limits', from: ResourceList) => {
      const names: string[] = [];
      for (const [name, q] of Object.entries(from)) {
        if (res[field]?.[name] !== undefined) continue;
        (res[field] ??= {})[name] = q;
        names.push(name);
      }
      if (names.length) notes.push(`${names.sort().join(', ')} ${field === 'requests' ? 'request' : 'limit'} for ${what} ${c.name}`);
    };
    set('requests', defaultRequests);
    set('limits', defaults);
  };
  for (const c of spec.initContainers ?? []) fill(c, 'init container');
  for (const c of spec.containers ?? []) fill(c, 'container');
  if (!notes.length) return '';
  const text = `LimitRanger plugin set: ${notes.join('; ')}`;
  pod.metadata.annotations = { ...(pod.metadata.annotations ?? {}), 'kubernetes.io/limit-ranger': text };
  return text;
}

function quantities(list: ResourceList | undefined): Record<string, Quantity> {
  const out: Record<string, Quantity> = {};
  for (const [k, v] of Object.entries(list ?? {})) {
    const q = tryParseQuantity(v);
    if (q) out[k] = q;
  }
  return out;
}

function minConstraint(kind: string, name: string, enforced: Quantity, req: Record<string, Quantity>, lim: Record<string, Quantity>): string | undefined {
  const e = formatQuantity(enforced);
  if (!req[name]) return `minimum ${name} usage per ${kind} is ${e}.  No request is specified`;
  if (compareQuantity(req[name]!, enforced) < 0) return `minimum ${name} usage per ${kind} is ${e}, but request is ${formatQuantity(req[name]!)}`;
  if (lim[name] && compareQuantity(lim[name]!, enforced) < 0) return `minimum ${name} usage per ${kind} is ${e}, but limit is ${formatQuantity(lim[name]!)}`;
  return undefined;
}

function maxConstraint(kind: string, name: string, enforced: Quantity, req: Record<string, Quantity>, lim: Record<string, Quantity>): string | undefined {
  const e = formatQuantity(enforced);
  if (!lim[name]) return `maximum ${name} usage per ${kind} is ${e}.  No limit is specified`;
  if (compareQuantity(lim[name]!, enforced) > 0) return `maximum ${name} usage per ${kind} is ${e}, but limit is ${formatQuantity(lim[name]!)}`;
  if (req[name] && compareQuantity(req[name]!, enforced) > 0) return `maximum ${name} usage per ${kind} is ${e}, but request is ${formatQuantity(req[name]!)}`;
  return undefined;
}

function ratioConstraint(kind: string, name: string, enforced: Quantity, req: Record<string, Quantity>, lim: Record<string, Quantity>): string | undefined {
  const e = formatQuantity(enforced);
  const r = req[name] ? milliValue(req[name]!) : 0n;
  const l = lim[name] ? milliValue(lim[name]!) : 0n;
  if (r === 0n) return `${name} max limit to request ratio per ${kind} is ${e}, but no request is specified or request is 0`;
  if (l === 0n) return `${name} max limit to request ratio per ${kind} is ${e}, but no limit is specified or limit is 0`;
  const observed = Number(l) / Number(r);
  if (observed * 1000 > Number(milliValue(enforced))) return `${name} max limit to request ratio per ${kind} is ${e}, but provided ratio is ${observed.toFixed(6)}`;
  return undefined;
}

function check(item: LimitItem, kind: string, req: Record<string, Quantity>, lim: Record<string, Quantity>): string[] {
  const out: string[] = [];
  for (const [name, q] of Object.entries(quantities(item.min))) out.push(minConstraint(kind, name, q, req, lim) ?? '');
  for (const [name, q] of Object.entries(quantities(item.max))) out.push(maxConstraint(kind, name, q, req, lim) ?? '');
  for (const [name, q] of Object.entries(quantities(item.maxLimitRequestRatio))) out.push(ratioConstraint(kind, name, q, req, lim) ?? '');
  return out.filter(Boolean);
}

/** Sum of a resource list over containers (the Pod-type figures). */
function sum(lists: Array<Record<string, Quantity>>): Record<string, Quantity> {
  const out: Record<string, Quantity> = {};
  for (const l of lists) for (const [k, v] of Object.entries(l)) out[k] = out[k] ? addQuantity(out[k]!, v) : v;
  return out;
}

/** Every violation of the ranges by the pod, in upstream's words; empty when it may be created. */
export function podLimitViolations(pod: KubeObject, ranges: KubeObject[]): string[] {
  const out: string[] = [];
  const containers = ((pod.spec as Obj | undefined)?.containers ?? []) as Obj[];
  for (const item of itemsOf(ranges)) {
    if (item.type === 'Container') {
      for (const c of allContainers(pod)) out.push(...check(item, 'Container', quantities(c.resources?.requests), quantities(c.resources?.limits)));
    } else if (item.type === 'Pod') {
      out.push(...check(item, 'Pod', sum(containers.map((c) => quantities(c.resources?.requests))), sum(containers.map((c) => quantities(c.resources?.limits)))));
    }
  }
  return out;
}

/** A claim's requested storage against PersistentVolumeClaim items (its limits are not user input there). */
export function pvcLimitViolations(pvc: KubeObject, ranges: KubeObject[]): string[] {
  const req = quantities(((pvc.spec as Obj | undefined)?.resources ?? {}).requests);
  const out: string[] = [];
  for (const item of itemsOf(ranges)) {
    if (item.type !== 'PersistentVolumeClaim') continue;
    for (const [name, q] of Object.entries(quantities(item.min))) out.push(minConstraint('PersistentVolumeClaim', name, q, req, {}) ?? '');
    for (const [name, q] of Object.entries(quantities(item.max))) {
      const e = formatQuantity(q);
      if (!req[name]) out.push(`maximum ${name} usage per PersistentVolumeClaim is ${e}.  No request is specified`);
      else if (compareQuantity(req[name]!, q) > 0) out.push(`maximum ${name} usage per PersistentVolumeClaim is ${e}, but request is ${formatQuantity(req[name]!)}`);
    }
  }
  return out.filter(Boolean);
}

/** Upstream joins several errors as "[a, b]" (an aggregate), one error stands alone. */
export function aggregate(messages: string[]): string {
  return messages.length === 1 ? messages[0]! : `[${messages.join(', ')}]`;
}

