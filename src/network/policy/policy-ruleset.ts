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
  podIPv4Number,
  podsByNamespace,
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

/** The pods a rule's peers can reach by a named port: selected pods, and pods whose address an ipBlock takes in (`pods`: every pod with an address). */
function namedPortTargets(peers: Peers, pods: KubeObject[]): KubeObject[] {
  if (peers.any) return pods;
  const out = new Map(peers.pods.map((p) => [podIPv4(p)!, p]));
  if (peers.blocks.length === 0) return [...out.values()];
  for (const p of pods) {
    const n = podIPv4Number(p);
    if (n !== undefined && !out.has(podIPv4(p)!) && peers.blocks.some((b) => inBlock(b, n)))
      out.set(podIPv4(p)!, p);
  }
  return [...out.values()];
}

/** One rule of one policy, resolved once per build whatever the number of pods it applies to. */
interface ResolvedRule {
  dir: Direction;
  peers: Peers;
  /** the peer part of each nft rule ('' for any peer) */
  addrs: string[];
  /** undefined: every port */
  specs?: PortSpec[];
}

class RulesetBuilder {
  private readonly nsLabels: Map<string, Record<string, string>>;
  private readonly podsByNs: Map<string, KubeObject[]>;
  /** every pod with an address (the destinations of an egress rule open to all) */
  private readonly addressed: KubeObject[];
  private readonly policiesByNs = new Map<string, KubeObject[]>();
  private readonly rules = new Map<string, ResolvedRule>();
  /**
   * Egress lines by peers and ports: they do not depend on the pod traffic
   * leaves from, and policies often repeat a rule (a named port to an ipBlock
   * takes in every pod of the cluster, worth working out once).
   */
  private readonly egressLines = new Map<string, string[]>();
  /** named sets by name: a peer list is written once however many rules and pods use it */
  private readonly sets = new Map<string, { type: string; elements: string[] }>();

  constructor(private readonly input: PolicyInput) {
    this.nsLabels = namespaceLabels(input.namespaces);
    this.podsByNs = podsByNamespace(input.pods);
    this.addressed = [...this.podsByNs.values()].flat();
    for (const pol of input.policies) {
      const list = this.policiesByNs.get(pol.metadata.namespace!);
      if (list) list.push(pol);
      else this.policiesByNs.set(pol.metadata.namespace!, [pol]);
    }
  }

  private resolve(
    pol: KubeObject,
    dir: Direction,
    index: number,
    rule: Obj | undefined,
  ): ResolvedRule {
    const key = `${pol.metadata.namespace}/${pol.metadata.name}/${dir}/${index}`;
    let r = this.rules.get(key);
    if (!r) {
      const peers = resolvePeers(
        pol.metadata.namespace!,
        dir === 'ingress' ? rule?.from : rule?.to,
        this.podsByNs,
        this.nsLabels,
      );
      r = {
        dir,
        peers,
        addrs: this.peerMatches(dir === 'ingress' ? 'saddr' : 'daddr', peers),
        specs: portSpecs(rule?.ports),
      };
      this.rules.set(key, r);
    }
    return r;
  }

  /** A set of elements: inline when it has one, else a named set shared by every rule that names the same elements. */
  private setOf(type: string, elements: string[]): string {
    const sorted = [...new Set(elements)].sort();
    if (sorted.length === 1) return `{ ${sorted[0]} }`;
    const name = `s-${createHash('sha256')
      .update(`${type}\n${sorted.join(',')}`)
      .digest('hex')
      .slice(0, 16)}`;
    this.sets.set(name, { type, elements: sorted });
    return `@${name}`;
  }

  private peerMatches(addr: 'saddr' | 'daddr', peers: Peers): string[] {
    if (peers.any) return [''];
    const out: string[] = [];
    if (peers.pods.length)
      out.push(
        `ip ${addr} ${this.setOf(
          'ipv4_addr',
          peers.pods.map((p) => podIPv4(p)!),
        )}`,
      );
    for (const b of peers.blocks) {
      out.push(
        `ip ${addr} ${cidrText(b.cidr)}${b.except.length ? ` ip ${addr} != { ${b.except.map(cidrText).join(', ')} }` : ''}`,
      );
    }
    return out;
  }

  /** The nft rules of a resolved rule for traffic reaching `pod` (ingress) or leaving it (egress). */
  private lines(r: ResolvedRule, pod: KubeObject): string[] {
    if (!r.specs) return r.addrs.map((a) => `${a} return`.trim());
    const ports = new Set<string>();
    const pairs = new Set<string>();
    for (const s of r.specs) {
      if (s.kind === 'numbers') ports.add(portText(s.match));
      else if (r.dir === 'ingress') {
        // the named port is the one this (destination) pod declares
        const n = namedPort(pod, s.name, s.proto);
        if (n !== undefined) ports.add(portText({ proto: s.proto, from: n, to: n }));
      } else for (const p of this.egressNamed(s, r.peers)) pairs.add(p);
    }
    const out: string[] = [];
    for (const a of r.addrs) for (const p of ports) out.push(`${a} ${p} return`.trim());
    if (pairs.size)
      out.push(
        `ip daddr . meta l4proto . th dport ${this.setOf('ipv4_addr . inet_proto . inet_service', [...pairs])} return`,
      );
    return out;
  }

  /** The allow rules (each ending in `return`) for one pod in one direction, in policy order. */
  allowRules(pod: KubeObject, dir: Direction, selecting: KubeObject[]): string[] {
    const out: string[] = [];
    for (const pol of selecting) {
      (((pol.spec ?? {}) as Obj)[dir] ?? ([] as Obj[])).forEach(
        (rule: Obj | undefined, i: number) => {
          const r = this.resolve(pol, dir, i, rule);
          if (dir === 'ingress') {
            out.push(...this.lines(r, pod));
            return;
          }
          // the addresses text names the peers exactly (a set's name is a hash of its elements)
          const key = JSON.stringify([r.addrs, r.specs]);
          let lines = this.egressLines.get(key);
          if (!lines) this.egressLines.set(key, (lines = this.lines(r, pod)));
          out.push(...lines);
        },
      );
    }
    return out;
  }

  /** Egress by a named port: each destination pod's own number for that name. */
  private egressNamed(s: Extract<PortSpec, { kind: 'named' }>, peers: Peers): string[] {
    const out: string[] = [];
    for (const t of namedPortTargets(peers, this.addressed)) {
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
        const selecting = (this.policiesByNs.get(pod.metadata.namespace!) ?? [])
          .filter(
            (pol) =>
              policyDirections(pol).has(dir) &&
              selects(((pol.spec ?? {}) as Obj).podSelector ?? {}, pod.metadata.labels),
          )
          .sort((a, b) => a.metadata.name!.localeCompare(b.metadata.name!));
        if (selecting.length === 0) continue;
        // a rule repeated (policies often copy each other) changes nothing after its first copy
        const body = [...new Set(this.allowRules(pod, dir, selecting)), 'counter drop'];
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
    const setText = [...this.sets]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(
        ([name, s]) =>
          `  set ${name} {\n    type ${s.type}\n    elements = { ${s.elements.join(', ')} }\n  }\n`,
      );
    // declaring, deleting and declaring again replaces the whole table in one transaction
    return `table inet ${POLICY_TABLE} {}\ndelete table inet ${POLICY_TABLE}\ntable inet ${POLICY_TABLE} {\n  chain forward {\n${forward.map((l) => `    ${l}\n`).join('')}  }\n${setText.join('')}${chainText.join('')}}\n`;
  }
}

export function buildPolicyRuleset(input: PolicyInput): string {
  return new RulesetBuilder(input).build();
}
