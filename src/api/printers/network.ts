// Service networking: Services, Endpoints, EndpointSlices, Ingresses,
// IngressClasses and NetworkPolicies.
import type { Printer } from './table-types.js';
import {
  AGE,
  NAME,
  col,
  formatLabelSelector,
  formatLabels,
  int,
  joinHostPort,
  listWithMore,
  str,
  wide,
  type Obj,
} from './columns.js';
import { DOCS } from './docs.js';
import { since } from './duration.js';

/** Sorted, de-duplicated ingress points (the server prints wide, so nothing is clipped). */
function loadBalancerIngress(lb: Obj | undefined): string {
  const set = new Set<string>();
  for (const i of (lb?.ingress ?? []) as Obj[]) {
    if (i.ip) set.add(i.ip);
    else if (i.hostname) set.add(i.hostname);
  }
  return [...set].sort().join(',');
}

function externalIP(svc: Obj, type: string): string {
  const external: string[] = svc.spec?.externalIPs ?? [];
  switch (type) {
    case 'ClusterIP':
    case 'NodePort':
      return external.length ? external.join(',') : '<none>';
    case 'LoadBalancer': {
      const lb = loadBalancerIngress(svc.status?.loadBalancer);
      if (external.length) return [...(lb ? lb.split(',') : []), ...external].join(',');
      return lb || '<pending>';
    }
    case 'ExternalName':
      return str(svc.spec?.externalName);
    default:
      return '<unknown>';
  }
}

function servicePorts(ports: Obj[] | undefined): string {
  const s = (ports ?? [])
    .map((p) =>
      int(p.nodePort) > 0
        ? `${int(p.port)}:${p.nodePort}/${str(p.protocol)}`
        : `${int(p.port)}/${str(p.protocol)}`,
    )
    .join(',');
  return s || '<none>';
}

export const servicePrinter: Printer = {
  columns: [
    NAME,
    col('Type', DOCS.ServiceSpec.type),
    col('Cluster-IP', DOCS.ServiceSpec.clusterIP),
    col('External-IP', DOCS.ServiceSpec.externalIPs),
    col('Port(s)', DOCS.ServiceSpec.ports),
    AGE,
    wide('Selector', DOCS.ServiceSpec.selector),
  ],
  rows(o: Obj, now) {
    const spec: Obj = o.spec ?? {};
    const type: string = spec.type ?? 'ClusterIP';
    // v1 objects may carry only clusterIP; upstream's conversion fills clusterIPs from it
    const clusterIPs: string[] = spec.clusterIPs?.length
      ? spec.clusterIPs
      : spec.clusterIP
        ? [spec.clusterIP]
        : [];
    return [
      [
        o.metadata.name,
        type,
        clusterIPs[0] ?? '<none>',
        externalIP(o, type),
        servicePorts(spec.ports),
        since(o.metadata.creationTimestamp, now),
        formatLabels(spec.selector),
      ],
    ];
  },
};

/** formatEndpoints: the first three host:port pairs, then "+ N more...". */
function formatEndpoints(o: Obj): string {
  const subsets: Obj[] = o.subsets ?? [];
  if (subsets.length === 0) return '<none>';
  const max = 3;
  const list: string[] = [];
  let count = 0;
  for (const ss of subsets) {
    const addresses: Obj[] = ss.addresses ?? [];
    const ports: Obj[] = ss.ports ?? [];
    if (ports.length === 0) {
      // headless services may have no ports
      count += addresses.length;
      for (const a of addresses) if (list.length < max) list.push(str(a.ip));
      continue;
    }
    for (const p of ports) {
      count += addresses.length;
      for (const a of addresses)
        if (list.length < max) list.push(joinHostPort(str(a.ip), int(p.port)));
    }
  }
  const ret = list.join(',');
  return count > max ? `${ret} + ${count - max} more...` : ret;
}

export const endpointsPrinter: Printer = {
  columns: [NAME, col('Endpoints', DOCS.Endpoints.subsets), AGE],
  rows: (o: Obj, now) => [
    [o.metadata.name, formatEndpoints(o), since(o.metadata.creationTimestamp, now)],
  ],
};

function discoveryPorts(ports: Obj[]): string {
  const list = ports.map((p) =>
    typeof p.port === 'number' ? String(p.port) : typeof p.name === 'string' ? p.name : '*',
  );
  return listWithMore(list, list.length, 3);
}

function discoveryEndpoints(endpoints: Obj[]): string {
  const list = endpoints.flatMap((e) => ((e.addresses ?? []) as unknown[]).map(String));
  return listWithMore(list, list.length, 3);
}

export const endpointSlicePrinter: Printer = {
  columns: [
    NAME,
    col('AddressType', DOCS.EndpointSlice.addressType),
    col('Ports', DOCS.EndpointSlice.ports),
    col('Endpoints', DOCS.EndpointSlice.endpoints),
    AGE,
  ],
  rows: (o: Obj, now) => [
    [
      o.metadata.name,
      str(o.addressType),
      discoveryPorts(o.ports ?? []),
      discoveryEndpoints(o.endpoints ?? []),
      since(o.metadata.creationTimestamp, now),
    ],
  ],
};

/** formatHosts: up to three non-empty hosts, "*" when none. */
function formatHosts(rules: Obj[]): string {
  const max = 3;
  const list: string[] = [];
  let more = false;
  for (const r of rules) {
    if (list.length === max) more = true;
    if (!more && r.host) list.push(r.host);
  }
  if (list.length === 0) return '*';
  return more ? `${list.join(',')} + ${rules.length - max} more...` : list.join(',');
}

export const ingressPrinter: Printer = {
  columns: [
    NAME,
    col(
      'Class',
      'The name of the IngressClass resource that should be used for additional configuration',
    ),
    col('Hosts', 'Hosts that incoming requests are matched against before the ingress rule'),
    col('Address', 'Address is a list containing ingress points for the load-balancer'),
    col('Ports', 'Ports of TLS configurations that open'),
    AGE,
  ],
  rows(o: Obj, now) {
    const spec: Obj = o.spec ?? {};
    return [
      [
        o.metadata.name,
        typeof spec.ingressClassName === 'string' ? spec.ingressClassName : '<none>',
        formatHosts(spec.rules ?? []),
        loadBalancerIngress(o.status?.loadBalancer),
        (spec.tls ?? []).length ? '80, 443' : '80',
        since(o.metadata.creationTimestamp, now),
      ],
    ];
  },
};

export const ingressClassPrinter: Printer = {
  columns: [
    NAME,
    col('Controller', 'Controller that is responsible for handling this class'),
    col('Parameters', 'A reference to a resource with additional parameters'),
    AGE,
  ],
  rows(o: Obj, now) {
    const p: Obj | undefined = o.spec?.parameters;
    let parameters = '<none>';
    if (p)
      parameters = `${str(p.kind)}${typeof p.apiGroup === 'string' ? `.${p.apiGroup}` : ''}/${str(p.name)}`;
    return [
      [
        o.metadata.name,
        str(o.spec?.controller),
        parameters,
        since(o.metadata.creationTimestamp, now),
      ],
    ];
  },
};

export const networkPolicyPrinter: Printer = {
  columns: [NAME, col('Pod-Selector', DOCS.NetworkPolicySpec.podSelector), AGE],
  rows: (o: Obj, now) => [
    [
      o.metadata.name,
      formatLabelSelector(o.spec?.podSelector ?? {}),
      since(o.metadata.creationTimestamp, now),
    ],
  ],
};
