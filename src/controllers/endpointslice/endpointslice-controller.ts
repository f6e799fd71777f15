// The EndpointSlice controller, as upstream's: for every Service with a
// selector, slices listing the matching pods' IPs with ready/serving/terminating
// conditions and the Service's ports resolved per pod. Slices carry the
// service-name and managed-by labels and a controller ownerReference, so the
// garbage collector removes them with their Service.
import type { KubeObject } from '../../api/object.js';
import { selectorOf, serviceEndpoints } from '../../api/kinds/service-endpoints.js';
import type { Informer } from '../../client/informer.js';
import type { ResourceRef, RestClient } from '../../client/rest-client.js';
import { ServicePodsController } from '../service-pods-controller.js';
import { desiredContents, MANAGED_BY, MANAGED_BY_LABEL, planSlices, SERVICE_NAME_LABEL } from './slice-plan.js';
import { WrittenSlices } from './written-slices.js';

export const SERVICES: ResourceRef = { group: '', version: 'v1', plural: 'services', namespaced: true };
export const ENDPOINTSLICES: ResourceRef = { group: 'discovery.k8s.io', version: 'v1', plural: 'endpointslices', namespaced: true };

type Obj = Record<string, any>;

export class EndpointSliceController extends ServicePodsController {
  private readonly written = new WrittenSlices();

  constructor(client: RestClient, services: Informer, pods: Informer, private readonly slices: Informer, log: (msg: string, extra?: Record<string, unknown>) => void) {
    super(client, services, pods, { failed: 'endpointslice sync failed', keyField: 'service', workers: 2, baseDelayMs: 20, maxDelayMs: 30_000, log });
    // a slice of ours changed or vanished behind our back: put it right
    const onSlice = (s: KubeObject) => {
      const svc = s.metadata.labels?.[SERVICE_NAME_LABEL];
      if (svc && s.metadata.labels?.[MANAGED_BY_LABEL] === MANAGED_BY) this.queue.add(`${s.metadata.namespace}/${svc}`);
    };
    slices.addHandlers({
      onAdd: (s) => this.written.seen(s),
      onUpdate: (_o, n) => {
        this.written.seen(n);
        onSlice(n);
      },
      onDelete: (s) => {
        this.written.seen(s, true);
        onSlice(s);
      },
    });
  }

  private ours(namespace: string, name: string): KubeObject[] {
    return this.written.overlay(namespace, this.slices.list(namespace)).filter((s) => s.metadata.labels?.[SERVICE_NAME_LABEL] === name && s.metadata.labels?.[MANAGED_BY_LABEL] === MANAGED_BY && !s.metadata.deletionTimestamp);
  }

  protected override async sync(key: string): Promise<void> {
    const [namespace, name] = key.split('/');
    const svc = this.services.get(key);
    const existing = this.ours(namespace, name);
    if (!svc || svc.metadata.deletionTimestamp || !selectorOf(svc)) {
      // no Service, or no selector: slices this controller made have nothing left to say
      for (const s of existing) await this.remove(s);
      return;
    }
    const families: string[] = ((svc.spec as Obj).ipFamilies as string[] | undefined) ?? ['IPv4'];
    const contents = desiredContents(serviceEndpoints(svc, this.pods.list(namespace), true), families);
    const plan = planSlices(svc, existing, contents);
    try {
      for (const s of plan.update) this.written.wrote(await this.client.update<KubeObject>(ENDPOINTSLICES, s));
      for (const s of plan.create) this.written.wrote(await this.client.request<KubeObject>('POST', `/apis/discovery.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/endpointslices`, s));
      for (const s of plan.remove) await this.remove(s);
    } catch (e) {
      // someone else wrote too: the retry works from the cache
      if ((e as { code?: number }).code === 409) this.written.forget(namespace, existing.map((s) => s.metadata.name!));
      throw e;
    }
  }

  private async remove(s: KubeObject): Promise<void> {
    await this.client.delete(ENDPOINTSLICES, s.metadata.namespace, s.metadata.name!).catch((e) => {
      if ((e as { code?: number }).code !== 404) throw e;
    });
    this.written.deleted(s.metadata.namespace!, s.metadata.name!);
  }
}
