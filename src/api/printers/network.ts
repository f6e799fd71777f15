// Services, Endpoints, EndpointSlices, Ingresses, IngressClasses, NetworkPolicies.
import type { Printer } from './table-types.js';
import { AGE, NAME, col, mapSelector, selectorString, type Obj } from './columns.js';
import { age } from './duration.js';

function externalIps(svc: Obj): string {
  const spec = svc.spec ?? {};
  const ext: string[] = spec.externalIPs ?? [];
  switch (spec.type) {
    case 'ExternalName':
      return spec.externalName ?? '<none>';
    case 'LoadBalancer': {
      const ing: Obj[] = svc.status?.loadBalancer?.ingress ?? [];
      const ips = [...ing.map((i) => i.ip || i.hostname).filter(Boolean), ...ext];
      return ips.length ? ips.join(',') : '<pending>';
    }
    default:
      return ext.length ? ext.join(',') : '<none>';
  }
}

function servicePorts(ports: Obj[] | undefined): string {
  if (!ports?.length) return '<none>';
  return ports.map((p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol ?? 'TCP'}`).join(',');
}

export const servicePrinter: Printer = {
  columns: [NAME, col('Type', 'The type of the service.'), col('Cluster-IP', 'The cluster IP of the service.'), col('External-IP', 'The external IP of the service.'), col('Port(s)', 'The ports of the service.'), AGE, col('Selector', 'The selector of the service.', 'string', 1)],
  rows(o: Obj, now) {
    const spec = o.spec ?? {};
    return [[o.metadata.name, spec.type ?? 'ClusterIP', spec.clusterIP || '<none>', externalIps(o), servicePorts(spec.ports), age(o.metadata.creationTimestamp, now), mapSelector(spec.selector)]];
  },
};

function limitList(items: string[], max = 3): string {
  if (items.length === 0) return '<none>';
  return items.length > max ? `${items.slice(0, max).join(',')} + ${items.length - max} more...` : items.join(',');
}

export const endpointsPrinter: Printer = {
  columns: [NAME, col('Endpoints', 'Endpoints of the service.'), AGE],
  rows(o: Obj, now) {
    const eps: string[] = [];
    for (const s of o.subsets ?? []) {
      const ports: Obj[] = s.ports?.length ? s.ports : [{}];
      for (const a of s.addresses ?? []) for (const p of ports) eps.push(p.port ? `${a.ip}:${p.port}` : a.ip);
    }
    return [[o.metadata.name, limitList(eps), age(o.metadata.creationTimestamp, now)]];
  },
};

export const endpointSlicePrinter: Printer = {
  columns: [NAME, col('AddressType', 'The address type.'), col('Ports', 'The ports.'), col('Endpoints', 'The endpoints.'), AGE],
  rows(o: Obj, now) {
    const ports = (o.ports ?? []).map((p: Obj) => String(p.port ?? '')).filter(Boolean);
    const addrs = (o.endpoints ?? []).flatMap((e: Obj) => e.addresses ?? []);
    return [[o.metadata.name, o.addressType ?? '', ports.length ? ports.join(',') : '<unset>', limitList(addrs), age(o.metadata.creationTimestamp, now)]];
  },
};

export const ingressPrinter: Printer = {
  columns: [NAME, col('Class', 'The ingress class.'), col('Hosts', 'Hosts that incoming requests are matched against.'), col('Address', 'Address is a list of IP addresses.'), col('Ports', 'Ports of TLS configurations.'), AGE],
  rows(o: Obj, now) {
    const hosts = (o.spec?.rules ?? []).map((r: Obj) => r.host || '*');
    const addrs = (o.status?.loadBalancer?.ingress ?? []).map((i: Obj) => i.ip || i.hostname);
    const ports = o.spec?.tls?.length ? '80, 443' : '80';
    return [[o.metadata.name, o.spec?.ingressClassName ?? '<none>', hosts.length ? limitList(hosts) : '*', addrs.join(','), ports, age(o.metadata.creationTimestamp, now)]];
  },
};

export const ingressClassPrinter: Printer = {
  columns: [NAME, col('Controller', 'Controller that is responsible for handling this class.'), col('Parameters', 'A reference to a resource with additional parameters.'), AGE],
  rows(o: Obj, now) {
    const p = o.spec?.parameters;
    const params = p ? `${p.kind}.${p.apiGroup ?? ''}/${p.name}` : '<none>';
    return [[o.metadata.name, o.spec?.controller ?? '', params, age(o.metadata.creationTimestamp, now)]];
  },
};

export const networkPolicyPrinter: Printer = {
  columns: [NAME, col('Pod-Selector', 'Selects the pods to which this NetworkPolicy object applies.'), AGE],
  rows(o: Obj, now) {
    const sel = selectorString(o.spec?.podSelector);
    return [[o.metadata.name, sel === '<none>' ? '<none>' : sel, age(o.metadata.creationTimestamp, now)]];
  },
};
