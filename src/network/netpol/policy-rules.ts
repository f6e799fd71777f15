// NetworkPolicy (networking.k8s.io/v1) as nftables rules for the pods of one
// node, in a table of its own. A pod selected by any policy of a direction is
// isolated in that direction: only what some rule of those policies allows
// passes (policies add up). Connections already allowed stay allowed (ct
// state), and traffic from the node itself is never filtered (it does not take
// the forward path), as upstream's plugins allow kubelet probes.
import { createHash } from 'node:crypto';
import type { KubeObject } from '../../api/object.js';
import { selectorFromLabelSelector } from '../../api/selectors/label-selector.js';

export const POLICY_TABLE = 'skiff-policy';

type Obj = Record<string, any>;

export interface PolicyInput {
  policies: KubeObject[];
  /** every pod of the cluster (peers may live on other nodes) */
  pods: KubeObject[];
  namespaces: KubeObject[];
  /** this node's name: its pods are the ones enforced here */
  nodeName: string;
}

const podIP = (p: KubeObject): string | undefined => {
  const st = (p.status ?? {}) as Obj;
  const spec = (p.spec ?? {}) as Obj;
  if (spec.hostNetwork || !st.podIP || String(st.podIP).includes(':')) return undefined;
  if (st.phase === 'Succeeded' || st.phase === 'Failed') return undefined;
  return st.podIP as string;
};

function selects(sel: unknown, labels: Record<string, string> | undefined): boolean {
  try {
    return selectorFromLabelSelector(sel).matches(labels ?? {});
  } catch {
    return false; // an invalid selector selects nothing
  }
}

function policyTypes(pol: KubeObject): { ingress: boolean; egress: boolean } {
  const spec = (pol.spec ?? {}) as Obj;
  const types = spec.policyTypes as string[] | undefined;
  if (types?.length) return { ingress: types.includes('Ingress'), egress: types.includes('Egress') };
  // upstream's default: Ingress always, Egress when egress rules are given
  return { ingress: true, egress: Array.isArray(spec.egress) && spec.egress.length > 0 };
}

interface Peers {
  ips: string[];
  cidrs: { cidr: string; except: string[] }[];
  any: boolean;
}

/** The addresses a rule's from/to list stands for. */
function resolvePeers(pol: KubeObject, peers: Obj[] | undefined, input: PolicyInput): Peers {
  if (!peers || peers.length === 0) return { ips: [], cidrs: [], any: true };
  const out: Peers = { ips: [], cidrs: [], any: false };
  const nsLabels = new Map(input.namespaces.map((n) => [n.metadata.name!, n.metadata.labels ?? {}]));
  for (const peer of peers) {
    if (peer.ipBlock?.cidr) {
      if (!String(peer.ipBlock.cidr).includes(':')) out.cidrs.push({ cidr: peer.ipBlock.cidr, except: ((peer.ipBlock.except ?? []) as string[]).filter((e) => !e.includes(':')) });
      continue;
    }
    if (!peer.podSelector && !peer.namespaceSelector) continue;
    for (const p of input.pods) {
      const ip = podIP(p);
      if (!ip) continue;
      const ns = p.metadata.namespace!;
      const nsOk = peer.namespaceSelector ? selects(peer.namespaceSelector, nsLabels.get(ns)) : ns === pol.metadata.namespace;
      if (!nsOk) continue;
      if (peer.podSelector && !selects(peer.podSelector, p.metadata.labels)) continue;
      out.ips.push(ip);
    }
  }
  out.ips = [...new Set(out.ips)].sort();
  return out;
}

/** "proto . port" matches for a rule's ports, named ports resolved on the pod they reach. */
function portMatches(ports: Obj[] | undefined, target: KubeObject | undefined): string[] | 'any' {
  if (!ports || ports.length === 0) return 'any';
  const out: string[] = [];
  for (const p of ports) {
    const proto = String(p.protocol ?? 'TCP').toLowerCase();
    if (p.port === undefined || p.port === null) {
      out.push(`meta l4proto ${proto}`);
      continue;
    }
    let num: number | undefined = typeof p.port === 'number' ? p.port : /^\d+$/.test(String(p.port)) ? Number(p.port) : undefined;
    if (num === undefined && target) {
      for (const c of ((target.spec ?? {}) as Obj).containers ?? []) {
        const cp = ((c.ports ?? []) as Obj[]).find((x) => x.name === p.port && String(x.protocol ?? 'TCP').toLowerCase() === proto);
        if (cp) num = cp.containerPort;
      }
    }
    if (num === undefined) continue; // a name the pod does not have allows nothing
    out.push(`meta l4proto ${proto} th dport ${p.endPort && p.endPort > num ? `${num}-${p.endPort}` : num}`);
  }
  return out;
}

function chainName(prefix: string, key: string): string {
  return `${prefix}-${createHash('sha256').update(key).digest('hex').slice(0, 16)}`;
}

function peerMatches(dir: 'saddr' | 'daddr', peers: Peers): string[] {
  if (peers.any) return [''];
  const out: string[] = [];
  if (peers.ips.length) out.push(`ip ${dir} { ${peers.ips.join(', ')} } `);
  for (const b of peers.cidrs) out.push(`ip ${dir} ${b.cidr} ${b.except.length ? `ip ${dir} != { ${b.except.join(', ')} } ` : ''}`);
  return out;
}

export function buildPolicyRuleset(input: PolicyInput): string {
  const chains: string[] = [];
  const jumps: string[] = [];
  const local = input.pods.filter((p) => (p.spec as Obj | undefined)?.nodeName === input.nodeName && podIP(p));
  for (const pod of local) {
    const ip = podIP(pod)!;
    const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
    for (const dir of ['ingress', 'egress'] as const) {
      const selecting = input.policies.filter((pol) => pol.metadata.namespace === pod.metadata.namespace && policyTypes(pol)[dir] && selects(((pol.spec ?? {}) as Obj).podSelector ?? {}, pod.metadata.labels));
      if (!selecting.length) continue;
      const name = chainName(dir === 'ingress' ? 'in' : 'eg', key);
      const lines: string[] = [];
      for (const pol of selecting) {
        for (const rule of (((pol.spec ?? {}) as Obj)[dir] ?? []) as Obj[]) {
          const peers = resolvePeers(pol, dir === 'ingress' ? rule.from : rule.to, input);
          // egress ports are on the peer; named ports then cannot be resolved per destination here,
          // so for egress a named port is looked up on every pod the rule reaches
          const ports = dir === 'ingress' ? portMatches(rule.ports, pod) : egressPorts(rule.ports, peers, input.pods);
          const ps = ports === 'any' ? [''] : ports;
          for (const pm of peerMatches(dir === 'ingress' ? 'saddr' : 'daddr', peers)) for (const po of ps) lines.push(`${pm}${po} return`.replace(/\s+/g, ' ').trim());
        }
      }
      lines.push('drop');
      chains.push(`  chain ${name} {\n    ${lines.join('\n    ')}\n  }`);
      jumps.push(dir === 'ingress' ? `ip daddr ${ip} jump ${name}` : `ip saddr ${ip} jump ${name}`);
    }
  }
  // egress first: a packet leaving an isolated pod and reaching an isolated pod must pass both
  jumps.sort((a, b) => Number(a.startsWith('ip daddr')) - Number(b.startsWith('ip daddr')));
  return `table inet ${POLICY_TABLE} {}\ndelete table inet ${POLICY_TABLE}\ntable inet ${POLICY_TABLE} {\n  chain forward {\n    type filter hook forward priority 0; policy accept;\n    ct state established,related accept\n${jumps.map((j) => `    ${j}\n`).join('')}  }\n${chains.join('\n')}\n}\n`;
}

function egressPorts(ports: Obj[] | undefined, peers: Peers, pods: KubeObject[]): string[] | 'any' {
  if (!ports || ports.length === 0) return 'any';
  const targets = pods.filter((p) => peers.ips.includes(podIP(p) ?? ''));
  const all = new Set<string>();
  for (const t of targets.length ? targets : [undefined]) {
    const m = portMatches(ports, t);
    if (m === 'any') return 'any';
    for (const x of m) all.add(x);
  }
  return [...all];
}
