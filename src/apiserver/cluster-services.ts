// The Services every cluster has, kept by the API server itself as upstream's
// bootstrap controller does: `kubernetes` in default (the first service IP,
// 443 -> the API server) with its Endpoints and EndpointSlice pointing at this
// server, and `kube-dns` in kube-system (the tenth IP) for the DNS the node
// agents serve. A lost or stale object is put back every few seconds.
import { networkInterfaces } from 'node:os';
import { findResource } from '../api/kinds/resources.js';
import type { KubeObject } from '../api/object.js';
import type { GenericRegistry, WriteOptions } from './registry/generic-registry.js';
import type { ServiceAllocator } from './registry/service-allocator.js';

const SERVICES = findResource('', 'services')!;
const ENDPOINTS = findResource('', 'endpoints')!;
const SLICES = findResource('discovery.k8s.io', 'endpointslices')!;
const REPAIR_INTERVAL_MS = 10_000;

const writeOpts = (): WriteOptions => ({ dryRun: false, fieldManager: 'skiff-apiserver', fieldValidation: 'Ignore', warnings: [] });

/** Marks the IPs and node ports stored Services hold, before the server takes writes. */
export async function loadServiceAllocations(registry: GenericRegistry, allocator: ServiceAllocator): Promise<void> {
  const list = await registry.list(SERVICES, 'v1', undefined, {});
  allocator.load(list.items);
}

/** The address other machines reach this API server on (what the `kubernetes` endpoints say). */
export function advertiseAddress(bindAddress: string, given?: string): string {
  if (given) return given;
  if (bindAddress !== '0.0.0.0' && bindAddress !== '::' && bindAddress !== '') return bindAddress;
  for (const addrs of Object.values(networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

export interface ClusterServicesOptions {
  allocator: ServiceAllocator;
  /** this API server's address and port */
  address: string;
  port: number;
  log?: (msg: string, extra?: Record<string, unknown>) => void;
}

export function kubernetesService(clusterIP: string, port: number): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'kubernetes', namespace: 'default', labels: { component: 'apiserver', provider: 'kubernetes' } },
    spec: { type: 'ClusterIP', clusterIP, ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: port }], sessionAffinity: 'None' },
  };
}

export function kubeDnsService(clusterIP: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'kube-dns', namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns', 'kubernetes.io/cluster-service': 'true', 'kubernetes.io/name': 'CoreDNS' } },
    spec: {
      type: 'ClusterIP',
      clusterIP,
      selector: { 'k8s-app': 'kube-dns' },
      ports: [
        { name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 },
        { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53 },
        { name: 'metrics', port: 9153, protocol: 'TCP', targetPort: 9153 },
      ],
    },
  };
}

function kubernetesEndpoints(address: string, port: number): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name: 'kubernetes', namespace: 'default', labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' } },
    subsets: [{ addresses: [{ ip: address }], ports: [{ name: 'https', port, protocol: 'TCP' }] }],
  };
}

function kubernetesSlice(address: string, port: number): KubeObject {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: 'kubernetes', namespace: 'default', labels: { 'kubernetes.io/service-name': 'kubernetes' } },
    addressType: address.includes(':') ? 'IPv6' : 'IPv4',
    endpoints: [{ addresses: [address], conditions: { ready: true } }],
    ports: [{ name: 'https', port, protocol: 'TCP' }],
  };
}

export class ClusterServices {
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly registry: GenericRegistry,
    private readonly opts: ClusterServicesOptions,
  ) {}

  async start(): Promise<void> {
    await this.reconcile();
    this.timer = setInterval(() => void this.reconcile().catch((e) => this.opts.log?.('cluster services repair failed', { error: String(e) })), REPAIR_INTERVAL_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  async reconcile(): Promise<void> {
    const { allocator, address, port } = this.opts;
    const svc = kubernetesService(allocator.ips.nth(1), port);
    await this.ensure(SERVICES, 'v1', svc, (cur) => {
      const ports = (cur.spec as { ports?: unknown[] } | undefined)?.ports;
      if (JSON.stringify(ports) === JSON.stringify((svc.spec as { ports: unknown[] }).ports)) return undefined;
      return { ...cur, spec: { ...(cur.spec as object), ports: (svc.spec as { ports: unknown[] }).ports } };
    });
    await this.ensure(SERVICES, 'v1', kubeDnsService(allocator.ips.nth(10)), () => undefined);
    const ep = kubernetesEndpoints(address, port);
    await this.ensure(ENDPOINTS, 'v1', ep, (cur) => (JSON.stringify(cur.subsets) === JSON.stringify(ep.subsets) ? undefined : { ...cur, subsets: ep.subsets }));
    const slice = kubernetesSlice(address, port);
    await this.ensure(SLICES, 'v1', slice, (cur) =>
      JSON.stringify([cur.endpoints, cur.ports, cur.addressType]) === JSON.stringify([slice.endpoints, slice.ports, slice.addressType]) ? undefined : { ...cur, endpoints: slice.endpoints, ports: slice.ports, addressType: slice.addressType },
    );
  }

  /** Creates want, or applies fix to the stored object when it has drifted (fix returns undefined when it has not). */
  private async ensure(info: typeof SERVICES, version: string, want: KubeObject, fix: (cur: KubeObject) => KubeObject | undefined): Promise<void> {
    const { namespace, name } = want.metadata;
    let cur: KubeObject;
    try {
      cur = await this.registry.get(info, version, namespace, name!);
    } catch (e) {
      if ((e as { reason?: string }).reason !== 'NotFound') throw e;
      await this.registry.create(info, version, namespace, structuredClone(want), writeOpts());
      return;
    }
    const next = fix(cur);
    if (next) await this.registry.update(info, version, namespace, name!, next, writeOpts());
  }
}
