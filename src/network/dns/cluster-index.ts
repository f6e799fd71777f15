// The cluster's names, looked up from the shared informers' caches: Services by
// name and by ClusterIP, the endpoints of each Service (from its EndpointSlices),
// pods by IP. Rebuilt lazily after a change, so a burst of watch events costs
// one rebuild at the next query.
import type { KubeObject } from '../../api/object.js';
import type { Informer } from '../../client/informer.js';

type Obj = Record<string, any>;

export interface DnsEndpoint {
  ip: string;
  hostname?: string;
  ready: boolean;
  ports: Array<{ name: string; port: number; protocol: string }>;
}

export interface ClusterSources {
  services: Informer;
  endpointSlices: Informer;
  /** optional: only PTR answers for pod IPs that back no Service need it */
  pods?: Informer;
}

export class ClusterIndex {
  private dirty = true;
  private endpoints = new Map<string, DnsEndpoint[]>();
  private serviceByIP = new Map<string, KubeObject>();
  /** IP -> the headless Service endpoint it is, for PTR */
  private endpointByIP = new Map<string, { svc: KubeObject; name: string }>();
  private podByIP = new Map<string, KubeObject>();
  private namespaces = new Set<string>();

  constructor(private readonly src: ClusterSources) {
    const mark = { onAdd: () => (this.dirty = true), onUpdate: () => (this.dirty = true), onDelete: () => (this.dirty = true) };
    src.services.addHandlers(mark);
    src.endpointSlices.addHandlers(mark);
    src.pods?.addHandlers(mark);
  }

  service(namespace: string, name: string): KubeObject | undefined {
    return this.src.services.get(`${namespace}/${name}`);
  }

  /** Endpoints of a Service, merged over its slices (deduplicated by IP). */
  endpointsOf(namespace: string, name: string): DnsEndpoint[] {
    this.refresh();
    return this.endpoints.get(`${namespace}/${name}`) ?? [];
  }

  hasNamespace(namespace: string): boolean {
    this.refresh();
    return this.namespaces.has(namespace);
  }

  serviceWithIP(ip: string): KubeObject | undefined {
    this.refresh();
    return this.serviceByIP.get(ip);
  }

  endpointWithIP(ip: string): { svc: KubeObject; name: string } | undefined {
    this.refresh();
    return this.endpointByIP.get(ip);
  }

  podWithIP(ip: string): KubeObject | undefined {
    this.refresh();
    return this.podByIP.get(ip);
  }

  private refresh(): void {
    if (!this.dirty) return;
    this.dirty = false;
    const endpoints = new Map<string, DnsEndpoint[]>();
    const serviceByIP = new Map<string, KubeObject>();
    const endpointByIP = new Map<string, { svc: KubeObject; name: string }>();
    const podByIP = new Map<string, KubeObject>();
    const namespaces = new Set<string>();
    for (const svc of this.src.services.list()) {
      namespaces.add(svc.metadata.namespace!);
      const s = (svc.spec ?? {}) as Obj;
      for (const ip of [s.clusterIP, ...(Array.isArray(s.clusterIPs) ? s.clusterIPs : [])]) if (typeof ip === 'string' && ip && ip !== 'None') serviceByIP.set(ip, svc);
    }
    for (const slice of this.src.endpointSlices.list()) {
      const svcName = slice.metadata.labels?.['kubernetes.io/service-name'];
      if (!svcName) continue;
      const key = `${slice.metadata.namespace}/${svcName}`;
      const list = endpoints.get(key) ?? [];
      endpoints.set(key, list);
      const ports = ((slice.ports as Obj[] | undefined) ?? []).map((p) => ({ name: String(p.name ?? ''), port: Number(p.port), protocol: String(p.protocol ?? 'TCP') }));
      for (const e of (slice.endpoints as Obj[] | undefined) ?? []) {
        for (const ip of e.addresses ?? []) {
          if (list.some((x) => x.ip === ip)) continue;
          // upstream: an endpoint with no ready condition counts as ready
          list.push({ ip, hostname: e.hostname || undefined, ready: e.conditions?.ready !== false, ports });
        }
      }
    }
    for (const [key, list] of endpoints) {
      const svc = this.src.services.get(key);
      if (!svc || ((svc.spec ?? {}) as Obj).clusterIP !== 'None') continue;
      for (const e of list) if (!endpointByIP.has(e.ip)) endpointByIP.set(e.ip, { svc, name: e.hostname ?? dashed(e.ip) });
    }
    for (const pod of this.src.pods?.list() ?? []) {
      const st = (pod.status ?? {}) as Obj;
      if (((pod.spec ?? {}) as Obj).hostNetwork) continue;
      for (const ip of [st.podIP, ...((st.podIPs ?? []) as Obj[]).map((p) => p?.ip)]) if (typeof ip === 'string' && ip) podByIP.set(ip, pod);
    }
    this.endpoints = endpoints;
    this.serviceByIP = serviceByIP;
    this.endpointByIP = endpointByIP;
    this.podByIP = podByIP;
    this.namespaces = namespaces;
  }
}

/** 10.42.0.5 -> 10-42-0-5, the label an IP gets in names (pods, endpoints without hostnames) */
export function dashed(ip: string): string {
  return ip.replace(/[.:]/g, '-');
}
