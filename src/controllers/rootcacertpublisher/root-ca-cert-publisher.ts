// Upstream's root-ca-cert-publisher: every active namespace holds the ConfigMap
// "kube-root-ca.crt" whose ca.crt is the cluster CA, so pods can check the API
// server's certificate (the token volume projects it). A changed or deleted
// copy is put back.
import type { KubeObject } from '../../api/object.js';
import { Informer } from '../../client/informer.js';
import { QueueController } from '../../client/queue-controller.js';
import type { ResourceRef, RestClient } from '../../client/rest-client.js';

export const ROOT_CA_CONFIGMAP = 'kube-root-ca.crt';
const CONFIGMAPS: ResourceRef = { group: '', version: 'v1', plural: 'configmaps', namespaced: true };
const DESCRIPTION =
  'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.';

export class RootCaCertPublisher extends QueueController {
  /** only the ConfigMaps of this name are watched, not every ConfigMap in the cluster */
  private readonly configMaps: Informer;

  constructor(
    private readonly client: RestClient,
    private readonly namespaces: Informer,
    private readonly caPem: string,
    log: (msg: string, extra?: Record<string, unknown>) => void,
  ) {
    super({ failed: 'root CA publish failed', keyField: 'namespace', workers: 1, baseDelayMs: 100, maxDelayMs: 60_000, log });
    this.configMaps = new Informer(client, CONFIGMAPS, { fieldSelector: `metadata.name=${ROOT_CA_CONFIGMAP}`, onError: (e) => log('kube-root-ca.crt watch failed', { error: String(e) }) });
    this.ownInformers.push(this.configMaps);
    namespaces.addHandlers({ onAdd: (ns) => this.queue.add(ns.metadata.name!), onUpdate: (_o, ns) => this.queue.add(ns.metadata.name!) });
    const byNamespace = (cm: KubeObject) => this.queue.add(cm.metadata.namespace!);
    this.configMaps.addHandlers({ onUpdate: (_o, cm) => byNamespace(cm), onDelete: byNamespace });
  }

  protected override async sync(name: string): Promise<void> {
    const ns = this.namespaces.get(name);
    if (!ns || ns.metadata.deletionTimestamp) return;
    const path = `/api/v1/namespaces/${encodeURIComponent(name)}/configmaps`;
    const have = this.configMaps.get(`${name}/${ROOT_CA_CONFIGMAP}`);
    const data = { 'ca.crt': this.caPem };
    const ignore = (codes: number[]) => (e: unknown) => {
      // 409: made meanwhile (the watch brings it); 403/404: the namespace began terminating
      if (!codes.includes((e as { code?: number }).code ?? 0)) throw e;
    };
    if (!have) {
      await this.client.request('POST', path, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: ROOT_CA_CONFIGMAP, annotations: { 'kubernetes.io/description': DESCRIPTION } }, data }).catch(ignore([409, 403, 404]));
      return;
    }
    const current = (have as KubeObject & { data?: Record<string, string> }).data ?? {};
    if (current['ca.crt'] === this.caPem && Object.keys(current).length === 1 && have.metadata.annotations?.['kubernetes.io/description'] === DESCRIPTION) return;
    const next = { ...have, data, metadata: { ...have.metadata, annotations: { ...have.metadata.annotations, 'kubernetes.io/description': DESCRIPTION } } };
    await this.client.request('PUT', `${path}/${ROOT_CA_CONFIGMAP}`, next).catch(ignore([404]));
  }
}
