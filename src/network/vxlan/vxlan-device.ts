// The node's VXLAN device (flannel's flannel.1): VNI 1, port 8472, the node's
// address as source, no learning (the agent writes every fdb entry itself),
// MTU of the underlay less the VXLAN headers, and the pod CIDR's network
// address as its only IPv4 address. Made in the network namespace the agent
// runs in; an existing device that already fits is kept (with its MAC, which
// other nodes know), one that does not is made again.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { VXLAN_DEVICE, VXLAN_OVERHEAD, VXLAN_PORT, VXLAN_VNI, vtepAddress } from './vxlan-plan.js';

const run = promisify(execFile);
type Obj = Record<string, any>;

export interface VxlanDevice {
  name: string;
  mac: string;
  mtu: number;
  vtepIP: string;
}

/** The interface holding the node's address, and its MTU (the underlay's). */
export async function underlayOf(nodeIP: string): Promise<{ ifname: string; mtu: number }> {
  const { stdout } = await run('ip', ['-j', 'addr', 'show']);
  for (const l of JSON.parse(stdout) as Obj[]) {
    if (((l.addr_info as Obj[] | undefined) ?? []).some((a) => a.family === 'inet' && a.local === nodeIP)) return { ifname: l.ifname as string, mtu: l.mtu as number };
  }
  throw new Error(`no interface in this network namespace holds the node address ${nodeIP}; the vxlan backend sends from it (give --node-ip, or --flannel-backend host-gw)`);
}

async function show(name: string): Promise<Obj | undefined> {
  try {
    const { stdout } = await run('ip', ['-d', '-j', 'link', 'show', 'dev', name]);
    return (JSON.parse(stdout) as Obj[])[0];
  } catch {
    return undefined;
  }
}

export async function ensureVxlanDevice(nodeIP: string, podCIDR: string, name = VXLAN_DEVICE): Promise<VxlanDevice> {
  const underlay = await underlayOf(nodeIP);
  const mtu = underlay.mtu - VXLAN_OVERHEAD;
  let link = await show(name);
  const d = (link?.linkinfo as Obj | undefined)?.info_data as Obj | undefined;
  const fits = link?.linkinfo?.info_kind === 'vxlan' && d?.id === VXLAN_VNI && d?.local === nodeIP && d?.port === VXLAN_PORT && d?.learning === false;
  if (link && !fits) {
    await run('ip', ['link', 'del', name]);
    link = undefined;
  }
  if (!link) {
    await run('ip', ['link', 'add', name, 'type', 'vxlan', 'id', String(VXLAN_VNI), 'local', nodeIP, 'dev', underlay.ifname, 'dstport', String(VXLAN_PORT), 'nolearning']);
    // no IPv6 link-local address: nothing but IPv4 pod traffic crosses the overlay
    await run('ip', ['link', 'set', name, 'addrgenmode', 'none']).catch(() => {});
    link = await show(name);
    if (!link) throw new Error(`vxlan device ${name} was not created`);
  }
  if (link.mtu !== mtu) await run('ip', ['link', 'set', name, 'mtu', String(mtu)]);
  const vtepIP = vtepAddress(podCIDR);
  // only the VTEP address: a changed pod CIDR leaves no old one behind
  const { stdout } = await run('ip', ['-j', '-4', 'addr', 'show', 'dev', name]);
  const addrs = ((JSON.parse(stdout) as Obj[])[0]?.addr_info as Obj[] | undefined) ?? [];
  for (const a of addrs) if (a.local !== vtepIP || a.prefixlen !== 32) await run('ip', ['addr', 'del', `${a.local}/${a.prefixlen}`, 'dev', name]);
  if (!addrs.some((a) => a.local === vtepIP && a.prefixlen === 32)) await run('ip', ['addr', 'add', `${vtepIP}/32`, 'dev', name]);
  await run('ip', ['link', 'set', name, 'up']);
  return { name, mac: (link.address as string).toLowerCase(), mtu, vtepIP };
}

/** A node switched to host-gw drops the device (and with it its routes, neighbours and fdb). */
export async function removeVxlanDevice(name = VXLAN_DEVICE): Promise<boolean> {
  if (!(await show(name))) return false;
  await run('ip', ['link', 'del', name]);
  return true;
}
