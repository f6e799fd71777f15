// A pod's /etc/resolv.conf from its dnsPolicy and dnsConfig, as upstream's
// kubelet (pkg/kubelet/network/dns) builds it. Pure: the pod worker writes it.
import type { KubeObject } from '../api/object.js';
import { formatResolvConf, parseResolvConf, type ResolvConf } from '../network/dns/resolv-conf.js';

/** The libc limits kubelet keeps to (more nameservers or search domains are dropped). */
const MAX_NAMESERVERS = 3;
const MAX_SEARCH = 32;
const MAX_SEARCH_CHARS = 2048;

export interface NodeDns {
  /** the cluster DNS Service IPs (kubelet --cluster-dns), e.g. ["10.43.0.10"]; empty: no cluster DNS */
  clusterDNS: string[];
  /** default cluster.local */
  clusterDomain?: string;
  /** the node's resolv.conf text (kubelet --resolv-conf) */
  hostResolvConf: string;
}

type Obj = Record<string, any>;

function unique<T>(xs: T[]): T[] {
  return xs.filter((x, i) => xs.indexOf(x) === i);
}

function mergeOptions(base: string[], extra: Array<{ name?: string; value?: string }>): string[] {
  const byName = new Map<string, string>();
  for (const o of base) byName.set(o.split(':')[0], o);
  for (const o of extra) if (o?.name) byName.set(o.name, o.value !== undefined && o.value !== null && o.value !== '' ? `${o.name}:${o.value}` : o.name);
  return [...byName.values()];
}

function trimSearch(search: string[]): string[] {
  const out: string[] = [];
  let chars = 0;
  for (const s of unique(search.map((d) => d.replace(/\.$/, '')).filter(Boolean))) {
    if (out.length >= MAX_SEARCH || chars + s.length + (out.length ? 1 : 0) > MAX_SEARCH_CHARS) break;
    chars += s.length + (out.length ? 1 : 0);
    out.push(s);
  }
  return out;
}

/** The effective policy: hostNetwork pods under ClusterFirst use the node's DNS, as upstream. */
export function effectiveDnsPolicy(pod: KubeObject, hasClusterDns: boolean): 'ClusterFirst' | 'Default' | 'None' {
  const spec = (pod.spec ?? {}) as Obj;
  const policy = spec.dnsPolicy ?? 'ClusterFirst';
  if (policy === 'None') return 'None';
  if (policy === 'Default') return 'Default';
  if (policy === 'ClusterFirstWithHostNet') return hasClusterDns ? 'ClusterFirst' : 'Default';
  // ClusterFirst
  if (spec.hostNetwork) return 'Default';
  return hasClusterDns ? 'ClusterFirst' : 'Default';
}

export function podResolvConf(pod: KubeObject, node: NodeDns): ResolvConf {
  const spec = (pod.spec ?? {}) as Obj;
  const domain = (node.clusterDomain ?? 'cluster.local').replace(/\.$/, '');
  const host = parseResolvConf(node.hostResolvConf);
  const policy = effectiveDnsPolicy(pod, node.clusterDNS.length > 0);
  let conf: ResolvConf;
  if (policy === 'ClusterFirst') {
    const ns = pod.metadata.namespace ?? 'default';
    conf = { nameservers: [...node.clusterDNS], search: [`${ns}.svc.${domain}`, `svc.${domain}`, domain, ...host.search], options: ['ndots:5'] };
  } else if (policy === 'Default') {
    conf = { nameservers: [...host.nameservers], search: [...host.search], options: [...host.options] };
  } else {
    conf = { nameservers: [], search: [], options: [] };
  }
  const extra = (spec.dnsConfig ?? {}) as Obj;
  conf.nameservers = unique([...conf.nameservers, ...((extra.nameservers as string[] | undefined) ?? [])]).slice(0, MAX_NAMESERVERS);
  conf.search = trimSearch([...conf.search, ...((extra.searches as string[] | undefined) ?? [])]);
  conf.options = mergeOptions(conf.options, (extra.options as Array<{ name?: string; value?: string }> | undefined) ?? []);
  return conf;
}

/** The file's text. */
export function podResolvConfText(pod: KubeObject, node: NodeDns): string {
  return formatResolvConf(podResolvConf(pod, node));
}
