// Which pods back a Service and on which ports, as upstream's endpoint helpers
// (pkg/controller/util/endpoint) decide it; shared by the EndpointSlice and
// Endpoints controllers so both always agree.
import type { KubeObject } from '../object.js';
import { isTerminalPod } from './pod-phase.js';

type Obj = Record<string, any>;

export interface ServicePortOut {
  name: string;
  port: number;
  protocol: string;
  appProtocol?: string;
}

export interface PodEndpoint {
  pod: KubeObject;
  ip: string;
  family: 'IPv4' | 'IPv6';
  ready: boolean;
  serving: boolean;
  terminating: boolean;
  hostname?: string;
  nodeName?: string;
  /** the Service's ports resolved against this pod (named targetPorts looked up in its containers) */
  ports: ServicePortOut[];
}

/** A Service this machinery manages: has a selector, and is not ExternalName. */
export function selectorOf(svc: KubeObject): Record<string, string> | undefined {
  const s = (svc.spec ?? {}) as Obj;
  if (s.type === 'ExternalName') return undefined;
  const sel = s.selector;
  if (!sel || typeof sel !== 'object' || Object.keys(sel).length === 0) return undefined;
  return sel as Record<string, string>;
}

export function selects(selector: Record<string, string>, pod: KubeObject): boolean {
  const labels = pod.metadata.labels ?? {};
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

export function isPodReady(pod: KubeObject): boolean {
  return (((pod.status ?? {}) as Obj).conditions ?? []).some((c: Obj) => c?.type === 'Ready' && c.status === 'True');
}

function podIPs(pod: KubeObject): string[] {
  const st = (pod.status ?? {}) as Obj;
  const ips: string[] = Array.isArray(st.podIPs) ? st.podIPs.map((p: Obj) => p?.ip).filter((ip: unknown) => typeof ip === 'string' && ip) : [];
  if (!ips.length && typeof st.podIP === 'string' && st.podIP) ips.push(st.podIP);
  return ips;
}

/** A named targetPort is looked up among the pod's container ports with the same protocol. */
export function resolveTargetPort(pod: KubeObject, servicePort: Obj): number | undefined {
  const tp = servicePort.targetPort ?? servicePort.port;
  if (typeof tp === 'number') return tp;
  if (typeof tp === 'string' && /^\d+$/.test(tp)) return Number(tp);
  const protocol = servicePort.protocol ?? 'TCP';
  for (const c of ((pod.spec ?? {}) as Obj).containers ?? []) {
    for (const p of c?.ports ?? []) if (p?.name === tp && (p.protocol ?? 'TCP') === protocol) return p.containerPort;
  }
  return undefined;
}

/**
 * The endpoints a Service has among the given pods. includeTerminating: the
 * EndpointSlice view (terminating pods stay, marked so); the Endpoints view
 * keeps them only when the Service publishes not-ready addresses.
 */
export function serviceEndpoints(svc: KubeObject, pods: KubeObject[], includeTerminating: boolean): PodEndpoint[] {
  const selector = selectorOf(svc);
  if (!selector) return [];
  const s = (svc.spec ?? {}) as Obj;
  const publishNotReady = s.publishNotReadyAddresses === true;
  const out: PodEndpoint[] = [];
  for (const pod of pods) {
    if (pod.metadata.namespace !== svc.metadata.namespace || !selects(selector, pod)) continue;
    if (isTerminalPod(pod)) continue;
    const terminating = !!pod.metadata.deletionTimestamp;
    if (terminating && !includeTerminating && !publishNotReady) continue;
    const ips = podIPs(pod);
    if (!ips.length) continue;
    const podReady = isPodReady(pod);
    const ps = (pod.spec ?? {}) as Obj;
    const hostname = ps.hostname && ps.subdomain === svc.metadata.name ? String(ps.hostname) : undefined;
    const ports: ServicePortOut[] = [];
    for (const sp of (Array.isArray(s.ports) ? s.ports : []) as Obj[]) {
      const port = resolveTargetPort(pod, sp);
      if (port === undefined) continue;
      ports.push({ name: sp.name ?? '', port, protocol: sp.protocol ?? 'TCP', ...(sp.appProtocol ? { appProtocol: sp.appProtocol } : {}) });
    }
    for (const ip of ips) {
      out.push({
        pod,
        ip,
        family: ip.includes(':') ? 'IPv6' : 'IPv4',
        ready: publishNotReady || (podReady && !terminating),
        serving: publishNotReady || podReady,
        terminating,
        hostname,
        nodeName: ps.nodeName,
        ports,
      });
    }
  }
  // a stable order keeps slices and subsets from churning
  out.sort((a, b) => (a.pod.metadata.name! < b.pod.metadata.name! ? -1 : a.pod.metadata.name! > b.pod.metadata.name! ? 1 : a.ip < b.ip ? -1 : 1));
  return out;
}

export function targetRef(pod: KubeObject): Obj {
  return { kind: 'Pod', namespace: pod.metadata.namespace, name: pod.metadata.name, uid: pod.metadata.uid };
}
