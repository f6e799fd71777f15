// The ResourceQuota controller, as upstream's: each quota's status.hard follows
// spec.hard and status.used is recomputed from what exists in its namespace
// (pods, services, claims, config maps and secrets from shared informers; other
// count/<resource> names by a list). A change to any counted object re-syncs the
// namespace's quotas, and every quota is resynced periodically, which also takes
// back charges admission made for creates that then failed.
import type { KubeObject } from '../../api/object.js';
import { findResource } from '../../api/kinds/resources.js';
import { addUsage, constrained, matchesScopes, toResourceList, usageOf, type Usage } from '../../api/quota/quota-usage.js';
import type { Informer } from '../../client/informer.js';
import { QueueController } from '../../client/queue-controller.js';
import type { ResourceRef, RestClient } from '../../client/rest-client.js';

type Obj = Record<string, any>;

export const RESOURCEQUOTAS: ResourceRef = { group: '', version: 'v1', plural: 'resourcequotas', namespaced: true };
export const QUOTA_COUNTED: Record<string, ResourceRef> = {
  pods: { group: '', version: 'v1', plural: 'pods', namespaced: true },
  services: { group: '', version: 'v1', plural: 'services', namespaced: true },
  persistentvolumeclaims: { group: '', version: 'v1', plural: 'persistentvolumeclaims', namespaced: true },
  configmaps: { group: '', version: 'v1', plural: 'configmaps', namespaced: true },
  secrets: { group: '', version: 'v1', plural: 'secrets', namespaced: true },
};

/** upstream's --resource-quota-sync-period */
const RESYNC_MS = 5 * 60_000;

/** Quantities hold bigints */
const big = (_k: string, v: unknown) => (typeof v === 'bigint' ? v.toString() : v);

/** The resources a hard name counts: pods for requests.cpu, deployments.apps for count/deployments.apps. */
function resourcesOf(hardName: string): Array<{ plural: string; group: string }> {
  if (hardName.startsWith('count/')) {
    const [plural, ...group] = hardName.slice('count/'.length).split('.');
    return [{ plural: plural!, group: group.join('.') }];
  }
  if (['services', 'services.loadbalancers', 'services.nodeports'].includes(hardName)) return [{ plural: 'services', group: '' }];
  if (hardName === 'persistentvolumeclaims' || hardName === 'requests.storage' || hardName.endsWith('.storageclass.storage.k8s.io/requests.storage') || hardName.endsWith('.storageclass.storage.k8s.io/persistentvolumeclaims')) return [{ plural: 'persistentvolumeclaims', group: '' }];
  if (['configmaps', 'secrets', 'replicationcontrollers', 'resourcequotas'].includes(hardName)) return [{ plural: hardName, group: '' }];
  return [{ plural: 'pods', group: '' }];
}

export class ResourceQuotaController extends QueueController {

  constructor(
    private readonly client: RestClient,
    private readonly quotas: Informer,
    private readonly counted: Record<string, Informer>,
    log: (msg: string, extra?: Record<string, unknown>) => void,
  ) {
    super({ failed: 'resourcequota sync failed', keyField: 'quota', workers: 2, baseDelayMs: 100, maxDelayMs: 60_000, log });
    quotas.addHandlers({
      onAdd: this.enqueue,
      onUpdate: (o, n) => {
        if (JSON.stringify(o.spec) !== JSON.stringify(n.spec)) this.enqueue(n);
      },
    });
    // replenishment, as upstream: creates were charged by admission, so only what gives
    // usage back (a delete, a pod turning terminal, a changed service) re-counts; a
    // re-count on every create would race admission and undercount pods in flight
    const touch = (o: KubeObject) => this.enqueueNamespace(o.metadata.namespace);
    for (const [plural, inf] of Object.entries(counted)) {
      inf.addHandlers({
        onUpdate: (o, n) => {
          const a = usageOf(plural, '', o);
          const b = usageOf(plural, '', n);
          if (JSON.stringify(a, big) !== JSON.stringify(b, big)) touch(n);
        },
        onDelete: touch,
      });
    }
  }

  private enqueueNamespace(ns: string | undefined): void {
    if (!ns) return;
    for (const q of this.quotas.list(ns)) this.enqueue(q);
  }

  private async objects(ns: string, plural: string, group: string): Promise<KubeObject[]> {
    const inf = group === '' ? this.counted[plural] : undefined;
    if (inf) return inf.list(ns);
    const info = findResource(group, plural);
    if (!info || !info.namespaced) return [];
    const list = await this.client.list({ group, version: info.versions[0]!, plural, namespaced: true }, ns);
    return list.items;
  }

  override async sync(key: string): Promise<void> {
    const cached = this.quotas.get(key);
    if (!cached) return;
    try {
      await this.reconcile(cached);
    } finally {
      if (this.quotas.get(key)) this.queue.addAfter(key, RESYNC_MS);
    }
  }

  private async reconcile(quota: KubeObject): Promise<void> {
    const ns = quota.metadata.namespace!;
    const hard = ((quota.spec as Obj | undefined)?.hard ?? {}) as Record<string, string>;
    // each resource once, even when several hard names count it
    const kinds = new Map<string, { plural: string; group: string }>();
    for (const name of Object.keys(hard)) for (const r of resourcesOf(name)) kinds.set(`${r.plural}.${r.group}`, r);
    let used: Usage = {};
    for (const { plural, group } of kinds.values()) {
      for (const o of await this.objects(ns, plural, group)) {
        if (!matchesScopes(quota, plural, group, o)) continue;
        used = addUsage(used, constrained(usageOf(plural, group, o), hard));
      }
    }
    const status = { hard: { ...hard }, used: toResourceList(used, hard) };
    if (JSON.stringify(status) === JSON.stringify(quota.status ?? {})) return;
    await this.client.update(RESOURCEQUOTAS, { ...quota, status }, 'status');
  }
}
