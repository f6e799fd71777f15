// What the proxy needs to know about Services, computed from Service and
// EndpointSlice objects: per service port, its virtual addresses and the
// ready endpoints traffic may go to.
import type { KubeObject } from '../../api/object.js';

type Obj = Record<string, any>;

export interface Endpoint {
  ip: string;
  port: number;
}

export interface ServicePortRule {
  /** namespace/name:port-name, unique per cluster */
  id: string;
  clusterIPs: string[];
  externalIPs: string[];
  port: number;
  nodePort?: number;
  protocol: 'tcp' | 'udp' | 'sctp';
  endpoints: Endpoint[];
  /** seconds a client sticks to one endpoint (sessionAffinity ClientIP) */
  affinitySeconds?: number;
}

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

/** Ready endpoints only, as kube-proxy routes them; terminating ones only when nothing else serves. */
function endpointsFor(slices: KubeObject[], portName: string, protocol: string): Endpoint[] {
  const ready: Endpoint[] = [];
  const serving: Endpoint[] = [];
  const seen = new Set<string>();
  for (const slice of slices) {
    const s = slice as Obj;
    if (s.addressType && s.addressType !== 'IPv4') continue;
    const port = ((s.ports ?? []) as Obj[]).find((p) => (p.name ?? '') === portName && String(p.protocol ?? 'TCP') === protocol);
    if (!port?.port) continue;
    for (const ep of (s.endpoints ?? []) as Obj[]) {
      const cond = (ep.conditions ?? {}) as Obj;
      for (const ip of (ep.addresses ?? []) as string[]) {
        const key = `${ip}:${port.port}`;
        if (seen.has(key)) continue;
        seen.add(key);
        if (cond.ready !== false) ready.push({ ip, port: port.port });
        else if (cond.serving === true) serving.push({ ip, port: port.port });
      }
    }
  }
  const out = ready.length ? ready : serving;
  return out.sort((a, b) => (a.ip === b.ip ? a.port - b.port : a.ip < b.ip ? -1 : 1));
}

export function serviceRules(services: KubeObject[], slicesByService: Map<string, KubeObject[]>): ServicePortRule[] {
  const rules: ServicePortRule[] = [];
  for (const svc of services) {
    const spec = (svc.spec ?? {}) as Obj;
    if (spec.type === 'ExternalName') continue;
    const clusterIPs = ((spec.clusterIPs as string[] | undefined) ?? (spec.clusterIP ? [spec.clusterIP] : [])).filter((ip) => ip && ip !== 'None' && !ip.includes(':'));
    if (!clusterIPs.length) continue; // headless: DNS gives the pod addresses directly
    const key = `${svc.metadata.namespace}/${svc.metadata.name}`;
    const slices = slicesByService.get(key) ?? [];
    for (const p of (spec.ports ?? []) as Obj[]) {
      const protocol = String(p.protocol ?? 'TCP');
      rules.push({
        id: `${key}:${p.name ?? ''}`,
        clusterIPs,
        // a LoadBalancer's addresses (the built-in one lists the nodes') are served like externalIPs
        externalIPs: [...((spec.externalIPs ?? []) as string[]), ...(spec.type === 'LoadBalancer' ? (((svc.status as Obj | undefined)?.loadBalancer?.ingress ?? []) as Obj[]).map((i) => i.ip as string).filter(Boolean) : [])].filter((ip) => !ip.includes(':')),
        port: p.port,
        nodePort: spec.type === 'NodePort' || spec.type === 'LoadBalancer' ? p.nodePort : undefined,
        protocol: protocol.toLowerCase() as ServicePortRule['protocol'],
        endpoints: endpointsFor(slices, p.name ?? '', protocol),
        affinitySeconds: spec.sessionAffinity === 'ClientIP' ? (spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? 10800) : undefined,
      });
    }
  }
  return rules.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
