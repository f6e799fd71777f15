// A pod's hostname and the /etc/hosts the kubelet manages for it, as upstream's
// kubelet writes them: spec.hostname (else the pod's name, cut to 63
// characters), a fully qualified name when spec.subdomain is set, the pod's own
// addresses, then spec.hostAliases. A pod on the node's network sees the node's
// hosts file with the aliases added.
import { readFileSync } from 'node:fs';
import type { KubeObject } from '../api/object.js';

interface HostAlias {
  ip?: string;
  hostnames?: string[];
}

const HEADER = '# Kubernetes-managed hosts file.\n';
const LOCAL =
  '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n';

/** The pod's hostname and, with a subdomain, its domain (subdomain.namespace.svc.cluster-domain). */
export function podHostname(pod: KubeObject, clusterDomain = 'cluster.local'): { hostname: string; domain?: string } {
  const spec = (pod.spec ?? {}) as { hostname?: string; subdomain?: string };
  // a longer name is cut and loses the '-' or '.' it may then end with, as upstream does
  const hostname = (spec.hostname || pod.metadata.name || '').slice(0, 63).replace(/[-.]+$/, '');
  const domain = spec.subdomain ? `${spec.subdomain}.${pod.metadata.namespace ?? 'default'}.svc.${clusterDomain}` : undefined;
  return { hostname, domain };
}

/** /etc/hosts for a pod with its own network: localhost, its addresses under its names, its host aliases. */
export function podHostsFile(pod: KubeObject, podIPs: string[], clusterDomain?: string): string {
  const { hostname, domain } = podHostname(pod, clusterDomain);
  const names = domain ? `${hostname}.${domain}\t${hostname}` : hostname;
  // before the pod has an address its name still resolves (to a loopback address, as Debian does for the host's)
  const own = (podIPs.length ? podIPs : ['127.0.1.1']).map((ip) => `${ip}\t${names}\n`).join('');
  return `${HEADER}${LOCAL}${own}${hostAliases(pod)}`;
}

/** /etc/hosts for a pod on the node's network: the node's own file, and the pod's host aliases. */
export function hostNetworkHostsFile(pod: KubeObject, nodeHosts: string): string {
  return `${nodeHosts}${nodeHosts && !nodeHosts.endsWith('\n') ? '\n' : ''}${hostAliases(pod)}`;
}

function hostAliases(pod: KubeObject): string {
  const aliases = ((pod.spec as { hostAliases?: HostAlias[] } | undefined)?.hostAliases ?? []).filter((a) => a.ip && a.hostnames?.length);
  if (!aliases.length) return '';
  return `\n# Entries added by HostAliases.\n${aliases.map((a) => `${a.ip}\t${a.hostnames!.join('\t')}\n`).join('')}`;
}

let nodeHosts: string | undefined;

/** The node's /etc/hosts, read once (upstream copies it when it makes a pod's, and not after). */
export function nodeHostsFile(): string {
  if (nodeHosts === undefined) {
    try {
      nodeHosts = readFileSync('/etc/hosts', 'utf8');
    } catch {
      nodeHosts = `${HEADER}${LOCAL}`;
    }
  }
  return nodeHosts;
}
