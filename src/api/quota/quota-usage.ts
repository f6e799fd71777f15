// What an object counts against a ResourceQuota, as upstream's quota evaluators
// (pkg/quota/v1/evaluator/core): a pod its count and compute requests/limits
// while not terminal, a service its count and load balancers/node ports, a claim
// its count and storage, anything else count/<resource>. Also the quota scopes,
// the "must specify" check for compute quotas, and the exceeded-quota check.
import type { KubeObject } from '../object.js';
import { addQuantity, compareQuantity, formatQuantity, parseQuantity, subtractQuantity, tryParseQuantity, zeroQuantity, type Quantity } from '../resource-quantity.js';
import { isTerminalPod } from '../kinds/pod-phase.js';

type Obj = Record<string, any>;
export type Usage = Record<string, Quantity>;

const one = (): Quantity => parseQuantity('1');

/** "pods", "services.apps"-style names of count/<resource> (core resources have no group). */
export const countName = (plural: string, group: string) => `count/${group ? `${plural}.${group}` : plural}`;


function podResources(pod: KubeObject, field: 'requests' | 'limits'): Usage {
  // containers add up; an init container runs alone, so the larger of the two wins (upstream's PodRequests)
  const spec = (pod.spec ?? {}) as Obj;
  const out: Usage = {};
  for (const c of spec.containers ?? []) {
    for (const [k, v] of Object.entries((c.resources?.[field] ?? {}) as Record<string, string>)) {
      const q = tryParseQuantity(v);
      if (q) out[k] = out[k] ? addQuantity(out[k]!, q) : q;
    }
  }
  for (const c of spec.initContainers ?? []) {
    for (const [k, v] of Object.entries((c.resources?.[field] ?? {}) as Record<string, string>)) {
      const q = tryParseQuantity(v);
      if (q && (!out[k] || compareQuantity(q, out[k]!) > 0)) out[k] = q;
    }
  }
  if (spec.overhead) {
    for (const [k, v] of Object.entries(spec.overhead as Record<string, string>)) {
      const q = tryParseQuantity(v);
      if (q && out[k]) out[k] = addQuantity(out[k]!, q);
    }
  }
  return out;
}

/** Usage of one object of the given resource (plural, group); empty for a terminal pod. */
export function usageOf(plural: string, group: string, obj: KubeObject): Usage {
  const u: Usage = { [countName(plural, group)]: one() };
  if (group !== '') return u;
  const spec = (obj.spec ?? {}) as Obj;
  switch (plural) {
    case 'pods': {
      if (isTerminalPod(obj)) return {};
      u.pods = one();
      const req = podResources(obj, 'requests');
      const lim = podResources(obj, 'limits');
      for (const [k, v] of Object.entries(req)) {
        u[`requests.${k}`] = v;
        // the bare names are the requests, as upstream
        if (k === 'cpu' || k === 'memory' || k === 'ephemeral-storage') u[k] = v;
      }
      for (const [k, v] of Object.entries(lim)) u[`limits.${k}`] = v;
      return u;
    }
    case 'services':
      u.services = one();
      if (spec.type === 'LoadBalancer') u['services.loadbalancers'] = one();
      // every port of a NodePort or LoadBalancer service takes a node port
      if (spec.type === 'LoadBalancer' || spec.type === 'NodePort') u['services.nodeports'] = parseQuantity(String((spec.ports ?? []).length));
      return u;
    case 'persistentvolumeclaims': {
      u.persistentvolumeclaims = one();
      const storage = tryParseQuantity(spec.resources?.requests?.storage);
      if (storage) u['requests.storage'] = storage;
      return u;
    }
    case 'configmaps':
    case 'secrets':
    case 'replicationcontrollers':
    case 'resourcequotas':
      u[plural] = one();
      return u;
    default:
      return u;
  }
}

const isBestEffort = (pod: KubeObject) =>
  [...(((pod.spec as Obj | undefined)?.containers ?? []) as Obj[]), ...(((pod.spec as Obj | undefined)?.initContainers ?? []) as Obj[])].every(
    (c) => !Object.keys(c.resources?.requests ?? {}).length && !Object.keys(c.resources?.limits ?? {}).length,
  );

/** Whether the quota's scopes (all of them) take this object in; scoped quotas see only pods. */
export function matchesScopes(quota: KubeObject, plural: string, group: string, obj: KubeObject): boolean {
  const spec = (quota.spec ?? {}) as Obj;
  const scopes: string[] = [...(spec.scopes ?? []), ...((spec.scopeSelector?.matchExpressions ?? []) as Obj[]).filter((e) => e.operator === 'Exists').map((e) => e.scopeName)];
  if (!scopes.length) return true;
  if (plural !== 'pods' || group !== '') return false;
  const podSpec = (obj.spec ?? {}) as Obj;
  return scopes.every((s) => {
    switch (s) {
      case 'Terminating':
        return podSpec.activeDeadlineSeconds !== undefined && podSpec.activeDeadlineSeconds !== null;
      case 'NotTerminating':
        return podSpec.activeDeadlineSeconds === undefined || podSpec.activeDeadlineSeconds === null;
      case 'BestEffort':
        return isBestEffort(obj);
      case 'NotBestEffort':
        return !isBestEffort(obj);
      default:
        return false;
    }
  });
}

/** The usage restricted to what the quota limits. */
export function constrained(usage: Usage, hard: Record<string, string>): Usage {
  const out: Usage = {};
  for (const k of Object.keys(hard)) if (usage[k]) out[k] = usage[k]!;
  return out;
}

export function addUsage(a: Usage, b: Usage): Usage {
  const out: Usage = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = out[k] ? addQuantity(out[k]!, v) : v;
  return out;
}

/** What an update adds: next minus previous, only where it grew (upstream's SubtractWithNonNegativeResult). */
export function growth(next: Usage, previous: Usage): Usage {
  const out: Usage = {};
  for (const [k, v] of Object.entries(next)) {
    const d = previous[k] ? subtractQuantity(v, previous[k]!) : v;
    if (compareQuantity(d, zeroQuantity()) > 0) out[k] = d;
  }
  return out;
}

/** A resource list (for status.used), every hard name present, zero when unused. */
export function toResourceList(usage: Usage, hard: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(hard).sort()) out[k] = formatQuantity(usage[k] ?? zeroQuantity(tryParseQuantity(hard[k])?.format));
  return out;
}

export function parseList(list: Record<string, string> | undefined): Usage {
  const out: Usage = {};
  for (const [k, v] of Object.entries(list ?? {})) {
    const q = tryParseQuantity(v);
    if (q) out[k] = q;
  }
  return out;
}

const COMPUTE: Record<string, 'requests' | 'limits'> = { cpu: 'requests', memory: 'requests', 'requests.cpu': 'requests', 'requests.memory': 'requests', 'limits.cpu': 'limits', 'limits.memory': 'limits' };

/**
 * A pod under a quota that limits compute must state it for every container:
 * upstream's "must specify limits.cpu for: a,b" (several joined as an aggregate).
 */
export function missingCompute(pod: KubeObject, hard: Record<string, string>): string[] {
  const spec = (pod.spec ?? {}) as Obj;
  const containers: Obj[] = [...(spec.initContainers ?? []), ...(spec.containers ?? [])];
  const out: string[] = [];
  for (const name of Object.keys(hard).filter((k) => COMPUTE[k]).sort()) {
    const field = COMPUTE[name]!;
    const resource = name.includes('.') ? name.split('.')[1]! : name;
    const missing = containers.filter((c) => c.resources?.[field]?.[resource] === undefined).map((c) => c.name);
    if (missing.length) out.push(`must specify ${name} for: ${missing.join(',')}`);
  }
  return out;
}

/** upstream's prettyPrint: "a=1,b=2" in name order */
export const printList = (u: Usage) => Object.keys(u).sort().map((k) => `${k}=${formatQuantity(u[k]!)}`).join(',');

/**
 * The resources of `requested` that take `used` past `hard`; undefined when all fit.
 * The message is upstream's, for the exceeded resources only.
 */
export function exceeded(name: string, requested: Usage, used: Usage, hard: Usage): string | undefined {
  const over = Object.keys(requested).filter((k) => hard[k] && compareQuantity(addQuantity(used[k] ?? zeroQuantity(), requested[k]!), hard[k]!) > 0).sort();
  if (!over.length) return undefined;
  const pick = (u: Usage) => Object.fromEntries(over.map((k) => [k, u[k] ?? zeroQuantity()]));
  return `exceeded quota: ${name}, requested: ${printList(pick(requested))}, used: ${printList(pick(used))}, limited: ${printList(pick(hard))}`;
}
