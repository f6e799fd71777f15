// Gives every Node a pod CIDR from the cluster CIDR (upstream's node IPAM
// controller with the range allocator): spec.podCIDR and spec.podCIDRs, set
// once. Which subnets are taken is read from the nodes themselves, so nothing
// is kept beside the API and a restart cannot hand out a subnet twice.
import type { KubeObject } from '../../api/object.js';
import type { Informer } from '../../client/informer.js';
import { QueueController } from '../../client/queue-controller.js';
import type { ResourceRef, RestClient } from '../../client/rest-client.js';
import { formatCidr, parseCidr, subnetAt, type Cidr } from '../../network/cidr.js';

export const NODES_REF: ResourceRef = { group: '', version: 'v1', plural: 'nodes', namespaced: false };

export interface NodeIpamOptions {
  clusterCIDR: string;
  nodeMaskSize: number;
}

export class NodeIpamController extends QueueController {
  private readonly range: Cidr;
  /** handed out but maybe not yet seen back through the informer */
  private readonly pending = new Map<string, string>();

  constructor(
    private readonly client: RestClient,
    private readonly nodes: Informer,
    private readonly opts: NodeIpamOptions,
    private readonly log: (msg: string, extra?: Record<string, unknown>) => void,
  ) {
    // one worker: allocations are serialized, so two nodes never get the same subnet
    super({ failed: 'node ipam sync failed', keyField: 'node', workers: 1, baseDelayMs: 100, maxDelayMs: 30_000, log });
    this.range = parseCidr(opts.clusterCIDR);
    if (opts.nodeMaskSize < this.range.bits || opts.nodeMaskSize > 30) throw new Error(`node CIDR mask /${opts.nodeMaskSize} does not fit cluster CIDR ${opts.clusterCIDR}`);
    nodes.addHandlers({ onAdd: (n) => this.queue.add(n.metadata.name!), onUpdate: (_o, n) => this.queue.add(n.metadata.name!) });
  }

  private used(): Set<string> {
    const used = new Set<string>(this.pending.values());
    for (const n of this.nodes.list()) {
      const spec = (n.spec ?? {}) as { podCIDR?: string; podCIDRs?: string[] };
      for (const c of [spec.podCIDR, ...(spec.podCIDRs ?? [])]) if (c) used.add(formatCidr(parseCidr(c)));
    }
    return used;
  }

  protected override async sync(name: string): Promise<void> {
    const node = this.nodes.get(name);
    if (!node || node.metadata.deletionTimestamp) {
      this.pending.delete(name);
      return;
    }
    const spec = (node.spec ?? {}) as { podCIDR?: string };
    if (spec.podCIDR) {
      this.pending.delete(name);
      return;
    }
    const used = this.used();
    const mine = this.pending.get(name);
    let cidr = mine;
    for (let i = 0; !cidr; i++) {
      const c = subnetAt(this.range, this.opts.nodeMaskSize, i);
      if (!c) {
        this.log('no pod CIDR left for node', { node: name, clusterCIDR: this.opts.clusterCIDR });
        await this.event(node, 'CIDRNotAvailable', `Node ${name} status is now: CIDRNotAvailable`);
        return;
      }
      if (!used.has(formatCidr(c))) cidr = formatCidr(c);
    }
    this.pending.set(name, cidr);
    await this.client.request('PATCH', `/api/v1/nodes/${encodeURIComponent(name)}`, { spec: { podCIDR: cidr, podCIDRs: [cidr] } }, 'application/strategic-merge-patch+json');
    this.log('pod CIDR assigned', { node: name, podCIDR: cidr });
  }

  private async event(node: KubeObject, reason: string, message: string): Promise<void> {
    await this.client
      .request('POST', '/api/v1/namespaces/default/events', {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { generateName: `${node.metadata.name}.` },
        involvedObject: { kind: 'Node', name: node.metadata.name, uid: node.metadata.name, apiVersion: 'v1' },
        reason,
        message,
        type: 'Normal',
        source: { component: 'cidrAllocator' },
      })
      .catch(() => {});
  }
}
