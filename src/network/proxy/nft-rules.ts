// The nftables table that makes Services work on a node, written as one script
// for `nft -f` so a rebuild replaces the whole table in one transaction:
// ClusterIP/externalIP and NodePort traffic is DNATed to a random ready
// endpoint (numgen), ClientIP affinity through timed sets, services without
// endpoints reject at once, hairpin and off-network traffic is masqueraded.
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

/** Chain names must be short and safe; the hash keeps them unique. */
function chainId(id: string): string {
  return createHash('sha256').update(id).digest('hex').slice(0, 16);
}

export function buildRuleset(rules: ServicePortRule[], cfg: ProxyConfig): string {
  const out: string[] = [];
  const serviceIps: string[] = [];
  const nodePorts: string[] = [];
  const noEndpoints: string[] = [];
  const noEndpointNodePorts: string[] = [];
  const chains: string[] = [];
  const sets: string[] = [];

  if (cfg.localDns) {
    for (const proto of ['udp', 'tcp']) serviceIps.push(`${cfg.localDns.serviceIP} . ${proto} . 53 : goto local-dns`);
  }
  for (const r of rules) {
    const id = chainId(r.id);
    const targets = [...r.clusterIPs, ...r.externalIPs];
    if (cfg.localDns && targets.includes(cfg.localDns.serviceIP) && r.port === 53) continue;
    if (!r.endpoints.length) {
      for (const ip of targets) noEndpoints.push(`${ip} . ${r.protocol} . ${r.port}`);
      if (r.nodePort) noEndpointNodePorts.push(`${r.protocol} . ${r.nodePort}`);
      continue;
    }
    for (const ip of targets) serviceIps.push(`${ip} . ${r.protocol} . ${r.port} : goto svc-${id}`);
    if (r.nodePort) nodePorts.push(`${r.protocol} . ${r.nodePort} : goto svc-${id}`);
    const svc: string[] = [];
    // traffic from outside the pod network is masqueraded so replies come back through this node
    svc.push(`ip saddr != ${cfg.clusterCIDR} meta mark set meta mark or ${MASQ_MARK}`);
    if (r.affinitySeconds) {
      r.endpoints.forEach((_, i) => {
        sets.push(`  set aff-${id}-${i} { type ipv4_addr; flags dynamic,timeout; timeout ${r.affinitySeconds}s; }`);
        svc.push(`ip saddr @aff-${id}-${i} goto ep-${id}-${i}`);
      });
    }
    if (r.endpoints.length === 1) svc.push(`goto ep-${id}-0`);
    else svc.push(`numgen random mod ${r.endpoints.length} vmap { ${r.endpoints.map((_, i) => `${i} : goto ep-${id}-${i}`).join(', ')} }`);
    chains.push(`  chain svc-${id} {\n    ${svc.join('\n    ')}\n  }`);
    r.endpoints.forEach((ep, i) => {
      const body = [
        // hairpin: a pod reaching itself through its service
        `ip saddr ${ep.ip} meta mark set meta mark or ${MASQ_MARK}`,
        ...(r.affinitySeconds ? [`update @aff-${id}-${i} { ip saddr }`] : []),
        `meta l4proto ${r.protocol} dnat to ${ep.ip}:${ep.port}`,
      ];
      chains.push(`  chain ep-${id}-${i} {\n    ${body.join('\n    ')}\n  }`);
    });
  }

  out.push(`table ip ${TABLE} {`);
  out.push(`  map service-ips {\n    type ipv4_addr . inet_proto . inet_service : verdict\n${serviceIps.length ? `    elements = { ${serviceIps.join(',\n      ')} }\n` : ''}  }`);
  out.push(`  map service-nodeports {\n    type inet_proto . inet_service : verdict\n${nodePorts.length ? `    elements = { ${nodePorts.join(',\n      ')} }\n` : ''}  }`);
  out.push(`  set no-endpoint-services {\n    type ipv4_addr . inet_proto . inet_service\n${noEndpoints.length ? `    elements = { ${noEndpoints.join(',\n      ')} }\n` : ''}  }`);
  out.push(`  set no-endpoint-nodeports {\n    type inet_proto . inet_service\n${noEndpointNodePorts.length ? `    elements = { ${noEndpointNodePorts.join(',\n      ')} }\n` : ''}  }`);
  out.push(...sets);
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
    ct state new jump endpoints-check
  }`);
  if (cfg.localDns) {
    out.push(`  chain local-dns {\n    meta l4proto { tcp, udp } dnat to ${cfg.localDns.target}:${cfg.localDns.port}\n  }`);
  }
  out.push(...chains);
  out.push('}');
  // the table is created if missing and deleted, then written anew: one atomic transaction
  return `table ip ${TABLE} {}\ndelete table ip ${TABLE}\n${out.join('\n')}\n`;
}
