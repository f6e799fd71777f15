// A Service's ClusterIP and node ports, as upstream's service REST storage
// allocates them: reserved before the write, given back if the write fails, and
// the old ones released once an update or delete is stored. The reservations
// live in memory, rebuilt from the stored Services at start; every reserve is a
// synchronous check-and-set on one event loop, so two writes can never take the
// same IP or port.
import { errors, field, type StatusCause } from '../../api/errors.js';
import type { KubeObject } from '../../api/object.js';
import type { ResourceInfo } from '../../api/resource.js';
import type { RegistryHooks, WriteReservation } from './hooks.js';
import { IpAllocator, isIPv4 } from './ip-allocator.js';
import { PortAllocator } from './port-allocator.js';

export interface ServiceAllocatorOptions {
  /** default 10.43.0.0/16, as k3s */
  serviceCIDR?: string;
  /** default 30000-32767 */
  nodePortRange?: string;
}

type Obj = Record<string, any>;

interface Held {
  ips: string[];
  ports: number[];
}

const NODE_PORT_TYPES = new Set(['NodePort', 'LoadBalancer']);

function isService(info: ResourceInfo): boolean {
  return info.group === '' && info.plural === 'services';
}

export class ServiceAllocator {
  readonly ips: IpAllocator;
  readonly ports: PortAllocator;

  constructor(opts: ServiceAllocatorOptions = {}) {
    this.ips = new IpAllocator(opts.serviceCIDR ?? '10.43.0.0/16');
    this.ports = new PortAllocator(opts.nodePortRange ?? '30000-32767');
  }

  /** Marks what the stored Services hold (at start, before serving). */
  load(services: KubeObject[]): void {
    for (const svc of services) {
      const held = this.heldBy(svc);
      // anything outside the current ranges (the flags changed) is simply not tracked
      for (const ip of held.ips) if (this.ips.contains(ip)) this.ips.allocate(ip);
      for (const p of held.ports) if (this.ports.contains(p)) this.ports.allocate(p);
    }
  }

  hooks(): Pick<RegistryHooks, 'beginWrite' | 'afterDelete'> {
    return {
      beginWrite: (info, obj, old) => (isService(info) ? this.begin(obj, old) : undefined),
      afterDelete: (info, obj) => {
        if (isService(info)) this.release(this.heldBy(obj));
      },
    };
  }

  /** What a stored Service holds: its ClusterIPs and node ports. */
  heldBy(svc: KubeObject | undefined): Held {
    const s = (svc?.spec ?? {}) as Obj;
    if (!svc || s.type === 'ExternalName') return { ips: [], ports: [] };
    const ips = [...new Set<string>([...(Array.isArray(s.clusterIPs) ? s.clusterIPs : []), s.clusterIP].filter((ip) => typeof ip === 'string' && isIPv4(ip)))];
    const ports = new Set<number>();
    for (const p of Array.isArray(s.ports) ? s.ports : []) if (Number.isInteger(p?.nodePort) && p.nodePort > 0) ports.add(p.nodePort);
    if (Number.isInteger(s.healthCheckNodePort) && s.healthCheckNodePort > 0) ports.add(s.healthCheckNodePort);
    return { ips, ports: [...ports] };
  }

  /** Fills in and reserves obj's IP and node ports; throws 422 when a requested one cannot be had. */
  begin(obj: KubeObject, old: KubeObject | undefined): WriteReservation {
    const s = ((obj.spec ??= {}) as Obj);
    const os = (old?.spec ?? {}) as Obj;
    // ports get node ports written into them: never into objects the stored Service shares
    if (Array.isArray(s.ports)) s.ports = structuredClone(s.ports);
    // nothing of a type that does not use them survives (the strategy already dropped what the old type left)
    if (!NODE_PORT_TYPES.has(s.type)) delete s.allocateLoadBalancerNodePorts;
    if (!(s.type === 'LoadBalancer' && s.externalTrafficPolicy === 'Local')) delete s.healthCheckNodePort;
    const before = this.heldBy(old);
    const taken: Held = { ips: [], ports: [] };
    const causes: StatusCause[] = [];
    try {
      this.assignClusterIP(s, os, before, taken, causes);
      this.assignNodePorts(s, os, before, taken, causes);
    } catch (e) {
      this.release(taken);
      throw e;
    }
    if (causes.length) {
      this.release(taken);
      throw errors.invalid('', 'Service', obj.metadata.name ?? '', causes);
    }
    const after = this.heldBy(obj);
    return {
      commit: () => {
        // what the old object held and the new one does not goes back to the pool
        this.release({ ips: before.ips.filter((ip) => !after.ips.includes(ip)), ports: before.ports.filter((p) => !after.ports.includes(p)) });
      },
      revert: () => this.release(taken),
    };
  }

  private assignClusterIP(s: Obj, os: Obj, before: Held, taken: Held, causes: StatusCause[]): void {
    if (s.type === 'ExternalName') {
      if (s.clusterIP) causes.push(field.invalid('spec.clusterIP', s.clusterIP, 'may not be set for ExternalName services'));
      return;
    }
    const families: unknown[] = Array.isArray(s.ipFamilies) ? s.ipFamilies : [];
    families.forEach((f, i) => {
      if (f !== 'IPv4') causes.push(field.invalid(`spec.ipFamilies[${i}]`, f, 'not configured on this cluster (it is single-stack IPv4)'));
    });
    if (s.ipFamilyPolicy === 'RequireDualStack') causes.push(field.invalid('spec.ipFamilyPolicy', s.ipFamilyPolicy, 'this cluster is not configured for dual-stack services'));
    const ips: unknown[] = Array.isArray(s.clusterIPs) ? s.clusterIPs : [];
    if (ips.length > 1) causes.push(field.invalid('spec.clusterIPs', ips, 'this cluster is not configured for dual-stack services'));
    if (s.clusterIP && ips.length && ips[0] !== s.clusterIP) causes.push(field.invalid('spec.clusterIPs[0]', ips[0], 'must be same as clusterIP'));
    if (causes.length) return;
    const wanted: unknown = s.clusterIP || ips[0] || '';
    if (wanted === 'None') {
      if (NODE_PORT_TYPES.has(s.type)) {
        causes.push(field.invalid('spec.clusterIPs[0]', 'None', `may not be set to 'None' for ${s.type} services`));
        return;
      }
      s.clusterIP = 'None';
      s.clusterIPs = ['None'];
      return;
    }
    if (typeof wanted !== 'string' || (wanted !== '' && !isIPv4(wanted))) {
      causes.push(field.invalid('spec.clusterIPs[0]', wanted, 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'));
      return;
    }
    let ip = wanted;
    if (ip === '') {
      // an update that left the field out keeps the IP it had
      const kept = os.type !== 'ExternalName' && typeof os.clusterIP === 'string' && isIPv4(os.clusterIP) ? os.clusterIP : undefined;
      if (kept) ip = kept;
      else {
        const next = this.ips.allocateNext();
        if (!next) throw errors.internal(`failed to allocate a serviceIP: range is full (${this.ips.cidr})`);
        taken.ips.push(next);
        ip = next;
      }
    } else if (!before.ips.includes(ip)) {
      const why = this.ips.allocate(ip);
      if (why === 'allocated') causes.push(field.invalid('spec.clusterIPs[0]', ip, `failed to allocate IP ${ip}: provided IP is already allocated`));
      else if (why === 'not-in-range') causes.push(field.invalid('spec.clusterIPs[0]', ip, `failed to allocate IP ${ip}: the provided IP (${ip}) is not in the valid range. The range of valid IPs is ${this.ips.cidr}`));
      else taken.ips.push(ip);
    }
    s.clusterIP = ip;
    s.clusterIPs = [ip];
    s.ipFamilies = ['IPv4'];
    s.ipFamilyPolicy ??= 'SingleStack';
  }

  private assignNodePorts(s: Obj, os: Obj, before: Held, taken: Held, causes: StatusCause[]): void {
    const ports: Obj[] = Array.isArray(s.ports) ? s.ports.filter((p: unknown) => p && typeof p === 'object') : [];
    // 0 means "none" (Go's omitempty: upstream never stores or shows it; kubectl create service sends it)
    for (const p of ports) if (p.nodePort === 0) delete p.nodePort;
    if (s.healthCheckNodePort === 0) delete s.healthCheckNodePort;
    if (!NODE_PORT_TYPES.has(s.type)) return;
    if (s.type === 'LoadBalancer') s.allocateLoadBalancerNodePorts ??= true;
    const automatic = s.type === 'NodePort' || s.allocateLoadBalancerNodePorts !== false;
    const oldPorts: Obj[] = Array.isArray(os.ports) ? os.ports : [];
    // the same number may serve one port under two protocols (53/TCP and 53/UDP)
    const mine = new Set<number>();
    const claim = (port: number, path: string): boolean => {
      if (before.ports.includes(port) || mine.has(port)) {
        mine.add(port);
        return true;
      }
      const why = this.ports.allocate(port);
      if (why === 'allocated') causes.push(field.invalid(path, port, 'provided port is already allocated'));
      else if (why === 'not-in-range') causes.push(field.invalid(path, port, `provided port is not in the valid range. The range of valid ports is ${this.ports.range}`));
      else {
        taken.ports.push(port);
        mine.add(port);
        return true;
      }
      return false;
    };
    ports.forEach((p, i) => {
      if (p.nodePort !== undefined && p.nodePort !== null && p.nodePort !== 0) {
        if (!Number.isInteger(p.nodePort)) causes.push(field.invalid(`spec.ports[${i}].nodePort`, p.nodePort, 'must be an integer'));
        else claim(p.nodePort, `spec.ports[${i}].nodePort`);
        return;
      }
      // an update that left nodePort out keeps the one the same port had
      const prev = oldPorts.find((o) => o?.port === p.port && (o?.protocol ?? 'TCP') === (p.protocol ?? 'TCP') && Number.isInteger(o?.nodePort) && o.nodePort > 0);
      if (prev && claim(prev.nodePort, `spec.ports[${i}].nodePort`)) {
        p.nodePort = prev.nodePort;
        return;
      }
      if (!automatic) return;
      const next = this.ports.allocateNext();
      if (next === undefined) throw errors.internal(`failed to allocate a nodePort: range is full (${this.ports.range})`);
      taken.ports.push(next);
      mine.add(next);
      p.nodePort = next;
    });
    if (s.type === 'LoadBalancer' && s.externalTrafficPolicy === 'Local') {
      if (Number.isInteger(s.healthCheckNodePort) && s.healthCheckNodePort > 0) claim(s.healthCheckNodePort, 'spec.healthCheckNodePort');
      else {
        const kept = Number.isInteger(os.healthCheckNodePort) && os.healthCheckNodePort > 0 ? os.healthCheckNodePort : undefined;
        if (kept && claim(kept, 'spec.healthCheckNodePort')) s.healthCheckNodePort = kept;
        else {
          const next = this.ports.allocateNext();
          if (next === undefined) throw errors.internal(`failed to allocate a nodePort: range is full (${this.ports.range})`);
          taken.ports.push(next);
          s.healthCheckNodePort = next;
        }
      }
    }
  }

  private release(h: Held): void {
    for (const ip of h.ips) this.ips.release(ip);
    for (const p of h.ports) this.ports.release(p);
  }
}
