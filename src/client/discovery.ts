// Which resources the server serves (preferred versions), from its discovery
// documents, as controllers that act on "everything" need (namespace, GC).
import type { ResourceRef, RestClient } from './rest-client.js';

export interface DiscoveredResource extends ResourceRef {
  kind: string;
  verbs: string[];
}

export async function discoverResources(client: RestClient): Promise<DiscoveredResource[]> {
  const out: DiscoveredResource[] = [];
  const gvs: Array<{ group: string; version: string; path: string }> = [{ group: '', version: 'v1', path: '/api/v1' }];
  const groups = await client.request<{ groups: Array<{ name: string; preferredVersion: { version: string } }> }>('GET', '/apis');
  for (const g of groups.groups) gvs.push({ group: g.name, version: g.preferredVersion.version, path: `/apis/${g.name}/${g.preferredVersion.version}` });
  for (const gv of gvs) {
    const list = await client.request<{ resources: Array<{ name: string; kind: string; namespaced: boolean; verbs: string[] }> }>('GET', gv.path);
    for (const r of list.resources) {
      if (r.name.includes('/')) continue;
      out.push({ group: gv.group, version: gv.version, plural: r.name, namespaced: r.namespaced, kind: r.kind, verbs: r.verbs });
    }
  }
  // events.k8s.io events are the core events again: act on them once
  return out.filter((r) => !(r.group === 'events.k8s.io' && r.plural === 'events'));
}
