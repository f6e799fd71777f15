// What the VXLAN overlay should hold for the other nodes, and the `ip`/`bridge`
// commands that take the kernel's current entries there. Pure, so the
// reconciliation can be checked without a kernel. As flannel's vxlan backend:
// each node's VTEP owns the network address of its pod CIDR (10.42.1.0/32);
// its pod CIDR is routed via that address onlink over the vxlan device, the
// address resolves to the node's VTEP MAC (permanent neighbour), and the MAC
// is sent to the node's InternalIP (fdb entry).
import type { KubeObject } from '../../api/object.js';
import { intToIp, parseCidr } from '../cidr.js';
import { ANNOTATION_BACKEND_DATA, ANNOTATION_BACKEND_TYPE } from '../backend-annotations.js';

export const VXLAN_DEVICE = 'skiff.vxlan';
export const VXLAN_VNI = 1;
/** the Linux-default port flannel uses, not IANA's 4789 */
export const VXLAN_PORT = 8472;
/** outer IPv4 (20) + UDP (8) + VXLAN (8) + inner Ethernet (14) headers */
export const VXLAN_OVERHEAD = 50;

export interface VxlanPeer {
  node: string;
  podCIDR: string;
  /** the network address of the peer's pod CIDR, owned by its vxlan device */
  vtepIP: string;
  vtepMac: string;
  /** where its VXLAN packets go: the peer's InternalIP */
  nodeIP: string;
}

/** The entries an overlay currently holds (read from the kernel). */
export interface OverlayState {
  /** pod CIDR -> gateway of our routes (route protocol marked) */
  routes: Map<string, { via: string; dev?: string; onlink: boolean }>;
  /** permanent neighbours on the vxlan device: VTEP IP -> MAC */
  neighbours: Map<string, string>;
  /** fdb of the vxlan device: MAC -> destination node IP */
  fdb: Map<string, string>;
}

export interface Command {
  cmd: 'ip' | 'bridge';
  args: string[];
}

type Obj = Record<string, any>;

/** The network address of a CIDR: the VTEP address flannel gives a node. */
export function vtepAddress(podCIDR: string): string {
  return intToIp(parseCidr(podCIDR).base);
}

export function internalIP(n: KubeObject): string | undefined {
  return (((n.status ?? {}) as Obj).addresses as Obj[] | undefined)?.find((a) => a.type === 'InternalIP')?.address as string | undefined;
}

/** The VTEP MAC a node published, or undefined (not a vxlan node, or not yet). */
export function publishedVtepMac(n: KubeObject): string | undefined {
  const a = (n.metadata.annotations ?? {}) as Record<string, string>;
  if (a[ANNOTATION_BACKEND_TYPE] !== 'vxlan') return undefined;
  try {
    const mac = (JSON.parse(a[ANNOTATION_BACKEND_DATA] ?? '') as { VtepMAC?: unknown }).VtepMAC;
    return typeof mac === 'string' && /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i.test(mac) ? mac.toLowerCase() : undefined;
  } catch {
    return undefined;
  }
}

/** Every other node reachable over the overlay: it has a pod CIDR, an IPv4 InternalIP and a published VTEP. */
export function wantedPeers(nodes: KubeObject[], self: string): VxlanPeer[] {
  const peers: VxlanPeer[] = [];
  for (const n of nodes) {
    const node = n.metadata.name;
    if (!node || node === self) continue;
    const podCIDR = ((n.spec ?? {}) as Obj).podCIDR as string | undefined;
    const nodeIP = internalIP(n);
    const vtepMac = publishedVtepMac(n);
    if (!podCIDR || !nodeIP || nodeIP.includes(':') || nodeIP.startsWith('127.') || !vtepMac) continue;
    let vtepIP: string;
    try {
      vtepIP = vtepAddress(podCIDR);
    } catch {
      continue;
    }
    peers.push({ node, podCIDR, vtepIP, vtepMac, nodeIP });
  }
  return peers;
}

/**
 * The commands that turn `have` into what `peers` need, over device `dev`.
 * Adds go fdb, neighbour, route (a route is usable only once its next hop
 * resolves); removals go the other way round. Entries already right are left
 * alone, so a second plan over the result is empty.
 */
export function planOverlay(peers: VxlanPeer[], have: OverlayState, dev: string, routeProto: string): Command[] {
  const wantRoutes = new Map(peers.map((p) => [p.podCIDR, p.vtepIP]));
  const wantNeigh = new Map(peers.map((p) => [p.vtepIP, p.vtepMac]));
  const wantFdb = new Map(peers.map((p) => [p.vtepMac, p.nodeIP]));
  const adds: Command[] = [];
  const dels: Command[] = [];
  for (const [mac, dst] of wantFdb) if (have.fdb.get(mac) !== dst) adds.push({ cmd: 'bridge', args: ['fdb', 'replace', mac, 'dev', dev, 'dst', dst, 'self', 'permanent'] });
  for (const [ip, mac] of wantNeigh) if (have.neighbours.get(ip) !== mac) adds.push({ cmd: 'ip', args: ['neigh', 'replace', ip, 'lladdr', mac, 'dev', dev, 'nud', 'permanent'] });
  for (const [cidr, via] of wantRoutes) {
    const r = have.routes.get(cidr);
    if (r && r.via === via && r.dev === dev && r.onlink) continue;
    adds.push({ cmd: 'ip', args: ['route', 'replace', cidr, 'via', via, 'dev', dev, 'onlink', 'proto', routeProto] });
  }
  for (const cidr of have.routes.keys()) if (!wantRoutes.has(cidr)) dels.push({ cmd: 'ip', args: ['route', 'del', cidr, 'proto', routeProto] });
  for (const ip of have.neighbours.keys()) if (!wantNeigh.has(ip)) dels.push({ cmd: 'ip', args: ['neigh', 'del', ip, 'dev', dev] });
  for (const [mac, dst] of have.fdb) if (!wantFdb.has(mac)) dels.push({ cmd: 'bridge', args: ['fdb', 'del', mac, 'dev', dev, 'dst', dst, 'self'] });
  return [...adds, ...dels];
}

/**
 * The overlay's entries from `ip -j route show proto P`, `ip -j neigh show dev D`
 * and `bridge -j fdb show dev D`. Only permanent neighbours and fdb entries
 * with a unicast destination are ours; the kernel's own are skipped.
 */
export function parseOverlayState(routesJson: string, neighJson: string, fdbJson: string): OverlayState {
  const parse = (s: string): Obj[] => (s.trim() ? (JSON.parse(s) as Obj[]) : []);
  const routes = new Map<string, { via: string; dev?: string; onlink: boolean }>();
  for (const r of parse(routesJson)) routes.set(r.dst as string, { via: (r.gateway as string | undefined) ?? '', dev: r.dev as string | undefined, onlink: ((r.flags as string[] | undefined) ?? []).includes('onlink') });
  const neighbours = new Map<string, string>();
  for (const n of parse(neighJson)) {
    const state = ([] as string[]).concat((n.state as string[] | string | undefined) ?? []);
    if (state.includes('PERMANENT') && n.lladdr) neighbours.set(n.dst as string, (n.lladdr as string).toLowerCase());
  }
  const fdb = new Map<string, string>();
  for (const f of parse(fdbJson)) {
    const mac = (f.mac as string | undefined)?.toLowerCase();
    if (!mac || !f.dst || mac === '00:00:00:00:00:00') continue;
    fdb.set(mac, f.dst as string);
  }
  return { routes, neighbours, fdb };
}
