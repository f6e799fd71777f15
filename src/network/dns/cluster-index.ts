// The cluster's names, looked up from the shared informers' caches: Services by
// name and by ClusterIP, the endpoints of each Service (from its EndpointSlices),
// pods by IP. Kept up to date per event, so a change costs in proportion to the
// object that changed: a Service's merged endpoints are recomputed at its next
// query after one of its slices changed; the reverse (IP -> name) maps are kept
// per event too.
import type { KubeObject } from '../../api/object.js';
import { keyOf, type Informer } from '../../client/informer.js';

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

const SERVICE_NAME = 'kubernetes.io/service-name';

function serviceKeyOfSlice(slice: KubeObject): string | undefined {
  const name = slice.metadata.labels?.[SERVICE_NAME];
  return name ? `${slice.metadata.namespace}/${name}` : undefined;
}

function clusterIPs(svc: KubeObject): string[] {
  const s = (svc.spec ?? {}) as Obj;
  return [s.clusterIP, ...(Array.isArray(s.clusterIPs) ? s.clusterIPs : [])].filter((ip, i, a) => typeof ip === 'string' && ip && ip !== 'None' && a.indexOf(ip) === i);
}

function podIPs(pod: KubeObject): string[] {
  const st = (pod.status ?? {}) as Obj;
  if (((pod.spec ?? {}) as Obj).hostNetwork) return [];
  return [st.podIP, ...((st.podIPs ?? []) as Obj[]).map((p) => p?.ip)].filter((ip, i, a) => typeof ip === 'string' && ip && a.indexOf(ip) === i);
}

/** A map of key -> set of values, with counts (several objects may claim one IP for a while). */
class MultiMap<V> {
  private readonly m = new Map<string, Set<V>>();
  add(k: string, v: V): void {
    let s = this.m.get(k);
    if (!s) this.m.set(k, (s = new Set()));
    s.add(v);
  }
  remove(k: string, v: V): void {
    const s = this.m.get(k);
    if (!s) return;
    s.delete(v);
    if (!s.size) this.m.delete(k);
  }
  first(k: string): V | undefined {
    const s = this.m.get(k);
    return s ? s.values().next().value : undefined;
  }
  has(k: string): boolean {
    return this.m.has(k);
  }
}

export class ClusterIndex {
  /** Service key -> the keys of its slices */
  private readonly slicesOf = new Map<string, Set<string>>();
  /** Service key -> merged endpoints, dropped when one of its slices changes */
  private readonly merged = new Map<string, DnsEndpoint[]>();
  private readonly serviceByIP = new MultiMap<string>();
  private readonly podByIP = new MultiMap<string>();
  /** IP -> Service keys whose slices list it (for PTR of headless endpoints) */
  private readonly endpointSvcByIP = new MultiMap<string>();
  private readonly servicesPerNamespace = new Map<string, number>();

  constructor(private readonly src: ClusterSources) {
    src.services.addHandlers({
      onAdd: (s) => this.onService(undefined, s),
      onUpdate: (o, n) => this.onService(o, n),
      onDelete: (s) => this.onService(s, undefined),
    });
    src.endpointSlices.addHandlers({
      onAdd: (s) => this.onSlice(undefined, s),
      onUpdate: (o, n) => this.onSlice(o, n),
      onDelete: (s) => this.onSlice(s, undefined),
    });
    src.pods?.addHandlers({
      onAdd: (p) => this.onPod(undefined, p),
      onUpdate: (o, n) => this.onPod(o, n),
      onDelete: (p) => this.onPod(p, undefined),
    });
  }

  service(namespace: string, name: string): KubeObject | undefined {
    return this.src.services.get(`${namespace}/${name}`);
  }

  /** Endpoints of a Service, merged over its slices (one entry per IP). */
  endpointsOf(namespace: string, name: string): DnsEndpoint[] {
    const key = `${namespace}/${name}`;
    let list = this.merged.get(key);
    if (!list) {
      list = this.merge(key);
      this.merged.set(key, list);
    }
    return list;
  }

  hasNamespace(namespace: string): boolean {
    return (this.servicesPerNamespace.get(namespace) ?? 0) > 0;
  }

  serviceWithIP(ip: string): KubeObject | undefined {
    const key = this.serviceByIP.first(ip);
    return key ? this.src.services.get(key) : undefined;
  }

  /** The headless Service endpoint an IP is, named by its hostname or dashed IP. */
  endpointWithIP(ip: string): { svc: KubeObject; name: string } | undefined {
    const key = this.endpointSvcByIP.first(ip);
    const svc = key ? this.src.services.get(key) : undefined;
    if (!svc || ((svc.spec ?? {}) as Obj).clusterIP !== 'None') return undefined;
    const e = this.endpointsOf(svc.metadata.namespace!, svc.metadata.name!).find((x) => x.ip === ip);
    return e ? { svc, name: e.hostname ?? dashed(ip) } : undefined;
  }

  podWithIP(ip: string): KubeObject | undefined {
    const key = this.podByIP.first(ip);
    return key ? this.src.pods?.get(key) : undefined;
  }

  private onService(old: KubeObject | undefined, cur: KubeObject | undefined): void {
    const key = keyOf((cur ?? old)!);
    for (const ip of old ? clusterIPs(old) : []) this.serviceByIP.remove(ip, key);
    for (const ip of cur ? clusterIPs(cur) : []) this.serviceByIP.add(ip, key);
    const ns = (cur ?? old)!.metadata.namespace!;
    const delta = (cur ? 1 : 0) - (old ? 1 : 0);
    if (delta) this.servicesPerNamespace.set(ns, (this.servicesPerNamespace.get(ns) ?? 0) + delta);
  }

  private onSlice(old: KubeObject | undefined, cur: KubeObject | undefined): void {
    const sliceKey = keyOf((cur ?? old)!);
    const before = old ? serviceKeyOfSlice(old) : undefined;
    const after = cur ? serviceKeyOfSlice(cur) : undefined;
    if (before) {
      this.slicesOf.get(before)?.delete(sliceKey);
      this.merged.delete(before);
      for (const e of (old!.endpoints as Obj[] | undefined) ?? []) for (const ip of e?.addresses ?? []) this.endpointSvcByIP.remove(ip, before);
    }
    if (after) {
      let set = this.slicesOf.get(after);
      if (!set) this.slicesOf.set(after, (set = new Set()));
      set.add(sliceKey);
      this.merged.delete(after);
      for (const e of (cur!.endpoints as Obj[] | undefined) ?? []) for (const ip of e?.addresses ?? []) this.endpointSvcByIP.add(ip, after);
    }
  }

  private onPod(old: KubeObject | undefined, cur: KubeObject | undefined): void {
    const key = keyOf((cur ?? old)!);
    for (const ip of old ? podIPs(old) : []) this.podByIP.remove(ip, key);
    for (const ip of cur ? podIPs(cur) : []) this.podByIP.add(ip, key);
  }

  private merge(svcKey: string): DnsEndpoint[] {
    const list: DnsEndpoint[] = [];
    const seen = new Set<string>();
    for (const sliceKey of this.slicesOf.get(svcKey) ?? []) {
      const slice = this.src.endpointSlices.get(sliceKey);
      if (!slice) continue;
      const ports = ((slice.ports as Obj[] | undefined) ?? []).map((p) => ({ name: String(p.name ?? ''), port: Number(p.port), protocol: String(p.protocol ?? 'TCP') }));
      for (const e of (slice.endpoints as Obj[] | undefined) ?? []) {
        for (const ip of e?.addresses ?? []) {
          if (seen.has(ip)) continue;
          seen.add(ip);
          // upstream: an endpoint with no ready condition counts as ready
          list.push({ ip, hostname: e.hostname || undefined, ready: e.conditions?.ready !== false, ports });
        }
      }
    }
    return list;
  }
}

/** 10.42.0.5 -> 10-42-0-5, the label an IP gets in names (pods, endpoints without hostnames) */
export function dashed(ip: string): string {
  return ip.replace(/[.:]/g, '-');
}
