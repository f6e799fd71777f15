// Every active namespace has a "default" ServiceAccount, as upstream's
// serviceaccounts controller keeps it; a deleted one comes back.
import type { KubeObject } from '../../api/object.js';
import type { Informer } from '../../client/informer.js';
import { QueueController } from '../../client/queue-controller.js';
import type { ResourceRef, RestClient } from '../../client/rest-client.js';

export const NAMESPACES_REF: ResourceRef = { group: '', version: 'v1', plural: 'namespaces', namespaced: false };
export const SERVICEACCOUNTS: ResourceRef = { group: '', version: 'v1', plural: 'serviceaccounts', namespaced: true };

export class ServiceAccountController extends QueueController {
  constructor(
    private readonly client: RestClient,
    private readonly namespaces: Informer,
    private readonly accounts: Informer,
    log: (msg: string, extra?: Record<string, unknown>) => void,
  ) {
    super({ failed: 'serviceaccount sync failed', keyField: 'namespace', workers: 1, baseDelayMs: 100, maxDelayMs: 60_000, log });
    namespaces.addHandlers({ onAdd: (ns) => this.queue.add(ns.metadata.name!), onUpdate: (_o, ns) => this.queue.add(ns.metadata.name!) });
    accounts.addHandlers({ onDelete: (sa: KubeObject) => sa.metadata.name === 'default' && this.queue.add(sa.metadata.namespace!) });
  }

  protected override async sync(name: string): Promise<void> {
    const ns = this.namespaces.get(name);
    if (!ns || ns.metadata.deletionTimestamp) return;
    if (this.accounts.get(`${name}/default`)) return;
    await this.client
      .request('POST', `/api/v1/namespaces/${encodeURIComponent(name)}/serviceaccounts`, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default' } })
      .catch((e) => {
        // 409: already there; 403: the namespace began terminating meanwhile
        if (![409, 403, 404].includes((e as { code?: number }).code ?? 0)) throw e;
      });
  }
}
