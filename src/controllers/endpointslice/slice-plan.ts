// What EndpointSlices a Service should have: endpoints grouped by address type
// and resolved ports, at most 100 to a slice (upstream's default
// --max-endpoints-per-slice), matched onto the slices that exist so that an
// unchanged slice is never rewritten.
import type { KubeObject } from '../../api/object.js';
import { targetRef, type PodEndpoint, type ServicePortOut } from '../../api/kinds/service-endpoints.js';

export const MAX_ENDPOINTS_PER_SLICE = 100;
export const MANAGED_BY = 'endpointslice-controller.k8s.io';
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
export const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';

type Obj = Record<string, any>;

export interface SliceContent {
  addressType: 'IPv4' | 'IPv6';
  ports: ServicePortOut[];
  endpoints: Obj[];
}

export interface SlicePlan {
  create: KubeObject[];
  update: KubeObject[];
  remove: KubeObject[];
}

function endpointOf(e: PodEndpoint): Obj {
  return {
    addresses: [e.ip],
    conditions: { ready: e.ready, serving: e.serving, terminating: e.terminating },
    ...(e.hostname ? { hostname: e.hostname } : {}),
    ...(e.nodeName ? { nodeName: e.nodeName } : {}),
    targetRef: targetRef(e.pod),
  };
}

/** The desired contents, before they are matched to slice objects. */
export function desiredContents(endpoints: PodEndpoint[], families: string[]): SliceContent[] {
  const groups = new Map<string, SliceContent>();
  for (const e of endpoints) {
    if (!families.includes(e.family)) continue;
    const key = `${e.family}|${JSON.stringify(e.ports)}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { addressType: e.family, ports: e.ports, endpoints: [] }));
    g.endpoints.push(endpointOf(e));
  }
  const out: SliceContent[] = [];
  for (const g of groups.values()) {
    for (let i = 0; i < g.endpoints.length; i += MAX_ENDPOINTS_PER_SLICE) out.push({ ...g, endpoints: g.endpoints.slice(i, i + MAX_ENDPOINTS_PER_SLICE) });
  }
  // a Service with no endpoints still gets one empty slice, as upstream's placeholder
  if (!out.length) out.push({ addressType: (families[0] as 'IPv4' | 'IPv6') ?? 'IPv4', ports: [], endpoints: [] });
  return out;
}

function sameContent(slice: KubeObject, c: SliceContent): boolean {
  return slice.addressType === c.addressType && JSON.stringify(slice.ports ?? []) === JSON.stringify(c.ports) && JSON.stringify(slice.endpoints ?? []) === JSON.stringify(c.endpoints);
}

function sameMap(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

function labelsFor(svc: KubeObject): Record<string, string> {
  const labels: Record<string, string> = { ...(svc.metadata.labels ?? {}) };
  labels[SERVICE_NAME_LABEL] = svc.metadata.name!;
  labels[MANAGED_BY_LABEL] = MANAGED_BY;
  if (((svc.spec ?? {}) as Obj).clusterIP === 'None') labels['service.kubernetes.io/headless'] = '';
  return labels;
}

function withContent(base: KubeObject, svc: KubeObject, c: SliceContent): KubeObject {
  return {
    ...base,
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      ...base.metadata,
      labels: labelsFor(svc),
      ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name: svc.metadata.name!, uid: svc.metadata.uid!, controller: true, blockOwnerDeletion: true }],
    },
    addressType: c.addressType,
    endpoints: c.endpoints,
    ports: c.ports,
  };
}

/** Matches desired contents onto existing slices: identical ones stay, the rest are rewritten, created or removed. */
export function planSlices(svc: KubeObject, existing: KubeObject[], contents: SliceContent[]): SlicePlan {
  const plan: SlicePlan = { create: [], update: [], remove: [] };
  const unused = [...existing].sort((a, b) => (a.metadata.name! < b.metadata.name! ? -1 : 1));
  const pending: SliceContent[] = [];
  for (const c of contents) {
    const i = unused.findIndex((s) => sameContent(s, c) && sameMap(s.metadata.labels ?? {}, labelsFor(svc)));
    if (i >= 0) unused.splice(i, 1);
    else pending.push(c);
  }
  for (const c of pending) {
    // prefer rewriting a slice of the same address type; a slice's addressType never changes
    const i = unused.findIndex((s) => s.addressType === c.addressType);
    if (i >= 0) plan.update.push(withContent(unused.splice(i, 1)[0], svc, c));
    else plan.create.push(withContent({ metadata: { generateName: `${svc.metadata.name}-`, namespace: svc.metadata.namespace } } as KubeObject, svc, c));
  }
  plan.remove.push(...unused);
  return plan;
}
