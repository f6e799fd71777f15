// Registers the Node, keeps its status current and renews its Lease in
// kube-node-lease, as the kubelet's node status manager and lease controller.
import { metaTime, type KubeObject } from '../api/object.js';
import type { ResourceRef, RestClient } from '../client/rest-client.js';
import { nodeObject, nodeStatus, type NodeOptions } from './node-status.js';

const NODES: ResourceRef = { group: '', version: 'v1', plural: 'nodes', namespaced: false };
const LEASES: ResourceRef = { group: 'coordination.k8s.io', version: 'v1', plural: 'leases', namespaced: true };

function microNow(): string {
  return new Date().toISOString().replace(/Z$/, '000Z');
}

export class NodeAgent {
  private timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly client: RestClient,
    private readonly opts: NodeOptions & { leaseDurationSeconds?: number; statusIntervalMs?: number },
    private readonly log: (msg: string, extra?: Record<string, unknown>) => void,
  ) {}

  async register(): Promise<void> {
    try {
      await this.client.request('POST', '/api/v1/nodes', nodeObject(this.opts));
      this.log('node registered', { node: this.opts.name });
    } catch (e) {
      if ((e as { code?: number }).code !== 409) throw e;
    }
    await this.updateStatus();
    await this.renewLease();
  }

  start(): void {
    // SKIFF_NODE_LEASE_RENEW_MS renews faster than upstream's quarter of the lease (tests with short grace periods)
    const leaseEvery = Number(process.env.SKIFF_NODE_LEASE_RENEW_MS) || ((this.opts.leaseDurationSeconds ?? 40) * 1000) / 4;
    this.timers.push(setInterval(() => void this.renewLease().catch((e) => this.log('lease renewal failed', { error: String(e) })), leaseEvery));
    this.timers.push(setInterval(() => void this.updateStatus().catch((e) => this.log('node status update failed', { error: String(e) })), this.opts.statusIntervalMs ?? 10_000));
  }

  stop(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
  }

  async updateStatus(): Promise<void> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const node = await this.client.get<KubeObject>(NODES, undefined, this.opts.name);
      node.status = nodeStatus(this.opts, metaTime(), node.status as Record<string, any> | undefined);
      try {
        await this.client.update(NODES, node, 'status');
        return;
      } catch (e) {
        if ((e as { code?: number }).code !== 409) throw e;
      }
    }
  }

  async renewLease(): Promise<void> {
    const name = this.opts.name;
    const spec = { holderIdentity: name, leaseDurationSeconds: this.opts.leaseDurationSeconds ?? 40, renewTime: microNow() };
    try {
      const lease = await this.client.get<KubeObject>(LEASES, 'kube-node-lease', name);
      lease.spec = { ...(lease.spec as object), ...spec };
      await this.client.update(LEASES, lease);
    } catch (e) {
      if ((e as { code?: number }).code !== 404) throw e;
      const node = await this.client.get<KubeObject>(NODES, undefined, name);
      await this.client.request('POST', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases', {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name, namespace: 'kube-node-lease', ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name, uid: node.metadata.uid }] },
        spec: { ...spec, acquireTime: microNow() },
      });
    }
  }
}
