// Docker-link style variables for Services, as upstream's kubelet gives every
// container: always for the `kubernetes` Service (default namespace), so
// in-cluster clients (client-go's InClusterConfig, @kubernetes/client-node's
// loadFromCluster) find the API server (KUBERNETES_SERVICE_HOST/PORT,
// KUBERNETES_PORT, KUBERNETES_PORT_443_TCP{,_PROTO,_PORT,_ADDR}), and for every
// Service of the pod's namespace unless the pod sets enableServiceLinks: false.
import type { KubeObject } from '../api/object.js';

type Obj = Record<string, any>;

/** The Services of a namespace, as the node watches them; undefined until the watch has listed them once. */
export type ServiceLister = (namespace: string) => KubeObject[] | undefined;

/**
 * The link variables of the pod's Services (a same-named one of its namespace wins
 * over default's kubernetes); undefined while the Services are not known yet (upstream
 * then refuses to make the container rather than start it without them).
 */
export function podServiceLinks(pod: KubeObject, services: ServiceLister): Array<[string, string]> | undefined {
  const ns = pod.metadata.namespace!;
  const own = services(ns);
  const defaults = services('default');
  if (!own || !defaults) return undefined;
  const byName = new Map<string, KubeObject>();
  if ((pod.spec as Obj | undefined)?.enableServiceLinks !== false) for (const s of own) byName.set(s.metadata.name!, s);
  if (!byName.has('kubernetes')) {
    const master = defaults.find((s) => s.metadata.name === 'kubernetes');
    if (master) byName.set('kubernetes', master);
  }
  return [...byName.keys()].sort().flatMap((name) => serviceLinkEnv(byName.get(name)!));
}

/** upstream's envvars.FromServices for one Service; none without a ClusterIP. */
export function serviceLinkEnv(service: KubeObject): Array<[string, string]> {
  const spec = (service.spec ?? {}) as Obj;
  const ip = spec.clusterIP as string | undefined;
  const ports = (spec.ports ?? []) as Obj[];
  if (!ip || ip === 'None' || ports.length === 0) return [];
  const prefix = service.metadata.name!.toUpperCase().replace(/-/g, '_');
  const host = ip.includes(':') ? `[${ip}]` : ip;
  const out: Array<[string, string]> = [
    [`${prefix}_SERVICE_HOST`, ip],
    [`${prefix}_SERVICE_PORT`, String(ports[0].port)],
  ];
  for (const p of ports) if (p.name) out.push([`${prefix}_SERVICE_PORT_${String(p.name).toUpperCase().replace(/-/g, '_')}`, String(p.port)]);
  ports.forEach((p, i) => {
    const proto = String(p.protocol ?? 'TCP');
    const url = `${proto.toLowerCase()}://${host}:${p.port}`;
    if (i === 0) out.push([`${prefix}_PORT`, url]);
    const portPrefix = `${prefix}_PORT_${p.port}_${proto.toUpperCase()}`;
    out.push([portPrefix, url], [`${portPrefix}_PROTO`, proto.toLowerCase()], [`${portPrefix}_PORT`, String(p.port)], [`${portPrefix}_ADDR`, ip]);
  });
  return out;
}
