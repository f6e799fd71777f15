// flannel's vxlan backend for nodes that do not share an L2 segment: the node
// makes its VXLAN device, publishes its VTEP MAC on its Node, and keeps one
// route, neighbour and fdb entry per other node from the node informer. Every
// command runs in the agent's own network namespace (the node's).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Informer, stripManagedFields } from '../../client/informer.js';
import type { ResourceRef, RestClient } from '../../client/rest-client.js';
import { backendAnnotations, publishBackend } from '../backend-annotations.js';
import { ROUTE_PROTO } from '../node-routes.js';
import { ensureVxlanDevice, type VxlanDevice } from './vxlan-device.js';
import { VXLAN_VNI, parseOverlayState, planOverlay, wantedPeers } from './vxlan-plan.js';

const run = promisify(execFile);
const NODES: ResourceRef = { group: '', version: 'v1', plural: 'nodes', namespaced: false };

export interface VxlanRoutesOptions {
  nodeName: string;
  nodeIP: string;
  podCIDR: string;
  /** how often the kernel's entries are compared again, so hand-made changes are undone */
  resyncMs?: number;
}

export class VxlanRoutes {
  private readonly nodes: Informer;
  private timer?: NodeJS.Timeout;
  private syncing = Promise.resolve();
  private device?: VxlanDevice;
  /** the peers last written, so node status updates that change nothing cost nothing */
  private applied = '';

  constructor(
    private readonly client: RestClient,
    private readonly opts: VxlanRoutesOptions,
    private readonly log: (msg: string, extra?: Record<string, unknown>) => void,
  ) {
    this.nodes = new Informer(client, NODES, { transform: stripManagedFields, onError: (e) => log('node watch failed', { error: String(e) }) });
    const changed = () => this.schedule(false);
    this.nodes.addHandlers({ onAdd: changed, onUpdate: changed, onDelete: changed });
  }

  /** The MTU pods must use so their packets fit the overlay. */
  get mtu(): number | undefined {
    return this.device?.mtu;
  }

  /** Makes the device first, so the pod network can take its MTU. */
  async start(): Promise<void> {
    this.device = await ensureVxlanDevice(this.opts.nodeIP, this.opts.podCIDR);
    this.log('vxlan device', { device: this.device.name, mac: this.device.mac, mtu: this.device.mtu, vtep: this.device.vtepIP });
    await this.publish();
    this.nodes.start();
    await this.nodes.waitForSync();
    await this.sync(true);
    this.timer = setInterval(() => this.schedule(true), this.opts.resyncMs ?? 10_000);
  }

  private schedule(full: boolean): void {
    this.syncing = this.syncing.then(() => this.sync(full)).catch((e) => this.log('vxlan sync failed', { error: String(e) }));
  }

  private async publish(): Promise<void> {
    const want = backendAnnotations('vxlan', this.opts.nodeIP, { VNI: VXLAN_VNI, VtepMAC: this.device!.mac });
    if (await publishBackend(this.client, this.opts.nodeName, want, this.nodes.get(this.opts.nodeName))) this.log('published vxlan backend on the node', { mac: this.device!.mac });
  }

  private async sync(full: boolean): Promise<void> {
    if (full) {
      // a device deleted or changed by hand comes back (a new MAC is published again)
      this.device = await ensureVxlanDevice(this.opts.nodeIP, this.opts.podCIDR);
      await this.publish();
    }
    const peers = wantedPeers(this.nodes.list(), this.opts.nodeName);
    const key = JSON.stringify(peers);
    if (!full && key === this.applied) return;
    const dev = this.device!.name;
    const [routes, neigh, fdb] = await Promise.all([
      run('ip', ['-j', 'route', 'show', 'proto', ROUTE_PROTO]),
      run('ip', ['-j', 'neigh', 'show', 'dev', dev]),
      run('bridge', ['-j', 'fdb', 'show', 'dev', dev]),
    ]);
    const plan = planOverlay(peers, parseOverlayState(routes.stdout, neigh.stdout, fdb.stdout), dev, ROUTE_PROTO);
    let failed = 0;
    for (const c of plan) {
      // one failed entry must not stop the others; it is tried again on the next sync
      await run(c.cmd, c.args).catch((e) => {
        failed++;
        this.log('vxlan entry not changed', { command: `${c.cmd} ${c.args.join(' ')}`, error: String(e) });
      });
    }
    if (plan.length) this.log('vxlan peers', { peers: peers.map((p) => `${p.node} ${p.podCIDR} via ${p.vtepIP} at ${p.nodeIP}`), changes: plan.length, failed });
    this.applied = failed ? '' : key;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.nodes.stop();
  }
}
