// ResourceQuota and LimitRange validation, as upstream's ValidateResourceQuota
// and ValidateLimitRange: resource names that quota can count, quantities that
// parse and are not negative (whole numbers for object counts), known scopes
// that do not contradict each other, and limit ranges whose min, defaults and
// max are in order. Admission (src/api/quota) relies on these holding.
import { field, type StatusCause } from '../errors.js';
import type { KubeObject } from '../object.js';
import { compareQuantity, tryParseQuantity, type Quantity } from '../resource-quantity.js';

type Obj = Record<string, any>;

const SCOPES = ['Terminating', 'NotTerminating', 'BestEffort', 'NotBestEffort', 'PriorityClass', 'CrossNamespacePodAffinity'];
const CONFLICTING: Array<[string, string]> = [
  ['Terminating', 'NotTerminating'],
  ['BestEffort', 'NotBestEffort'],
];
const OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'];
/** counted objects: their hard limits must be whole numbers */
const COUNTS = new Set(['pods', 'services', 'replicationcontrollers', 'resourcequotas', 'secrets', 'configmaps', 'persistentvolumeclaims', 'services.nodeports', 'services.loadbalancers']);
// a (optionally prefixed) qualified name, as upstream's IsQualifiedName, plus count/<resource>[.<group>]
const QUALIFIED = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

const isCount = (name: string) => COUNTS.has(name) || name.startsWith('count/');

function quantity(path: string, v: unknown, whole: boolean): { q?: Quantity; errs: StatusCause[] } {
  const q = tryParseQuantity(v);
  if (!q) return { errs: [field.invalid(path, v, "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'")] };
  if (q.nano < 0n) return { errs: [field.invalid(path, v, 'must be greater than or equal to 0')] };
  if (whole && q.nano % 1_000_000_000n !== 0n) return { errs: [field.invalid(path, v, 'must be an integer')] };
  return { q, errs: [] };
}

function resourceList(list: unknown, path: string, countsWhole: boolean): { values: Map<string, Quantity>; errs: StatusCause[] } {
  const values = new Map<string, Quantity>();
  const errs: StatusCause[] = [];
  if (list === undefined || list === null) return { values, errs };
  for (const [name, v] of Object.entries(list as Obj)) {
    const p = `${path}[${name}]`;
    if (!QUALIFIED.test(name) && !/^count\/[a-z0-9.-]+$/.test(name)) {
      errs.push(field.invalid(p, name, 'must be a standard resource type or fully qualified'));
      continue;
    }
    const r = quantity(p, v, countsWhole && isCount(name));
    errs.push(...r.errs);
    if (r.q) values.set(name, r.q);
  }
  return { values, errs };
}

export function validateResourceQuota(o: KubeObject): StatusCause[] {
  const spec = (o.spec ?? {}) as Obj;
  const errs = resourceList(spec.hard, 'spec.hard', true).errs;
  const scopes = (spec.scopes ?? []) as unknown[];
  scopes.forEach((s, i) => {
    if (typeof s !== 'string' || !SCOPES.includes(s)) errs.push(field.notSupported(`spec.scopes[${i}]`, s, SCOPES));
  });
  const exprs = ((spec.scopeSelector as Obj | undefined)?.matchExpressions ?? []) as Obj[];
  exprs.forEach((e, i) => {
    const p = `spec.scopeSelector.matchExpressions[${i}]`;
    if (!SCOPES.includes(e.scopeName)) errs.push(field.notSupported(`${p}.scopeName`, e.scopeName, SCOPES));
    if (!OPERATORS.includes(e.operator)) errs.push(field.notSupported(`${p}.operator`, e.operator, OPERATORS));
    const values = (e.values ?? []) as unknown[];
    if ((e.operator === 'In' || e.operator === 'NotIn') && values.length === 0) errs.push(field.required(`${p}.values`, 'must be at least one value when `operator` is \'In\' or \'NotIn\' for scope selector'));
    if ((e.operator === 'Exists' || e.operator === 'DoesNotExist') && values.length > 0) errs.push(field.invalid(`${p}.values`, values, 'must be no value when `operator` is \'Exist\' or \'DoesNotExist\' for scope selector'));
  });
  const all = [...scopes, ...exprs.map((e) => e.scopeName)].filter((s): s is string => typeof s === 'string');
  for (const [a, b] of CONFLICTING) {
    if (all.includes(a) && all.includes(b)) errs.push(field.invalid('spec.scopes', all, `conflicting scopes: ${a} and ${b}`));
  }
  return errs;
}

/** "x value A is greater than y value B", as upstream words the order checks */
function order(errs: StatusCause[], path: string, lowName: string, low: Quantity | undefined, lowRaw: unknown, highName: string, high: Quantity | undefined, highRaw: unknown): void {
  if (low && high && compareQuantity(low, high) > 0) errs.push(field.invalid(path, lowRaw, `${lowName} value ${String(lowRaw)} is greater than ${highName} value ${String(highRaw)}`));
}

export function validateLimitRange(o: KubeObject): StatusCause[] {
  const errs: StatusCause[] = [];
  const limits = ((o.spec as Obj | undefined)?.limits ?? []) as Obj[];
  limits.forEach((l, i) => {
    const p = `spec.limits[${i}]`;
    if (!l.type) errs.push(field.required(`${p}.type`));
    const min = resourceList(l.min, `${p}.min`, false);
    const max = resourceList(l.max, `${p}.max`, false);
    const def = resourceList(l.default, `${p}.default`, false);
    const defReq = resourceList(l.defaultRequest, `${p}.defaultRequest`, false);
    const ratio = resourceList(l.maxLimitRequestRatio, `${p}.maxLimitRequestRatio`, false);
    errs.push(...min.errs, ...max.errs, ...def.errs, ...defReq.errs, ...ratio.errs);
    if (l.type === 'Pod') {
      if (def.values.size) errs.push(field.forbidden(`${p}.default`, "may not be specified when `type` is 'Pod'"));
      if (defReq.values.size) errs.push(field.forbidden(`${p}.defaultRequest`, "may not be specified when `type` is 'Pod'"));
    }
    const names = new Set([...min.values.keys(), ...max.values.keys(), ...def.values.keys(), ...defReq.values.keys()]);
    for (const n of names) {
      const raw = (k: string) => (l[k] as Obj | undefined)?.[n];
      order(errs, `${p}.min[${n}]`, 'min', min.values.get(n), raw('min'), 'max', max.values.get(n), raw('max'));
      order(errs, `${p}.defaultRequest[${n}]`, 'min', min.values.get(n), raw('min'), 'default request', defReq.values.get(n), raw('defaultRequest'));
      order(errs, `${p}.defaultRequest[${n}]`, 'default request', defReq.values.get(n), raw('defaultRequest'), 'max', max.values.get(n), raw('max'));
      order(errs, `${p}.default[${n}]`, 'min', min.values.get(n), raw('min'), 'default', def.values.get(n), raw('default'));
      order(errs, `${p}.default[${n}]`, 'default', def.values.get(n), raw('default'), 'max', max.values.get(n), raw('max'));
      order(errs, `${p}.defaultRequest[${n}]`, 'default request', defReq.values.get(n), raw('defaultRequest'), 'default limit', def.values.get(n), raw('default'));
    }
    for (const [n, q] of ratio.values) {
      if (q.nano < 1_000_000_000n) errs.push(field.invalid(`${p}.maxLimitRequestRatio[${n}]`, l.maxLimitRequestRatio[n], `ratio ${String(l.maxLimitRequestRatio[n])} is less than 1`));
    }
  });
  return errs;
}
