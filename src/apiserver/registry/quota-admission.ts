// Upstream's LimitRanger and ResourceQuota admission plugins, on create and on
// the updates upstream's evaluators look at: a Service (turning NodePort or
// LoadBalancer) and a claim (growing its storage) are charged what they add;
// a claim's new size must still fit its LimitRanges. Pod updates are not
// charged (their resources cannot change without in-place resize).
// LimitRanger: a pod gets its namespace's default requests/limits, then must fit
// every LimitRange's min/max/ratio (a claim its storage bounds), else 403.
// ResourceQuota: a new object is charged to every quota of its namespace that
// covers it; one that would go past status.hard is refused (403). The charge is
// written to the quota's status.used with a resourceVersion compare-and-swap
// before the object is admitted, so two creates racing for the last slot cannot
// both pass: the loser re-reads the quota and sees the slot taken. The quota
// controller later recomputes used from what exists (a charge for a create that
// failed afterwards is given back then), as upstream's does.
import { ApiError, errors } from '../../api/errors.js';
import { findResource } from '../../api/kinds/resources.js';
import type { KubeObject } from '../../api/object.js';
import type { ResourceInfo } from '../../api/resource.js';
import { aggregate, applyLimitRangeDefaults, defaultLimitRange, podLimitViolations, pvcLimitViolations } from '../../api/quota/limit-ranger.js';
import { addUsage, constrained, exceeded, growth, matchesScopes, missingCompute, parseList, usageOf, type Usage } from '../../api/quota/quota-usage.js';
import { formatQuantity } from '../../api/resource-quantity.js';
import { StorageError, type Storage } from '../../storage/store.js';
import { collectionPrefix, objectKey, resourcePrefix } from './keys.js';

type Obj = Record<string, any>;

const LIMITRANGES = () => findResource('', 'limitranges')!;
const QUOTAS = () => findResource('', 'resourcequotas')!;
/** how often a charge is retried against quotas changing under it */
const MAX_ATTEMPTS = 10;

export class QuotaAdmission {
  constructor(private readonly storage: Storage) {}

  private async list(info: ResourceInfo, ns: string): Promise<KubeObject[]> {
    return (await this.storage.resource(resourcePrefix(info)).list(collectionPrefix(info, ns))).items;
  }

  async admit(info: ResourceInfo, obj: KubeObject, dryRun = false): Promise<void> {
    const ns = obj.metadata.namespace;
    if (!ns) return;
    const forbidden = (msg: string) => errors.forbidden(`${info.plural} "${obj.metadata.name ?? ''}" is forbidden: ${msg}`);
    const core = info.group === '';
    if (core && info.plural === 'limitranges') defaultLimitRange(obj);
    if (core && (info.plural === 'pods' || info.plural === 'persistentvolumeclaims')) {
      const ranges = (await this.list(LIMITRANGES(), ns)).map((r) => {
        // ranges stored before their defaults existed still default as upstream's would
        const c = structuredClone(r);
        defaultLimitRange(c);
        return c;
      });
      if (ranges.length) {
        if (info.plural === 'pods') applyLimitRangeDefaults(obj, ranges);
        const bad = info.plural === 'pods' ? podLimitViolations(obj, ranges) : pvcLimitViolations(obj, ranges);
        if (bad.length) throw forbidden(aggregate(bad));
      }
    }
    await this.charge(info, obj, dryRun, forbidden);
  }

  /** An update of a Service or a claim: LimitRanges for the claim's new size, then the quota charge for what grew. */
  async admitUpdate(info: ResourceInfo, obj: KubeObject, old: KubeObject, dryRun = false): Promise<void> {
    const ns = obj.metadata.namespace;
    if (!ns || info.group !== '' || (info.plural !== 'services' && info.plural !== 'persistentvolumeclaims')) return;
    const forbidden = (msg: string) => errors.forbidden(`${info.plural} "${obj.metadata.name ?? ''}" is forbidden: ${msg}`);
    if (info.plural === 'persistentvolumeclaims') {
      const ranges = (await this.list(LIMITRANGES(), ns)).map((r) => {
        const c = structuredClone(r);
        defaultLimitRange(c);
        return c;
      });
      const bad = ranges.length ? pvcLimitViolations(obj, ranges) : [];
      if (bad.length) throw forbidden(aggregate(bad));
    }
    await this.charge(info, obj, dryRun, forbidden, old);
  }

  /** Checks every covering quota, then records the charge on each with a CAS; starts over on a conflict. */
  private async charge(info: ResourceInfo, obj: KubeObject, dryRun: boolean, forbidden: (msg: string) => ApiError, old?: KubeObject): Promise<void> {
    const ns = obj.metadata.namespace!;
    let quotas = await this.list(QUOTAS(), ns);
    // a namespace without quotas (the common case) costs one watch-cache range lookup, no usage computed
    if (!quotas.length) return;
    const full: Usage = usageOf(info.plural, info.group, obj);
    // on update only what grew is charged; a quota whose scopes did not cover the old object charges it all
    const previous = old ? usageOf(info.plural, info.group, old) : undefined;
    if (!Object.keys(full).length) return;
    const isPod = !old && info.group === '' && info.plural === 'pods';
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      if (attempt) quotas = await this.list(QUOTAS(), ns);
      const writes: KubeObject[] = [];
      for (const q of quotas) {
        const name = q.metadata.name!;
        const hardSpec = ((q.spec as Obj | undefined)?.hard ?? {}) as Record<string, string>;
        if (!matchesScopes(q, info.plural, info.group, obj)) continue;
        const usage = previous && matchesScopes(q, info.plural, info.group, old!) ? growth(full, previous) : full;
        if (isPod) {
          const missing = missingCompute(obj, hardSpec);
          if (missing.length) throw forbidden(`failed quota: ${name}: ${aggregate(missing)}`);
        }
        const requested = constrained(usage, hardSpec);
        if (!Object.keys(requested).length) continue;
        const status = (q.status ?? {}) as Obj;
        const unknown = Object.keys(requested).filter((k) => status.hard?.[k] === undefined || status.used?.[k] === undefined).sort();
        // the quota controller has not counted yet: upstream refuses rather than guess
        if (unknown.length) throw forbidden(`status unknown for quota: ${name}, resources: ${unknown.join(',')}`);
        const used = parseList(status.used);
        const hard = parseList(status.hard);
        const over = exceeded(name, requested, used, hard);
        if (over) throw forbidden(over);
        const next = addUsage(used, requested);
        writes.push({ ...q, status: { ...status, used: { ...status.used, ...Object.fromEntries(Object.keys(requested).map((k) => [k, formatQuantity(next[k]!)])) } } });
      }
      if (dryRun || !writes.length) return;
      try {
        await this.commit(writes);
        return;
      } catch (e) {
        if (e instanceof StorageError && (e.code === 'Conflict' || e.code === 'KeyNotFound')) continue;
        throw e;
      }
    }
    throw new ApiError(409, 'Conflict', `Operation cannot be fulfilled on resourcequotas: the quotas of namespace ${ns} kept changing; please try again`);
  }

  /**
   * Each quota's new used, only if it is still the version checked. With several
   * quotas a later conflict leaves earlier ones charged: an over-count that the
   * controller corrects, never an under-count (upstream accepts the same).
   */
  private async commit(writes: KubeObject[]): Promise<void> {
    const info = QUOTAS();
    const store = this.storage.resource(resourcePrefix(info));
    for (const q of writes) {
      await store.update(objectKey(info, q.metadata.namespace, q.metadata.name!), q, { resourceVersion: q.metadata.resourceVersion });
    }
  }
}
