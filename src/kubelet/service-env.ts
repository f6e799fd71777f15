// Docker-link style variables for the `kubernetes` Service (default namespace),
// which upstream's kubelet gives every container so in-cluster clients
// (client-go's InClusterConfig, @kubernetes/client-node's loadFromCluster) find
// the API server: KUBERNETES_SERVICE_HOST/PORT, KUBERNETES_PORT and
// KUBERNETES_PORT_443_TCP{,_PROTO,_PORT,_ADDR}.
import type { KubeObject } from '../api/object.js';

type Obj = Record<string, any>;

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
