// NetworkPolicy (networking.k8s.io/v1) as one nftables table for the pods of
// one node. A pod selected by any policy of a direction is isolated in that
// direction: only what some rule of those policies allows passes (policies add
// up, as upstream). Replies and related traffic of allowed connections always
// pass (ct state). The filter sits on the forward hook: bridged pod-to-pod
// traffic reaches it too (bridge-nf-call-iptables), Service traffic arrives
// there already DNATed to a pod (so rules see the pod's address and port), and
// the node's own traffic to its pods (kubelet probes) never takes that path.
// Egress is checked before ingress, so a packet between two isolated pods of
// this node must be allowed by both.
import { createHash } from 'node:crypto';
import type { KubeObject } from '../../api/object.js';
import {
  cidrText,
  inBlock,
  namespaceLabels,
  podIPv4,
  resolvePeers,
  selects,
  type Peers,
} from './policy-peers.js';
import { namedPort, portSpecs, portText, type PortSpec } from './policy-ports.js';

export const POLICY_TABLE = 'skiff-policy';

type Obj = Record<string, any>;
type Direction = 'ingress' | 'egress';

export interface PolicyInput {
  policies: KubeObject[];
  /** every pod of the cluster: peers may live on any node */
  pods: KubeObject[];
  namespaces: KubeObject[];
  /** the pods of this node: the ones whose traffic is filtered here */
  localPods: KubeObject[];
}

/** The directions a policy isolates: policyTypes, or upstream's default (Ingress, and Egress when it has egress rules). */
export function policyDirections(pol: KubeObject): Set<Direction> {
  const spec = (pol.spec ?? {}) as Obj;
  const types = spec.policyTypes as unknown;
  const out = new Set<Direction>();
  if (Array.isArray(types) && types.length > 0) {
    if (types.includes('Ingress')) out.add('ingress');
    if (types.includes('Egress')) out.add('egress');
  } else {
    out.add('ingress');
    if (Array.isArray(spec.egress) && spec.egress.length > 0) out.add('egress');
  }
  return out;
}

function peerMatches(addr: 'saddr' | 'daddr', peers: Peers): string[] {
  if (peers.any) return [''];
  const out: string[] = [];
  const ips = [...new Set(peers.pods.map((p) => podIPv4(p)!))].sort();
  if (ips.length) out.push(`ip ${addr} { ${ips.join(', ')} }`);
  for (const b of peers.blocks) {
    out.push(
      `ip ${addr} ${cidrText(b.cidr)}${b.except.length ? ` ip ${addr} != { ${b.except.map(cidrText).join(', ')} }` : ''}`,
    );
  }
  return out;
}

/** The pods a rule's peers can reach by a named port: selected pods, and pods whose address an ipBlock takes in. */
function namedPortTargets(peers: Peers, pods: KubeObject[]): KubeObject[] {
  if (peers.any) return pods.filter((p) => podIPv4(p));
  const out = new Map(peers.pods.map((p) => [podIPv4(p)!, p]));
  for (const p of pods) {
    const ip = podIPv4(p);
    if (ip && !out.has(ip) && peers.blocks.some((b) => inBlock(b, ip))) out.set(ip, p);
  }
  return [...out.values()];
}

class RulesetBuilder {
  private readonly nsLabels: Map<string, Record<string, string>>;
  private readonly peerCache = new Map<string, Peers>();

  constructor(private readonly input: PolicyInput) {
    this.nsLabels = namespaceLabels(input.namespaces);
  }

  private peers(pol: KubeObject, dir: Direction, index: number, list: Obj[] | undefined): Peers {
    const key = `${pol.metadata.namespace}/${pol.metadata.name}/${dir}/${index}`;
    let p = this.peerCache.get(key);
    if (!p)
      this.peerCache.set(
        key,
        (p = resolvePeers(pol.metadata.namespace!, list, this.input.pods, this.nsLabels)),
      );
    return p;
  }

  /** The allow rules (each ending in `return`) for one pod in one direction, in policy order. */
  allowRules(pod: KubeObject, dir: Direction, selecting: KubeObject[]): string[] {
    const lines: string[] = [];
    for (const pol of selecting) {
      const rules = (((pol.spec ?? {}) as Obj)[dir] ?? []) as Obj[];
      rules.forEach((rule, i) => {
        const peers = this.peers(pol, dir, i, dir === 'ingress' ? rule?.from : rule?.to);
        const specs = portSpecs(rule?.ports);
        const addrs = peerMatches(dir === 'ingress' ? 'saddr' : 'daddr', peers);
        if (!specs) {
          for (const a of addrs) lines.push(`${a} return`.trim());
          return;
        }
        const ports: string[] = [];
        const pairs: string[] = [];
        for (const s of specs) {
          if (s.kind === 'numbers') ports.push(portText(s.match));
          else if (dir === 'ingress') {
            // the named port is the one this (destination) pod declares
            const n = namedPort(pod, s.name, s.proto);
            if (n !== undefined) ports.push(portText({ proto: s.proto, from: n, to: n }));
          } else pairs.push(...this.egressNamed(s, peers));
        }
        for (const a of addrs)
          for (const p of [...new Set(ports)]) lines.push(`${a} ${p} return`.trim());
        if (pairs.length)
          lines.push(
            `ip daddr . meta l4proto . th dport { ${[...new Set(pairs)].sort().join(', ')} } return`,
          );
      });
    }
    return lines;
  }

  /** Egress by a named port: each destination pod's own number for that name. */
  private egressNamed(s: Extract<PortSpec, { kind: 'named' }>, peers: Peers): string[] {
    const out: string[] = [];
    for (const t of namedPortTargets(peers, this.input.pods)) {
      const n = namedPort(t, s.name, s.proto);
      if (n !== undefined) out.push(`${podIPv4(t)} . ${s.proto} . ${n}`);
    }
    return out;
  }

  build(): string {
    const chains = new Map<string, string[]>();
    const verdicts: Record<Direction, string[]> = { ingress: [], egress: [] };
    const local = this.input.localPods
      .filter((p) => podIPv4(p))
      .sort((a, b) => podIPv4(a)!.localeCompare(podIPv4(b)!));
    for (const pod of local) {
      const ip = podIPv4(pod)!;
      for (const dir of ['egress', 'ingress'] as const) {
        const selecting = this.input.policies
          .filter(
            (pol) =>
              pol.metadata.namespace === pod.metadata.namespace &&
              policyDirections(pol).has(dir) &&
              selects(((pol.spec ?? {}) as Obj).podSelector ?? {}, pod.metadata.labels),
          )
          .sort((a, b) => a.metadata.name!.localeCompare(b.metadata.name!));
        if (selecting.length === 0) continue;
        const body = [...this.allowRules(pod, dir, selecting), 'counter drop'];
        // pods under the same rules share one chain
        const name = `${dir === 'ingress' ? 'in' : 'eg'}-${createHash('sha256').update(body.join('\n')).digest('hex').slice(0, 16)}`;
        chains.set(name, body);
        verdicts[dir].push(`${ip} : jump ${name}`);
      }
    }
    const forward = [
      'type filter hook forward priority filter; policy accept;',
      'ct state established,related accept',
    ];
    if (verdicts.egress.length) forward.push(`ip saddr vmap { ${verdicts.egress.join(', ')} }`);
    if (verdicts.ingress.length) forward.push(`ip daddr vmap { ${verdicts.ingress.join(', ')} }`);
    const chainText = [...chains].map(
      ([name, body]) => `  chain ${name} {\n${body.map((l) => `    ${l}\n`).join('')}  }\n`,
    );
    // declaring, deleting and declaring again replaces the whole table in one transaction
    return `table inet ${POLICY_TABLE} {}\ndelete table inet ${POLICY_TABLE}\ntable inet ${POLICY_TABLE} {\n  chain forward {\n${forward.map((l) => `    ${l}\n`).join('')}  }\n${chainText.join('')}}\n`;
  }
}

export function buildPolicyRuleset(input: PolicyInput): string {
  return new RulesetBuilder(input).build();
}
