// The node's pod CIDR: given by flag (and then written to the Node if it has
// none), or assigned by the control plane's node IPAM and read from the Node.
import type { KubeObject } from '../api/object.js';
import type { ResourceRef, RestClient } from '../client/rest-client.js';
import { formatCidr, parseCidr } from '../network/cidr.js';

const NODES: ResourceRef = { group: '', version: 'v1', plural: 'nodes', namespaced: false };

export async function resolvePodCIDR(client: RestClient, nodeName: string, override: string | undefined, log: (msg: string, extra?: Record<string, unknown>) => void, signal?: AbortSignal): Promise<string> {
  if (override) {
    const want = formatCidr(parseCidr(override));
    const node = await client.get<KubeObject>(NODES, undefined, nodeName);
    const have = ((node.spec ?? {}) as { podCIDR?: string }).podCIDR;
    if (have && have !== want) throw new Error(`node ${nodeName} already has podCIDR ${have}; --pod-cidr ${want} cannot change it (delete the Node to re-register)`);
    if (!have) await client.request('PATCH', `/api/v1/nodes/${encodeURIComponent(nodeName)}`, { spec: { podCIDR: want, podCIDRs: [want] } }, 'application/strategic-merge-patch+json');
    return want;
  }
  let said = false;
  for (;;) {
    const node = await client.get<KubeObject>(NODES, undefined, nodeName);
    const have = ((node.spec ?? {}) as { podCIDR?: string }).podCIDR;
    if (have) return have;
    if (!said) log('waiting for the control plane to assign this node a pod CIDR (node IPAM; or start the agent with --pod-cidr)');
    said = true;
    if (signal?.aborted) throw new Error('stopped while waiting for a pod CIDR');
    await new Promise((r) => setTimeout(r, 300));
  }
}
