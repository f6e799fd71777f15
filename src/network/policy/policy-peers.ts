// Who a NetworkPolicy rule's from/to list stands for (networking.k8s.io/v1):
// a podSelector alone picks pods of the policy's own namespace, a
// namespaceSelector alone every pod of the matching namespaces, both together
// the matching pods of the matching namespaces; an ipBlock is a CIDR less its
// exceptions. An empty list stands for everyone.
import type { KubeObject } from '../../api/object.js';
import { selectorFromLabelSelector } from '../../api/selectors/label-selector.js';
import { cidrContains, formatCidr, parseCidr, type Cidr } from '../cidr.js';

type Obj = Record<string, any>;

export interface IpBlock {
  cidr: Cidr;
  except: Cidr[];
}

export interface Peers {
  /** no peer list: every source or destination */
  any: boolean;
  /** the pods picked by selectors (with an IPv4 address) */
  pods: KubeObject[];
  blocks: IpBlock[];
}

/** The IPv4 address traffic of a pod carries, if it has one and still runs. */
export function podIPv4(p: KubeObject): string | undefined {
  const spec = (p.spec ?? {}) as Obj;
  const status = (p.status ?? {}) as Obj;
  // host-network pods share their node's address: selectors cannot single them out (as upstream)
  if (spec.hostNetwork || status.phase === 'Succeeded' || status.phase === 'Failed')
    return undefined;
  const ip = status.podIP;
  return typeof ip === 'string' &&
    /^\d{1,3}(\.\d{1,3}){3}$/.test(ip) &&
    ip.split('.').every((o) => Number(o) <= 255)
    ? ip
    : undefined;
}

export function selects(selector: unknown, labels: Record<string, string> | undefined): boolean {
  try {
    return selectorFromLabelSelector(selector).matches(labels ?? {});
  } catch {
    return false; // a selector that does not parse selects nothing
  }
}

/** Namespace labels, with the name label the API server puts on every namespace. */
export function namespaceLabels(namespaces: KubeObject[]): Map<string, Record<string, string>> {
  return new Map(
    namespaces.map((n) => [
      n.metadata.name!,
      { ...(n.metadata.labels ?? {}), 'kubernetes.io/metadata.name': n.metadata.name! },
    ]),
  );
}

function ipv4Block(block: Obj): IpBlock | undefined {
  const cidr = String(block.cidr ?? '');
  if (cidr.includes(':')) return undefined; // IPv6: the pod network is IPv4 only
  try {
    const except = ((block.except ?? []) as unknown[]).map(String).filter((e) => !e.includes(':'));
    return { cidr: parseCidr(cidr), except: except.map(parseCidr) };
  } catch {
    return undefined; // a malformed block allows nothing (rather than more than it says)
  }
}

export function inBlock(b: IpBlock, ip: string): boolean {
  return cidrContains(b.cidr, ip) && !b.except.some((e) => cidrContains(e, ip));
}

export const cidrText = (c: Cidr): string => formatCidr(c);

export function resolvePeers(
  policyNamespace: string,
  peers: Obj[] | undefined,
  pods: KubeObject[],
  nsLabels: Map<string, Record<string, string>>,
): Peers {
  if (!peers || peers.length === 0) return { any: true, pods: [], blocks: [] };
  const picked = new Map<string, KubeObject>();
  const blocks: IpBlock[] = [];
  for (const peer of peers) {
    if (peer.ipBlock) {
      const b = ipv4Block(peer.ipBlock);
      if (b) blocks.push(b);
      continue;
    }
    if (!peer.podSelector && !peer.namespaceSelector) continue;
    for (const p of pods) {
      const ip = podIPv4(p);
      if (!ip) continue;
      const ns = p.metadata.namespace!;
      const nsOk = peer.namespaceSelector
        ? selects(peer.namespaceSelector, nsLabels.get(ns) ?? { 'kubernetes.io/metadata.name': ns })
        : ns === policyNamespace;
      if (nsOk && (!peer.podSelector || selects(peer.podSelector, p.metadata.labels)))
        picked.set(ip, p);
    }
  }
  return { any: false, pods: [...picked.values()], blocks };
}
