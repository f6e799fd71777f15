// A node publishes how other nodes reach its pods in its own annotations, named
// and shaped as flannel's (and so k3s's): the backend type, the backend's data
// (the VTEP MAC for vxlan) and the address it sends from. Peers read them from
// the node informer; nothing else is exchanged between nodes.
import type { KubeObject } from '../api/object.js';
import type { RestClient } from '../client/rest-client.js';

export const ANNOTATION_BACKEND_TYPE = 'flannel.alpha.coreos.com/backend-type';
export const ANNOTATION_BACKEND_DATA = 'flannel.alpha.coreos.com/backend-data';
export const ANNOTATION_PUBLIC_IP = 'flannel.alpha.coreos.com/public-ip';
export const ANNOTATION_SUBNET_MANAGER = 'flannel.alpha.coreos.com/kube-subnet-manager';

export type FlannelBackend = 'vxlan' | 'host-gw';
export const FLANNEL_BACKENDS: readonly FlannelBackend[] = ['vxlan', 'host-gw'];

export function backendAnnotations(backend: FlannelBackend, publicIP: string, data: object | null): Record<string, string> {
  return {
    [ANNOTATION_BACKEND_TYPE]: backend,
    [ANNOTATION_BACKEND_DATA]: JSON.stringify(data),
    [ANNOTATION_PUBLIC_IP]: publicIP,
    [ANNOTATION_SUBNET_MANAGER]: 'true',
  };
}

/**
 * Writes the annotations when the node (as last seen, if known) lacks them;
 * a merge patch touches only these keys, whatever else the node carries.
 */
export async function publishBackend(client: RestClient, nodeName: string, want: Record<string, string>, seen?: KubeObject): Promise<boolean> {
  const have = (seen?.metadata.annotations ?? {}) as Record<string, string>;
  if (seen && Object.entries(want).every(([k, v]) => have[k] === v)) return false;
  await client.request('PATCH', `/api/v1/nodes/${encodeURIComponent(nodeName)}`, { metadata: { annotations: want } }, 'application/merge-patch+json');
  return true;
}
