// How this node reaches other nodes' pods, chosen as k3s's --flannel-backend:
// vxlan (the default, works whatever lies between the nodes) or host-gw
// (plain routes; nodes must share an L2 segment). Both publish the choice on
// the Node as flannel does.
import type { RestClient } from '../client/rest-client.js';
import type { Launcher } from '../runtime/launcher.js';
import { backendAnnotations, publishBackend, type FlannelBackend } from './backend-annotations.js';
import { NodeRoutes } from './node-routes.js';
import { removeVxlanDevice } from './vxlan/vxlan-device.js';
import { VxlanRoutes } from './vxlan/vxlan-routes.js';

export interface NodeBackend {
  backend: FlannelBackend;
  /** the MTU pods must use (the overlay's), or undefined to keep the default */
  mtu?: number;
  stop(): void;
}

export async function startNodeBackend(
  client: RestClient,
  opts: { backend: FlannelBackend; nodeName: string; nodeIP: string; podCIDR: string; launcher?: Launcher },
  log: (msg: string, extra?: Record<string, unknown>) => void,
): Promise<NodeBackend> {
  // a loopback-only node (several agents sharing one test namespace) has no
  // underlay to tunnel over and no peer to reach: plain routes, which skip it
  const loopback = opts.nodeIP.startsWith('127.');
  if (opts.backend === 'vxlan' && !loopback) {
    const vxlan = new VxlanRoutes(client, opts, log);
    await vxlan.start();
    return { backend: 'vxlan', mtu: vxlan.mtu, stop: () => vxlan.stop() };
  }
  if (opts.backend === 'vxlan') log('node address is loopback: no vxlan overlay, pods reach only this node', { nodeIP: opts.nodeIP });
  // a node switched from vxlan drops its device with its neighbours and fdb
  if (opts.backend === 'host-gw' && (await removeVxlanDevice())) log('removed the vxlan device (backend is host-gw)');
  await publishBackend(client, opts.nodeName, backendAnnotations('host-gw', opts.nodeIP, null));
  const routes = new NodeRoutes(client, opts.nodeName, log, opts.launcher);
  await routes.start();
  return { backend: 'host-gw', stop: () => routes.stop() };
}
