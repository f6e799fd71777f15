// Who a NetworkPolicy rule's from/to list stands for (networking.k8s.io/v1):
// a podSelector alone picks pods of the policy's own namespace, a
// namespaceSelector alone every pod of the matching namespaces, both together
// the matching pods of the matching namespaces; an ipBlock is a CIDR less its
// exceptions. An empty list stands for everyone.
import type { KubeObject } from '../../api/object.js';
import { selectorFromLabelSelector, type Selector } from '../../api/selectors/label-selector.js';
import { formatCidr, ipToInt, parseCidr, type Cidr } from '../cidr.js';

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

const addresses = new WeakMap<KubeObject, string | null>();
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** The IPv4 address traffic of a pod carries, if it has one and still runs (remembered per pod object: informer objects are replaced, never changed). */
export function podIPv4(p: KubeObject): string | undefined {
  let ip = addresses.get(p);
  if (ip === undefined) {
    const spec = (p.spec ?? {}) as Obj;
    const status = (p.status ?? {}) as Obj;
    // host-network pods share their node's address: selectors cannot single them out (as upstream)
    const running = !spec.hostNetwork && status.phase !== 'Succeeded' && status.phase !== 'Failed';
    ip =
      running && typeof status.podIP === 'string' && IPV4.test(status.podIP) ? status.podIP : null;
    addresses.set(p, ip);
  }
  return ip ?? undefined;
}

const numbers = new WeakMap<KubeObject, number>();

/** The pod's IPv4 address as a number (for block membership), if it has one. */
export function podIPv4Number(p: KubeObject): number | undefined {
  let n = numbers.get(p);
  if (n === undefined) {
    const ip = podIPv4(p);
    if (!ip) return undefined;
    numbers.set(p, (n = ipToInt(ip)));
  }
  return n;
}

const parsed = new WeakMap<object, Selector | null>();

export function selects(selector: unknown, labels: Record<string, string> | undefined): boolean {
  if (selector === null || typeof selector !== 'object') return false;
  let sel = parsed.get(selector);
  if (sel === undefined) {
    try {
      sel = selectorFromLabelSelector(selector);
    } catch {
      sel = null; // a selector that does not parse selects nothing
    }
    parsed.set(selector, sel);
  }
  return sel !== null && sel.matches(labels ?? {});
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

const within = (c: Cidr, n: number) => n >= c.base && n < c.base + 2 ** (32 - c.bits);

/** Whether an address (as a number) is in the block and in none of its exceptions. */
export function inBlock(b: IpBlock, n: number): boolean {
  return within(b.cidr, n) && !b.except.some((e) => within(e, n));
}

export const cidrText = (c: Cidr): string => formatCidr(c);

/** The addressed pods of each namespace: a peer only looks at the namespaces it can pick from. */
export function podsByNamespace(pods: KubeObject[]): Map<string, KubeObject[]> {
  const out = new Map<string, KubeObject[]>();
  for (const p of pods) {
    if (!podIPv4(p)) continue;
    const ns = p.metadata.namespace!;
    const list = out.get(ns);
    if (list) list.push(p);
    else out.set(ns, [p]);
  }
  return out;
}

export function resolvePeers(
  policyNamespace: string,
  peers: Obj[] | undefined,
  pods: Map<string, KubeObject[]>,
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
    // a podSelector alone looks at the policy's namespace only
    const namespaces = peer.namespaceSelector
      ? [...pods.keys()].filter((ns) =>
          selects(
            peer.namespaceSelector,
            nsLabels.get(ns) ?? { 'kubernetes.io/metadata.name': ns },
          ),
        )
      : [policyNamespace];
    for (const ns of namespaces) {
      for (const p of pods.get(ns) ?? []) {
        if (!peer.podSelector || selects(peer.podSelector, p.metadata.labels))
          picked.set(podIPv4(p)!, p);
      }
    }
  }
  return { any: false, pods: [...picked.values()], blocks };
}
