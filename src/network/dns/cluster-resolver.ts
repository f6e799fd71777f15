// Answers for the cluster zone, per the Kubernetes DNS-based service discovery
// specification (kubernetes/dns docs/specification.md) and CoreDNS's kubernetes
// plugin where the spec is silent: A/AAAA for Services (ClusterIP, or the ready
// endpoints of a headless one), endpoint hostnames of headless Services, SRV for
// named ports, CNAME for ExternalName, pod A records from dashed IPs, PTR for
// Service, endpoint and pod IPs. A name that does not exist is NXDOMAIN; one that
// exists without records of the asked type is NODATA; both carry the zone's SOA.
import type { Answer, Question } from 'dns-packet';
import type { KubeObject } from '../../api/object.js';
import { dashed, type ClusterIndex, type DnsEndpoint } from './cluster-index.js';

export const RCODE_NOERROR = 0;
export const RCODE_SERVFAIL = 2;
export const RCODE_NXDOMAIN = 3;

export interface Answered {
  rcode: number;
  answers: Answer[];
  authorities: Answer[];
  additionals: Answer[];
}

type Obj = Record<string, any>;

function ipv4ToDashed(label: string): string | undefined {
  const parts = label.split('-');
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return undefined;
  return parts.join('.');
}

/** 5.0.42.10.in-addr.arpa -> 10.42.0.5 */
function reverseToIp(name: string): string | undefined {
  const m = /^((?:\d{1,3}\.){3}\d{1,3})\.in-addr\.arpa$/.exec(name);
  if (!m) return undefined;
  const parts = m[1].split('.').reverse();
  return parts.every((p) => Number(p) <= 255) ? parts.join('.') : undefined;
}

function isV6(ip: string): boolean {
  return ip.includes(':');
}

export class ClusterResolver {
  constructor(
    private readonly index: ClusterIndex,
    readonly zone = 'cluster.local',
    private readonly ttl = 5,
  ) {}

  /** The zone's answer, or undefined when the name is not ours (forward it). */
  resolve(q: Question): Answered | undefined {
    const name = q.name.toLowerCase().replace(/\.$/, '');
    if (name.endsWith('.in-addr.arpa')) return this.reverse(name, q);
    if (name !== this.zone && !name.endsWith(`.${this.zone}`)) return undefined;
    const labels = name === this.zone ? [] : name.slice(0, -(this.zone.length + 1)).split('.');
    return this.forward(labels, q);
  }

  private forward(labels: string[], q: Question): Answered {
    const n = labels.length;
    if (n === 0) {
      if (q.type === 'SOA') return this.ok(q, [this.soa()]);
      if (q.type === 'NS') return this.ok(q, [{ type: 'NS', name: this.zone, ttl: this.ttl, data: `ns.dns.${this.zone}` }]);
      return this.nodata();
    }
    const kind = labels[n - 1];
    if (kind === 'svc') {
      if (n === 1) return this.nodata();
      const ns = labels[n - 2];
      if (n === 2) return this.index.hasNamespace(ns) ? this.nodata() : this.nxdomain();
      const svc = this.index.service(ns, labels[n - 3]);
      if (!svc) return this.nxdomain();
      if (n === 3) return this.serviceRecords(svc, q);
      if (n === 4) return this.endpointRecords(svc, labels[0], q);
      if (n === 5 && labels[0].startsWith('_') && labels[1].startsWith('_')) return this.srvRecords(svc, labels[0].slice(1), labels[1].slice(1), q);
      return this.nxdomain();
    }
    if (kind === 'pod') {
      if (n === 1) return this.nodata();
      if (n === 2) return this.nodata();
      if (n !== 3) return this.nxdomain();
      // CoreDNS "pods insecure" (k3s's setting): the name is the address
      const ip = ipv4ToDashed(labels[0]);
      if (!ip) return this.nxdomain();
      return q.type === 'A' ? this.ok(q, [{ type: 'A', name: q.name, ttl: this.ttl, data: ip }]) : this.nodata();
    }
    return this.nxdomain();
  }

  private fqdn(...labels: string[]): string {
    return [...labels, this.zone].join('.');
  }

  private serviceRecords(svc: KubeObject, q: Question): Answered {
    const s = (svc.spec ?? {}) as Obj;
    const ns = svc.metadata.namespace!;
    const name = svc.metadata.name!;
    if (s.type === 'ExternalName') {
      return this.ok(q, [{ type: 'CNAME', name: q.name, ttl: this.ttl, data: String(s.externalName ?? '').replace(/\.$/, '') }]);
    }
    const headless = s.clusterIP === 'None';
    const ips: string[] = headless ? this.ready(ns, name).map((e) => e.ip) : [s.clusterIP, ...(s.clusterIPs ?? [])].filter((ip, i, a) => typeof ip === 'string' && ip && a.indexOf(ip) === i);
    if (q.type === 'A' || q.type === 'AAAA') {
      const want = q.type === 'AAAA';
      return this.ok(q, ips.filter((ip) => isV6(ip) === want).map((ip) => ({ type: q.type as 'A' | 'AAAA', name: q.name, ttl: this.ttl, data: ip })));
    }
    if (q.type === 'SRV') return this.srvRecords(svc, undefined, undefined, q);
    return this.nodata();
  }

  private ready(ns: string, name: string): DnsEndpoint[] {
    return this.index.endpointsOf(ns, name).filter((e) => e.ready);
  }

  /** <hostname>.<svc>.<ns>.svc: a headless Service's endpoint, by hostname or dashed IP. */
  private endpointRecords(svc: KubeObject, label: string, q: Question): Answered {
    if (((svc.spec ?? {}) as Obj).clusterIP !== 'None') return this.nxdomain();
    const matches = this.index.endpointsOf(svc.metadata.namespace!, svc.metadata.name!).filter((e) => (e.hostname ?? dashed(e.ip)) === label || dashed(e.ip) === label);
    if (!matches.length) return this.nxdomain();
    if (q.type !== 'A' && q.type !== 'AAAA') return this.nodata();
    const want = q.type === 'AAAA';
    return this.ok(q, matches.filter((e) => isV6(e.ip) === want).map((e) => ({ type: q.type as 'A' | 'AAAA', name: q.name, ttl: this.ttl, data: e.ip })));
  }

  /** _<port>._<proto>.<svc>.<ns>.svc, or all named ports on the bare Service name. */
  private srvRecords(svc: KubeObject, port: string | undefined, proto: string | undefined, q: Question): Answered {
    const s = (svc.spec ?? {}) as Obj;
    if (s.type === 'ExternalName') return port ? this.nxdomain() : this.nodata();
    const ns = svc.metadata.namespace!;
    const name = svc.metadata.name!;
    const matchPort = (p: { name?: string; protocol?: string }) => !!p.name && (!port || p.name.toLowerCase() === port) && (!proto || (p.protocol ?? 'TCP').toLowerCase() === proto);
    const servicePorts = ((s.ports ?? []) as Obj[]).filter(matchPort);
    if (port && !servicePorts.length) return this.nxdomain();
    if (q.type !== 'SRV') return this.nodata();
    const answers: Answer[] = [];
    const additionals: Answer[] = [];
    if (s.clusterIP === 'None') {
      for (const e of this.ready(ns, name)) {
        const target = this.fqdn(e.hostname ?? dashed(e.ip), name, ns, 'svc');
        for (const p of e.ports.filter(matchPort)) answers.push({ type: 'SRV', name: q.name, ttl: this.ttl, data: { priority: 0, weight: 100, port: p.port, target } });
        additionals.push({ type: isV6(e.ip) ? 'AAAA' : 'A', name: target, ttl: this.ttl, data: e.ip });
      }
    } else {
      const target = this.fqdn(name, ns, 'svc');
      for (const p of servicePorts) answers.push({ type: 'SRV', name: q.name, ttl: this.ttl, data: { priority: 0, weight: 100, port: p.port, target } });
      if (typeof s.clusterIP === 'string' && s.clusterIP) additionals.push({ type: isV6(s.clusterIP) ? 'AAAA' : 'A', name: target, ttl: this.ttl, data: s.clusterIP });
    }
    const out = this.ok(q, answers);
    if (answers.length) out.additionals = additionals;
    return out;
  }

  private reverse(name: string, q: Question): Answered | undefined {
    const ip = reverseToIp(name);
    if (!ip) return undefined;
    let target: string | undefined;
    const svc = this.index.serviceWithIP(ip);
    const ep = svc ? undefined : this.index.endpointWithIP(ip);
    const pod = svc || ep ? undefined : this.index.podWithIP(ip);
    if (svc) target = this.fqdn(svc.metadata.name!, svc.metadata.namespace!, 'svc');
    else if (ep) target = this.fqdn(ep.name, ep.svc.metadata.name!, ep.svc.metadata.namespace!, 'svc');
    else if (pod) target = this.fqdn(dashed(ip), pod.metadata.namespace!, 'pod');
    if (!target) return undefined;
    if (q.type !== 'PTR') return this.nodata();
    return this.ok(q, [{ type: 'PTR', name: q.name, ttl: this.ttl, data: target }]);
  }

  soa(): Answer {
    return { type: 'SOA', name: this.zone, ttl: this.ttl, data: { mname: `ns.dns.${this.zone}`, rname: `hostmaster.${this.zone}`, serial: 1, refresh: 7200, retry: 1800, expire: 86400, minimum: this.ttl } };
  }

  private ok(_q: Question, answers: Answer[]): Answered {
    if (!answers.length) return this.nodata();
    return { rcode: RCODE_NOERROR, answers, authorities: [], additionals: [] };
  }

  private nodata(): Answered {
    return { rcode: RCODE_NOERROR, answers: [], authorities: [this.soa()], additionals: [] };
  }

  private nxdomain(): Answered {
    return { rcode: RCODE_NXDOMAIN, answers: [], authorities: [this.soa()], additionals: [] };
  }
}
