// ControllerRevisions of a StatefulSet, as upstream's history package: each
// distinct pod template is one apps/v1 ControllerRevision <set>-<hash> whose
// data is the strategic merge patch that restores it (what `kubectl rollout
// undo` applies), numbered by revision; going back to an old template renumbers
// its revision as the newest, and old unused revisions are pruned.
import type { KubeObject, OwnerReference } from '../../api/object.js';
import type { ResourceRef, RestClient } from '../../client/rest-client.js';
import { templateHash } from '../deployment/deployment-controller.js';

type Obj = Record<string, any>;

export const CONTROLLERREVISIONS: ResourceRef = { group: 'apps', version: 'v1', plural: 'controllerrevisions', namespaced: true };
export const REVISION_LABEL = 'controller-revision-hash';
const HASH_LABEL = 'controller.kubernetes.io/hash';

/** The patch a revision stores: the whole template, replacing what is there. */
export function revisionData(set: KubeObject): Obj {
  return { spec: { template: { ...structuredClone((set.spec as Obj).template ?? {}), $patch: 'replace' } } };
}

export function ownedRevisions(set: KubeObject, all: KubeObject[]): KubeObject[] {
  return all.filter((r) => r.metadata.ownerReferences?.some((o) => o.controller && o.uid === set.metadata.uid)).sort((a, b) => revisionOf(a) - revisionOf(b));
}

export function revisionOf(r: KubeObject): number {
  return Number((r as Obj).revision ?? 0);
}

function sameData(r: KubeObject, data: Obj): boolean {
  return templateHash((r as Obj).data) === templateHash(data);
}

/** The revision for the set's current template: found, renumbered, or created. */
export async function updateRevision(client: RestClient, set: KubeObject, revisions: KubeObject[]): Promise<KubeObject> {
  const data = revisionData(set);
  const next = (revisions.length ? revisionOf(revisions[revisions.length - 1]) : 0) + 1;
  const equal = revisions.filter((r) => sameData(r, data));
  const latest = revisions[revisions.length - 1];
  if (equal.length && equal[equal.length - 1] === latest) return latest;
  if (equal.length) {
    // a rollback: the old revision becomes the newest
    const r = equal[equal.length - 1];
    return client.patch<KubeObject>(CONTROLLERREVISIONS, r.metadata.namespace, r.metadata.name!, { revision: next });
  }
  const collisions = ((set.status as Obj)?.collisionCount ?? 0) as number;
  const hash = templateHash({ data, collisions });
  const owner: OwnerReference = { apiVersion: 'apps/v1', kind: 'StatefulSet', name: set.metadata.name!, uid: set.metadata.uid!, controller: true, blockOwnerDeletion: true };
  const body = {
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: { name: `${set.metadata.name}-${hash}`, namespace: set.metadata.namespace, labels: { ...((set.spec as Obj).template?.metadata?.labels ?? {}), [HASH_LABEL]: hash }, ownerReferences: [owner] },
    data,
    revision: next,
  };
  try {
    return await client.request<KubeObject>('POST', `/apis/apps/v1/namespaces/${encodeURIComponent(set.metadata.namespace!)}/controllerrevisions`, body);
  } catch (e) {
    if ((e as { code?: number }).code !== 409) throw e;
    // ours but not yet in the cache: read it back; someone else's name: a collision
    const existing = await client.get<KubeObject>(CONTROLLERREVISIONS, set.metadata.namespace, body.metadata.name);
    if (existing.metadata.ownerReferences?.some((o) => o.uid === set.metadata.uid) && sameData(existing, data)) return existing;
    throw Object.assign(new Error(`controller revision ${body.metadata.name} collides`), { collision: true });
  }
}

/** Deletes the oldest revisions past revisionHistoryLimit that no pod and neither status revision uses. */
export async function truncateHistory(client: RestClient, set: KubeObject, revisions: KubeObject[], live: Set<string>): Promise<void> {
  const limit = ((set.spec as Obj).revisionHistoryLimit ?? 10) as number;
  const idle = revisions.filter((r) => !live.has(r.metadata.name!));
  for (const r of idle.slice(0, Math.max(0, idle.length - limit))) {
    await client.delete(CONTROLLERREVISIONS, r.metadata.namespace, r.metadata.name!).catch((e) => {
      if ((e as { code?: number }).code !== 404) throw e;
    });
  }
}
