// The nftables table that makes Services work on a node. ClusterIP/externalIP
// and NodePort traffic is DNATed to a random ready endpoint (numgen), ClientIP
// affinity through timed sets, services without endpoints reject at once,
// hairpin and off-network traffic is masqueraded. Packets for 127/8 from off the
// node that were not DNATed are dropped (the bridge takes loopback destinations so
// pods reach a loopback-bound API server behind the kubernetes Service).
// The table is described as a model (map/set elements, per-service chains and
// affinity sets over a fixed skeleton): `buildRuleset` writes all of it for
// `nft -f` (replacing the table in one transaction), `nft-diff.ts` turns two
// models into the few commands that move the table from one to the other.
import { createHash } from 'node:crypto';
import type { ServicePortRule } from './service-model.js';

export const TABLE = 'skiff';
const MASQ_MARK = '0x4000';

export interface ProxyConfig {
  /** the whole pod network (all nodes' pod CIDRs) */
  clusterCIDR: string;
  /** this node's pod bridge */
  bridge: string;
  /** DNAT for the cluster DNS service address to this node's own DNS server */
  localDns?: { serviceIP: string; target: string; port: number };
}

/** The maps and sets of the skeleton that hold per-service elements, with their types. */
export const ELEMENT_SETS = {
  'service-ips': { type: 'ipv4_addr . inet_proto . inet_service : verdict', map: true },
  'service-nodeports': { type: 'inet_proto . inet_service : verdict', map: true },
  'no-endpoint-services': { type: 'ipv4_addr . inet_proto . inet_service', map: false },
  'no-endpoint-nodeports': { type: 'inet_proto . inet_service', map: false },
} as const;
export type ElementSetName = keyof typeof ELEMENT_SETS;

/** Everything in the table that depends on Services and endpoints. */
export interface TableModel {
  /** per map/set: element key -> verdict ('' for plain sets) */
  elements: Record<ElementSetName, Map<string, string>>;
  /** per-service and per-endpoint chains: name -> rules */
  chains: Map<string, string[]>;
  /** affinity sets: name -> declaration */
  sets: Map<string, string>;
}

/** Chain names must be short and safe; the hash keeps them unique. */
function chainId(id: string): string {
  return createHash('sha256').update(id).digest('hex').slice(0, 16);
}

/** Endpoint chains and sets are named by the endpoint, so an endpoint change leaves the others (and their affinity) as they are. */
const endpointName = (id: string, ip: string, port: number) => `${id}-${ip}-${port}`;

/** What one service port adds to the table; kept per rule object so that unchanged services cost no rebuilding. */
export interface RulePiece {
  elements: Array<[ElementSetName, string, string]>;
  chains: Array<[string, string[]]>;
  sets: Array<[string, string]>;
}

function rulePiece(r: ServicePortRule, cfg: ProxyConfig): RulePiece {
  const p: RulePiece = { elements: [], chains: [], sets: [] };
  const id = chainId(r.id);
  const targets = [...r.clusterIPs, ...r.externalIPs];
  if (cfg.localDns && targets.includes(cfg.localDns.serviceIP) && r.port === 53) return p;
  if (!r.endpoints.length) {
    for (const ip of targets) p.elements.push(['no-endpoint-services', `${ip} . ${r.protocol} . ${r.port}`, '']);
    if (r.nodePort) p.elements.push(['no-endpoint-nodeports', `${r.protocol} . ${r.nodePort}`, '']);
    return p;
  }
  for (const ip of targets) p.elements.push(['service-ips', `${ip} . ${r.protocol} . ${r.port}`, `goto svc-${id}`]);
  if (r.nodePort) p.elements.push(['service-nodeports', `${r.protocol} . ${r.nodePort}`, `goto svc-${id}`]);
  // traffic from outside the pod network is masqueraded so replies come back through this node
  const svc = [`ip saddr != ${cfg.clusterCIDR} meta mark set meta mark or ${MASQ_MARK}`];
  const eps = r.endpoints.map((ep) => endpointName(id, ep.ip, ep.port));
  // the timeout is part of the set's name: a new timeout makes new sets, which the
  // incremental update can swap in while the rules still point at the old ones
  const aff = (ep: string) => `aff-${ep}-${r.affinitySeconds}`;
  if (r.affinitySeconds) {
    for (const ep of eps) {
      p.sets.push([aff(ep), `type ipv4_addr; flags dynamic,timeout; timeout ${r.affinitySeconds}s;`]);
      svc.push(`ip saddr @${aff(ep)} goto ep-${ep}`);
    }
  }
  if (eps.length === 1) svc.push(`goto ep-${eps[0]}`);
  else svc.push(`numgen random mod ${eps.length} vmap { ${eps.map((ep, i) => `${i} : goto ep-${ep}`).join(', ')} }`);
  p.chains.push([`svc-${id}`, svc]);
  r.endpoints.forEach((ep, i) => {
    p.chains.push([
      `ep-${eps[i]}`,
      [
        // hairpin: a pod reaching itself through its service
        `ip saddr ${ep.ip} meta mark set meta mark or ${MASQ_MARK}`,
        ...(r.affinitySeconds ? [`update @${aff(eps[i]!)} { ip saddr }`] : []),
        `meta l4proto ${r.protocol} dnat to ${ep.ip}:${ep.port}`,
      ],
    ]);
  });
  return p;
}

/**
 * The model for these rules. `pieces` (the proxy's, kept between calls) remembers each
 * rule object's part: a rule object the caller reuses for an unchanged service is not
 * rebuilt, and its chains are the same arrays as before, which the diff compares at once.
 */
export function tableModel(rules: ServicePortRule[], cfg: ProxyConfig, pieces?: WeakMap<ServicePortRule, RulePiece>): TableModel {
  const m: TableModel = {
    elements: { 'service-ips': new Map(), 'service-nodeports': new Map(), 'no-endpoint-services': new Map(), 'no-endpoint-nodeports': new Map() },
    chains: new Map(),
    sets: new Map(),
  };
  // the first claim on an address/port wins (rules are sorted): a clash between two
  // Services must not make the whole table fail to load
  const put = (set: ElementSetName, key: string, value = '') => {
    if (!m.elements[set].has(key)) m.elements[set].set(key, value);
  };
  if (cfg.localDns) {
    for (const proto of ['udp', 'tcp']) put('service-ips', `${cfg.localDns.serviceIP} . ${proto} . 53`, 'goto local-dns');
  }
  for (const r of rules) {
    let p = pieces?.get(r);
    if (!p) {
      p = rulePiece(r, cfg);
      pieces?.set(r, p);
    }
    for (const [set, key, value] of p.elements) put(set, key, value);
    for (const [name, decl] of p.sets) m.sets.set(name, decl);
    for (const [name, body] of p.chains) m.chains.set(name, body);
  }
  return m;
}

export const elementText = (key: string, value: string) => (value ? `${key} : ${value}` : key);

/** The whole table for `nft -f`: created if missing, deleted and written anew in one atomic transaction. */
export function buildRuleset(model: TableModel, cfg: ProxyConfig): string {
  const out: string[] = [`table ip ${TABLE} {`];
  for (const [name, { type, map }] of Object.entries(ELEMENT_SETS)) {
    const els = [...model.elements[name as ElementSetName]].map(([k, v]) => elementText(k, v));
    out.push(`  ${map ? 'map' : 'set'} ${name} {\n    type ${type}\n${els.length ? `    elements = { ${els.join(',\n      ')} }\n` : ''}  }`);
  }
  for (const [name, decl] of model.sets) out.push(`  set ${name} { ${decl} }`);
  out.push(`  chain services {
    ip daddr . meta l4proto . th dport vmap @service-ips
    fib daddr type local meta l4proto . th dport vmap @service-nodeports
  }
  chain nat-prerouting {
    type nat hook prerouting priority dstnat; policy accept;
    jump services
  }
  chain nat-output {
    type nat hook output priority -100; policy accept;
    jump services
  }
  chain nat-postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    meta mark & ${MASQ_MARK} == ${MASQ_MARK} masquerade
    ip saddr ${cfg.clusterCIDR} ip daddr != ${cfg.clusterCIDR} oifname != "${cfg.bridge}" masquerade
  }
  chain endpoints-check {
    ip daddr . meta l4proto . th dport @no-endpoint-services reject
    fib daddr type local meta l4proto . th dport @no-endpoint-nodeports reject
  }
  chain filter-forward {
    type filter hook forward priority -10; policy accept;
    ct state new jump endpoints-check
  }
  chain filter-output {
    type filter hook output priority -10; policy accept;
    ct state new jump endpoints-check
  }
  chain filter-input {
    type filter hook input priority -10; policy accept;
    iifname != "lo" ip daddr 127.0.0.0/8 ct status & dnat == 0 drop
    ct state new jump endpoints-check
  }`);
  if (cfg.localDns) {
    out.push(`  chain local-dns {\n    meta l4proto { tcp, udp } dnat to ${cfg.localDns.target}:${cfg.localDns.port}\n  }`);
  }
  for (const [name, rules] of model.chains) out.push(`  chain ${name} {\n    ${rules.join('\n    ')}\n  }`);
  out.push('}');
  return `table ip ${TABLE} {}\ndelete table ip ${TABLE}\n${out.join('\n')}\n`;
}
