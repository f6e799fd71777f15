// Namespace lifecycle, as upstream's namespace controller: when a namespace is
// being deleted, delete everything in it, and once nothing is left, remove the
// "kubernetes" finalizer through /finalize so the API server removes it.
import type { KubeObject } from '../../api/object.js';
import { discoverResources, type DiscoveredResource } from '../../client/discovery.js';
import type { Informer } from '../../client/informer.js';
import { QueueController } from '../../client/queue-controller.js';
import { resourcePath, type ResourceRef, type RestClient } from '../../client/rest-client.js';

const NAMESPACES: ResourceRef = { group: '', version: 'v1', plural: 'namespaces', namespaced: false };

export class NamespaceController extends QueueController {
  private resources?: DiscoveredResource[];

  constructor(
    private readonly client: RestClient,
    private readonly namespaces: Informer,
    private readonly log: (msg: string, extra?: Record<string, unknown>) => void,
  ) {
    super({ failed: 'namespace sync failed', keyField: 'namespace', workers: 2, baseDelayMs: 100, maxDelayMs: 30_000, log });
    const enqueue = (ns: KubeObject) => {
      if (ns.metadata.deletionTimestamp) this.queue.add(ns.metadata.name!);
    };
    namespaces.addHandlers({ onAdd: enqueue, onUpdate: (_o, n) => enqueue(n) });
  }

  static resourceRef = NAMESPACES;

  protected override async sync(name: string): Promise<void> {
    const ns = this.namespaces.get(name);
    if (!ns?.metadata.deletionTimestamp) return;
    const finalizers: string[] = ((ns.spec as { finalizers?: string[] } | undefined)?.finalizers ?? []);
    if (!finalizers.includes('kubernetes')) return;
    // discovery is re-read for each namespace so new resources are not missed
    this.resources = await discoverResources(this.client);
    let remaining = 0;
    for (const r of this.resources) {
      if (!r.namespaced || !r.verbs.includes('list')) continue;
      if (r.verbs.includes('deletecollection')) {
        await this.client.deleteCollection(r, name, { propagationPolicy: 'Background' }).catch(ignoreNotFound);
      } else if (r.verbs.includes('delete')) {
        const items = await this.client.list(r, name);
        for (const item of items.items) await this.client.delete(r, name, item.metadata.name!).catch(ignoreNotFound);
      }
      const left = await this.client.list(r, name, 'limit=1');
      remaining += left.items.length;
    }
    if (remaining > 0) {
      // pods wait for their containers to stop; come back soon
      this.queue.addAfter(name, 1000);
      return;
    }
    const fresh = await this.client.get<KubeObject>(NAMESPACES, undefined, name);
    const spec = (fresh.spec ?? {}) as { finalizers?: string[] };
    spec.finalizers = (spec.finalizers ?? []).filter((f) => f !== 'kubernetes');
    fresh.spec = spec;
    await this.client.request('PUT', `${resourcePath(NAMESPACES, undefined, name)}/finalize`, fresh).catch(ignoreNotFound);
    this.log('namespace finalized', { namespace: name });
  }
}

function ignoreNotFound(e: unknown): void {
  if ((e as { code?: number }).code !== 404) throw e;
}
