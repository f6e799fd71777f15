// API discovery: legacy (/api, /apis, per group and group/version) and aggregated
// (apidiscovery.k8s.io/v2 and v2beta1), built once from the resource table.
import { createHash } from 'node:crypto';
import type { ResourceInfo } from '../../api/resource.js';

interface SubresourceDef {
  kind: { group: string; version: string; kind: string } | 'self';
  verbs: string[];
}

const SUBRESOURCES: Record<string, SubresourceDef> = {
  status: { kind: 'self', verbs: ['get', 'patch', 'update'] },
  scale: { kind: { group: 'autoscaling', version: 'v1', kind: 'Scale' }, verbs: ['get', 'patch', 'update'] },
  binding: { kind: { group: '', version: 'v1', kind: 'Binding' }, verbs: ['create'] },
  eviction: { kind: { group: 'policy', version: 'v1', kind: 'Eviction' }, verbs: ['create'] },
  log: { kind: { group: '', version: 'v1', kind: 'Pod' }, verbs: ['get'] },
  exec: { kind: { group: '', version: 'v1', kind: 'PodExecOptions' }, verbs: ['create', 'get'] },
  attach: { kind: { group: '', version: 'v1', kind: 'PodAttachOptions' }, verbs: ['create', 'get'] },
  portforward: { kind: { group: '', version: 'v1', kind: 'PodPortForwardOptions' }, verbs: ['create', 'get'] },
  proxy: { kind: 'self', verbs: ['create', 'delete', 'get', 'patch', 'update'] },
  finalize: { kind: 'self', verbs: ['update'] },
  ephemeralcontainers: { kind: 'self', verbs: ['get', 'patch', 'update'] },
  resize: { kind: 'self', verbs: ['get', 'patch', 'update'] },
  token: { kind: { group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest' }, verbs: ['create'] },
};

export const AGGREGATED_V2 = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';
export const AGGREGATED_V2BETA1 = 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList';

function subresourceNames(r: ResourceInfo): string[] {
  const names: string[] = [];
  if (r.subresources.status) names.push('status');
  if (r.subresources.scale) names.push('scale');
  for (const o of r.subresources.other ?? []) if (!names.includes(o)) names.push(o);
  return names.sort();
}

function storageVersionHash(r: ResourceInfo): string {
  return createHash('sha256').update(`${r.group}/${r.versions[0]}/${r.kind}`).digest('base64').slice(0, 11);
}

export class Discovery {
  private readonly groups: Map<string, { versions: string[]; byVersion: Map<string, ResourceInfo[]> }> = new Map();

  constructor(
    readonly resources: readonly ResourceInfo[],
    private readonly serverAddress: () => string,
  ) {
    for (const r of resources) {
      let g = this.groups.get(r.group);
      if (!g) {
        g = { versions: [], byVersion: new Map() };
        this.groups.set(r.group, g);
      }
      for (const v of r.versions) {
        if (!g.byVersion.has(v)) g.byVersion.set(v, []);
        g.byVersion.get(v)!.push(r);
      }
      // preferred version = first version of the first resource that lists it first
      for (const v of r.versions) if (!g.versions.includes(v)) g.versions.push(v);
    }
  }

  /** Resources served at group/version, or undefined if that group/version does not exist. */
  groupVersionResources(group: string, version: string): ResourceInfo[] | undefined {
    return this.groups.get(group)?.byVersion.get(version);
  }

  findByPlural(group: string, version: string, plural: string): ResourceInfo | undefined {
    return this.groupVersionResources(group, version)?.find((r) => r.plural === plural);
  }

  apiVersions(): object {
    return {
      kind: 'APIVersions',
      versions: ['v1'],
      serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: this.serverAddress() }],
    };
  }

  private namedGroups(): string[] {
    return [...this.groups.keys()].filter((g) => g !== '');
  }

  apiGroup(group: string): object | undefined {
    const g = this.groups.get(group);
    if (!g || group === '') return undefined;
    return {
      kind: 'APIGroup',
      apiVersion: 'v1',
      name: group,
      versions: g.versions.map((v) => ({ groupVersion: `${group}/${v}`, version: v })),
      preferredVersion: { groupVersion: `${group}/${g.versions[0]}`, version: g.versions[0] },
    };
  }

  apiGroupList(): object {
    return {
      kind: 'APIGroupList',
      apiVersion: 'v1',
      groups: this.namedGroups().map((name) => {
        const { kind: _k, apiVersion: _a, ...rest } = this.apiGroup(name) as Record<string, unknown>;
        return rest;
      }),
    };
  }

  apiResourceList(group: string, version: string): object | undefined {
    const list = this.groupVersionResources(group, version);
    if (!list) return undefined;
    const resources: object[] = [];
    for (const r of [...list].sort((a, b) => a.plural.localeCompare(b.plural))) {
      const entry: Record<string, unknown> = {
        name: r.plural,
        singularName: r.singular,
        namespaced: r.namespaced,
        kind: r.kind,
        verbs: r.verbs,
      };
      if (r.shortNames.length) entry.shortNames = r.shortNames;
      if (r.categories.length) entry.categories = r.categories;
      entry.storageVersionHash = storageVersionHash(r);
      resources.push(entry);
      for (const sub of subresourceNames(r)) {
        const def = SUBRESOURCES[sub];
        if (!def) continue;
        const e: Record<string, unknown> = { name: `${r.plural}/${sub}`, singularName: '', namespaced: r.namespaced };
        if (def.kind === 'self') e.kind = r.kind;
        else {
          if (def.kind.group) e.group = def.kind.group;
          e.version = def.kind.version;
          e.kind = def.kind.kind;
        }
        e.verbs = def.verbs;
        resources.push(e);
      }
    }
    return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group ? `${group}/${version}` : version, resources };
  }

  /** Aggregated discovery for /api (core only) or /apis (named groups). */
  aggregated(core: boolean, apiVersion: 'v2' | 'v2beta1'): object {
    const groups = core ? [''] : this.namedGroups();
    return {
      kind: 'APIGroupDiscoveryList',
      apiVersion: `apidiscovery.k8s.io/${apiVersion}`,
      metadata: {},
      items: groups.map((group) => {
        const g = this.groups.get(group)!;
        return {
          metadata: group ? { name: group, creationTimestamp: null } : { creationTimestamp: null },
          versions: g.versions.map((version) => ({
            version,
            resources: [...g.byVersion.get(version)!]
              .sort((a, b) => a.plural.localeCompare(b.plural))
              .map((r) => {
                const e: Record<string, unknown> = {
                  resource: r.plural,
                  responseKind: { group: r.group, version, kind: r.kind },
                  scope: r.namespaced ? 'Namespaced' : 'Cluster',
                  singularResource: r.singular,
                  verbs: r.verbs,
                };
                if (r.shortNames.length) e.shortNames = r.shortNames;
                if (r.categories.length) e.categories = r.categories;
                const subs = subresourceNames(r)
                  .filter((s) => SUBRESOURCES[s])
                  .map((s) => {
                    const def = SUBRESOURCES[s];
                    return {
                      subresource: s,
                      responseKind: def.kind === 'self' ? { group: r.group, version, kind: r.kind } : def.kind,
                      verbs: def.verbs,
                    };
                  });
                if (subs.length) e.subresources = subs;
                return e;
              }),
            freshness: 'Current',
          })),
        };
      }),
    };
  }
}
