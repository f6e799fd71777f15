// The built-in load balancer, like k3s's servicelb: a LoadBalancer Service (with
// no loadBalancerClass) and an Ingress of class "skiff" are reachable at every
// Ready node's address, so their status lists those addresses. The nodes' service
// proxies and ingress proxies do the forwarding; this controller only writes
// status, and makes sure the "skiff" IngressClass exists (default class).
import type { KubeObject } from '../../api/object.js';
import type { Informer } from '../../client/informer.js';
import { QueueController } from '../../client/queue-controller.js';
import type { ResourceRef, RestClient } from '../../client/rest-client.js';

export const SERVICES_REF: ResourceRef = { group: '', version: 'v1', plural: 'services', namespaced: true };
export const INGRESSES_REF: ResourceRef = { group: 'networking.k8s.io', version: 'v1', plural: 'ingresses', namespaced: true };
export const INGRESS_CLASS = 'skiff';
export const INGRESS_CONTROLLER = 'skiff.io/ingress';

type Obj = Record<string, any>;

export function nodeAddresses(nodes: KubeObject[]): string[] {
  const ips: string[] = [];
  for (const n of nodes) {
    const st = (n.status ?? {}) as Obj;
    const ready = ((st.conditions ?? []) as Obj[]).some((c) => c.type === 'Ready' && c.status === 'True');
    if (!ready || n.metadata.deletionTimestamp) continue;
    const addrs = (st.addresses ?? []) as Obj[];
    const ip = (addrs.find((a) => a.type === 'ExternalIP') ?? addrs.find((a) => a.type === 'InternalIP'))?.address as string | undefined;
    if (ip) ips.push(ip);
  }
  return [...new Set(ips)].sort();
}

/** Ingresses this controller serves: class "skiff", or no class at all (skiff's class is the default). */
export function isOurIngress(ing: KubeObject): boolean {
  const spec = (ing.spec ?? {}) as Obj;
  const cls = spec.ingressClassName ?? ing.metadata.annotations?.['kubernetes.io/ingress.class'];
  return cls === undefined || cls === INGRESS_CLASS;
}

export class ServiceLbController extends QueueController {

  constructor(
    private readonly client: RestClient,
    private readonly services: Informer,
    private readonly ingresses: Informer,
    private readonly nodes: Informer,
    private readonly log: (msg: string, extra?: Record<string, unknown>) => void,
  ) {
    super({ failed: 'servicelb sync failed', keyField: 'key', workers: 2, baseDelayMs: 100, maxDelayMs: 30_000, log });
    const svc = (s: KubeObject) => this.queue.add(`svc/${s.metadata.namespace}/${s.metadata.name}`);
    const ing = (i: KubeObject) => this.queue.add(`ing/${i.metadata.namespace}/${i.metadata.name}`);
    services.addHandlers({ onAdd: svc, onUpdate: (_o, n) => svc(n) });
    ingresses.addHandlers({ onAdd: ing, onUpdate: (_o, n) => ing(n) });
    const all = () => {
      for (const s of services.list()) svc(s);
      for (const i of ingresses.list()) ing(i);
    };
    nodes.addHandlers({ onAdd: all, onUpdate: (o, n) => JSON.stringify(nodeAddresses([o])) !== JSON.stringify(nodeAddresses([n])) && all(), onDelete: all });
  }

  override run(workers?: number): void {
    void this.ensureIngressClass().catch((e) => this.log('ingress class not created', { error: String(e) }));
    super.run(workers);
  }

  private async ensureIngressClass(): Promise<void> {
    await this.client
      .request('POST', '/apis/networking.k8s.io/v1/ingressclasses', {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'IngressClass',
        metadata: { name: INGRESS_CLASS, annotations: { 'ingressclass.kubernetes.io/is-default-class': 'true' } },
        spec: { controller: INGRESS_CONTROLLER },
      })
      .catch((e) => {
        if ((e as { code?: number }).code !== 409) throw e;
      });
  }

  protected override async sync(key: string): Promise<void> {
    const [kind, ns, name] = key.split('/') as [string, string, string];
    const wanted = nodeAddresses(this.nodes.list()).map((ip) => ({ ip }));
    if (kind === 'svc') {
      const s = this.services.get(`${ns}/${name}`);
      if (!s || s.metadata.deletionTimestamp) return;
      const spec = (s.spec ?? {}) as Obj;
      const isOurs = spec.type === 'LoadBalancer' && !spec.loadBalancerClass;
      const want = isOurs ? wanted.map((w) => ({ ...w, ipMode: 'VIP' })) : undefined;
      await this.writeStatus(SERVICES_REF, s, want, isOurs);
    } else {
      const i = this.ingresses.get(`${ns}/${name}`);
      if (!i || i.metadata.deletionTimestamp || !isOurIngress(i)) return;
      await this.writeStatus(INGRESSES_REF, i, wanted, true);
    }
  }

  /** status.loadBalancer.ingress = want; a Service that stopped being ours loses what we wrote. */
  private async writeStatus(ref: ResourceRef, obj: KubeObject, want: Obj[] | undefined, ours: boolean): Promise<void> {
    const st = (obj.status ?? {}) as Obj;
    const have = st.loadBalancer?.ingress as Obj[] | undefined;
    if (!ours) {
      // only clear what looks like ours: addresses of nodes, no hostname
      if (!have?.length || have.some((h) => h.hostname)) return;
    }
    const next = ours ? want ?? [] : [];
    if (JSON.stringify(have ?? []) === JSON.stringify(next)) return;
    const path = `/${ref.group ? `apis/${ref.group}` : 'api'}/${ref.version}/namespaces/${encodeURIComponent(obj.metadata.namespace!)}/${ref.plural}/${encodeURIComponent(obj.metadata.name!)}/status`;
    await this.client.request('PATCH', path, { status: { loadBalancer: { ingress: next.length ? next : null } } }, 'application/merge-patch+json');
  }
}
