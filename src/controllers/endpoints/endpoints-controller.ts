// The Endpoints controller, as upstream's: one Endpoints object per Service with
// a selector, named after it, whose subsets list ready pods under addresses and
// the rest under notReadyAddresses, grouped by the ports they resolve to. More
// than 1000 addresses are truncated and flagged, as upstream does.
import type { KubeObject } from '../../api/object.js';
import { selectorOf, serviceEndpoints, targetRef, type PodEndpoint } from '../../api/kinds/service-endpoints.js';
import { keyOf, type Informer } from '../../client/informer.js';
import type { ResourceRef, RestClient } from '../../client/rest-client.js';
import { ServicePodsController } from '../service-pods-controller.js';

export const ENDPOINTS: ResourceRef = { group: '', version: 'v1', plural: 'endpoints', namespaced: true };
const MAX_ADDRESSES = 1000;
const OVER_CAPACITY = 'endpoints.kubernetes.io/over-capacity';

type Obj = Record<string, any>;

function address(e: PodEndpoint): Obj {
  return { ip: e.ip, ...(e.hostname ? { hostname: e.hostname } : {}), ...(e.nodeName ? { nodeName: e.nodeName } : {}), targetRef: targetRef(e.pod) };
}

/** Subsets as upstream builds them: one per distinct port list, ready and not-ready addresses apart. */
export function subsetsFor(endpoints: PodEndpoint[]): { subsets: Obj[]; truncated: boolean } {
  const bySet = new Map<string, Obj>();
  let count = 0;
  let truncated = false;
  for (const e of endpoints) {
    if (count >= MAX_ADDRESSES) {
      truncated = true;
      break;
    }
    count++;
    const ports = e.ports.map((p) => ({ ...(p.name ? { name: p.name } : {}), port: p.port, protocol: p.protocol, ...(p.appProtocol ? { appProtocol: p.appProtocol } : {}) }));
    const k = JSON.stringify(ports);
    let s = bySet.get(k);
    if (!s) bySet.set(k, (s = { addresses: [], notReadyAddresses: [], ports }));
    (e.ready ? s.addresses : s.notReadyAddresses).push(address(e));
  }
  const subsets = [...bySet.values()].map((s) => {
    const out: Obj = {};
    if (s.addresses.length) out.addresses = s.addresses;
    if (s.notReadyAddresses.length) out.notReadyAddresses = s.notReadyAddresses;
    if (s.ports.length) out.ports = s.ports;
    return out;
  });
  return { subsets, truncated };
}

export class EndpointsController extends ServicePodsController {
  constructor(client: RestClient, services: Informer, pods: Informer, private readonly endpoints: Informer, log: (msg: string, extra?: Record<string, unknown>) => void) {
    super(client, services, pods, { failed: 'endpoints sync failed', keyField: 'service', workers: 2, baseDelayMs: 20, maxDelayMs: 30_000, log });
    // Endpoints deleted by hand come back while their Service lives
    endpoints.addHandlers({ onDelete: (e) => services.get(keyOf(e)) && this.queue.add(keyOf(e)) });
  }

  protected override async sync(key: string): Promise<void> {
    const [namespace, name] = key.split('/');
    const svc = this.services.get(key);
    const current = this.endpoints.get(key);
    if (!svc || svc.metadata.deletionTimestamp) {
      // Endpoints of a deleted Service go with it (unless someone else keeps them: no selector label of ours to check, as upstream)
      if (current && !svc) {
        await this.client.delete(ENDPOINTS, namespace, name).catch((e) => {
          if ((e as { code?: number }).code !== 404) throw e;
        });
      }
      return;
    }
    // a Service without a selector has Endpoints its owner writes by hand (the `kubernetes` Service's are the API server's)
    if (!selectorOf(svc)) return;
    const { subsets, truncated } = subsetsFor(serviceEndpoints(svc, this.pods.list(namespace), false));
    const labels: Record<string, string> = { ...(svc.metadata.labels ?? {}) };
    if (((svc.spec ?? {}) as Obj).clusterIP === 'None') labels['service.kubernetes.io/headless'] = '';
    const annotations: Record<string, string> = { ...(current?.metadata.annotations ?? {}) };
    if (truncated) annotations[OVER_CAPACITY] = 'truncated';
    else delete annotations[OVER_CAPACITY];
    if (current && JSON.stringify(current.subsets ?? []) === JSON.stringify(subsets) && JSON.stringify(current.metadata.labels ?? {}) === JSON.stringify(labels) && JSON.stringify(current.metadata.annotations ?? {}) === JSON.stringify(annotations)) return;
    const obj: KubeObject = {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { ...(current?.metadata ?? { name, namespace }), labels, annotations },
      subsets,
    };
    if (!Object.keys(annotations).length) delete obj.metadata.annotations;
    if (current) await this.client.update(ENDPOINTS, obj);
    else {
      await this.client.request('POST', `/api/v1/namespaces/${encodeURIComponent(namespace)}/endpoints`, obj).catch((e) => {
        // created meanwhile (an informer lagging behind): the update event brings us back
        if ((e as { code?: number }).code !== 409) throw e;
      });
    }
  }
}
