// The StatefulSet controller, as upstream's: pods <set>-<ordinal> with stable
// identity and claims, created in order and each waited for (Running and
// Ready, then minReadySeconds) under OrderedReady, all at once under Parallel;
// removed from the highest ordinal down; templates rolled out highest ordinal
// first down to the partition, up to maxUnavailable at once (RollingUpdate), or when a pod is deleted
// (OnDelete); ControllerRevisions for history, and the status `kubectl rollout
// status statefulset` reads.
import type { KubeObject } from '../../api/object.js';
import { EventRecorder } from '../../client/event-recorder.js';
import { keyOf, type Informer } from '../../client/informer.js';
import { onEveryChange, QueueController } from '../../client/queue-controller.js';
import type { ResourceRef, RestClient } from '../../client/rest-client.js';
import { PODS_REF } from '../replicaset/replicaset-controller.js';
import { availableIn, claimsFor, isRunningAndReady, isTerminated, newPod, ordinalOf, podName, revisionOfPod } from './pod-identity.js';
import { ownedRevisions, truncateHistory, updateRevision } from './revisions.js';
import { maxUnavailableOf, podsToUpdate } from './rolling-update.js';

type Obj = Record<string, any>;

export const STATEFULSETS: ResourceRef = { group: 'apps', version: 'v1', plural: 'statefulsets', namespaced: true };
export const PVCS: ResourceRef = { group: '', version: 'v1', plural: 'persistentvolumeclaims', namespaced: true };
export { CONTROLLERREVISIONS } from './revisions.js';

function ownedBy(o: KubeObject, uid: string | undefined): boolean {
  return !!o.metadata.ownerReferences?.some((r) => r.uid === uid);
}

export class StatefulSetController extends QueueController {
  private readonly recorder: EventRecorder;

  constructor(
    private readonly client: RestClient,
    private readonly sets: Informer,
    private readonly pods: Informer,
    private readonly revisions: Informer,
    private readonly claims: Informer,
    log: (msg: string, extra?: Record<string, unknown>) => void,
  ) {
    super({ failed: 'statefulset sync failed', keyField: 'statefulset', workers: 2, baseDelayMs: 50, maxDelayMs: 60_000, log });
    this.recorder = new EventRecorder(client, { component: 'statefulset-controller' });
    sets.addHandlers(onEveryChange(this.enqueue));
    const onOwned = this.enqueueController('StatefulSet');
    for (const inf of [pods, revisions]) inf.addHandlers(onEveryChange(onOwned));
  }

  private ref(set: KubeObject): KubeObject {
    return { ...set, apiVersion: 'apps/v1', kind: 'StatefulSet' };
  }

  protected override async sync(key: string): Promise<void> {
    const set = this.sets.get(key);
    if (!set || set.metadata.deletionTimestamp) return;
    const spec = (set.spec ?? {}) as Obj;
    const ns = set.metadata.namespace!;
    const revisions = ownedRevisions(set, this.revisions.list(ns));
    const update = await updateRevision(this.client, set, revisions);
    if (!revisions.some((r) => r.metadata.name === update.metadata.name)) revisions.push(update);
    const current = revisions.find((r) => r.metadata.name === (set.status as Obj)?.currentRevision) ?? update;
    const templateOf = (r: KubeObject): Obj => {
      if (r === update) return spec.template ?? {};
      const { $patch: _p, ...t } = ((r as Obj).data?.spec?.template ?? {}) as Obj;
      return t;
    };

    const pods = this.pods.list(ns).filter((p) => p.metadata.ownerReferences?.some((r) => r.controller && r.uid === set.metadata.uid) && ordinalOf(set, p) >= 0);
    const start = (spec.ordinals?.start ?? 0) as number;
    const replicas = (spec.replicas ?? 1) as number;
    const slots = new Map(pods.map((p) => [ordinalOf(set, p), p]));
    const condemned = pods.filter((p) => ordinalOf(set, p) < start || ordinalOf(set, p) >= start + replicas).sort((a, b) => ordinalOf(set, b) - ordinalOf(set, a));
    const ordered = spec.podManagementPolicy !== 'Parallel';
    const minReady = (spec.minReadySeconds ?? 0) as number;
    const rolling = (spec.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
    const partition = rolling ? ((spec.updateStrategy?.rollingUpdate?.partition ?? 0) as number) : 0;
    let wakeIn: number | undefined;
    let blocked = false;

    for (let ord = start; ord < start + replicas && !blocked; ord++) {
      let pod = slots.get(ord);
      if (pod && isTerminated(pod) && !pod.metadata.deletionTimestamp) {
        // a failed or finished pod is replaced under the same name
        await this.deletePod(set, pod);
        pod = undefined;
        if (ordered) blocked = true;
        continue;
      }
      if (!pod) {
        const revision = rolling && ord - start < partition ? current : update;
        await this.createPod(set, ord, templateOf(revision), revision.metadata.name!);
        if (ordered) blocked = true;
        continue;
      }
      if (pod.metadata.deletionTimestamp || !isRunningAndReady(pod)) {
        if (ordered) blocked = true;
        continue;
      }
      const left = availableIn(pod, minReady);
      if (left > 0) {
        wakeIn = Math.min(wakeIn ?? left, left);
        if (ordered) blocked = true;
      }
    }

    // scale down from the highest ordinal; in order, one at a time and only while the rest are healthy
    for (const pod of blocked ? [] : condemned) {
      if (pod.metadata.deletionTimestamp) {
        if (ordered) blocked = true;
        if (ordered) break;
        continue;
      }
      if (ordered && pods.some((p) => p !== pod && !p.metadata.deletionTimestamp && !condemned.includes(p) && !isRunningAndReady(p))) {
        blocked = true;
        break;
      }
      await this.releaseClaimsOnScaleDown(set, pod);
      await this.deletePod(set, pod);
      if (ordered) {
        blocked = true;
        break;
      }
    }

    // roll the template from the highest ordinal down to the partition, up to maxUnavailable at once
    if (rolling && !blocked && !condemned.length) {
      const maxUnavailable = maxUnavailableOf(spec.updateStrategy?.rollingUpdate?.maxUnavailable, replicas);
      for (const pod of podsToUpdate({ slots, start, replicas, partition, updateRevision: update.metadata.name!, maxUnavailable, minReadySeconds: minReady })) await this.deletePod(set, pod);
    }

    const live = new Set([current.metadata.name!, update.metadata.name!, ...pods.map((p) => revisionOfPod(p) ?? '')]);
    await truncateHistory(this.client, set, revisions, live);
    await this.writeStatus(set, pods, current.metadata.name!, update.metadata.name!);
    if (wakeIn !== undefined) this.queue.addAfter(key, wakeIn + 50);
  }

  private async createPod(set: KubeObject, ordinal: number, template: Obj, revisionName: string): Promise<void> {
    const name = podName(set, ordinal);
    await this.ensureClaims(set, ordinal, name);
    try {
      await this.client.request('POST', `/api/v1/namespaces/${encodeURIComponent(set.metadata.namespace!)}/pods`, newPod(set, template, revisionName, ordinal));
      this.recorder.event(this.ref(set), 'Normal', 'SuccessfulCreate', `create Pod ${name} in StatefulSet ${set.metadata.name} successful`);
    } catch (e) {
      // already there: our own earlier create not yet in the cache
      if ((e as { code?: number }).code === 409) return;
      this.recorder.event(this.ref(set), 'Warning', 'FailedCreate', `create Pod ${name} in StatefulSet ${set.metadata.name} failed error: ${(e as Error).message}`);
      throw e;
    }
  }

  /** Creates missing claims, and keeps their owner reference to the set as whenDeleted asks. */
  private async ensureClaims(set: KubeObject, ordinal: number, podName: string): Promise<void> {
    const deleteWithSet = (set.spec as Obj).persistentVolumeClaimRetentionPolicy?.whenDeleted === 'Delete';
    const setRef = { apiVersion: 'apps/v1', kind: 'StatefulSet', name: set.metadata.name!, uid: set.metadata.uid! };
    for (const claim of claimsFor(set, ordinal)) {
      const existing = this.claims.get(`${set.metadata.namespace}/${claim.metadata.name}`);
      if (existing) {
        // a live ordinal's claim is never owned by a pod (left from a scale-down whose pod is gone)
        const refs = (existing.metadata.ownerReferences ?? []).filter((r) => r.uid !== set.metadata.uid && r.kind !== 'Pod');
        const want = deleteWithSet ? [...refs, setRef] : refs;
        if (want.length !== (existing.metadata.ownerReferences ?? []).length || ownedBy(existing, set.metadata.uid) !== deleteWithSet) {
          await this.client.patch(PVCS, set.metadata.namespace, claim.metadata.name, { metadata: { ownerReferences: want } });
        }
        continue;
      }
      if (deleteWithSet) claim.metadata.ownerReferences = [setRef];
      try {
        await this.client.request('POST', `/api/v1/namespaces/${encodeURIComponent(set.metadata.namespace!)}/persistentvolumeclaims`, claim);
        this.recorder.event(this.ref(set), 'Normal', 'SuccessfulCreate', `create Claim ${claim.metadata.name} Pod ${podName} in StatefulSet ${set.metadata.name} success`);
      } catch (e) {
        if ((e as { code?: number }).code === 409) continue;
        this.recorder.event(this.ref(set), 'Warning', 'FailedCreate', `create Claim ${claim.metadata.name} for Pod ${podName} in StatefulSet ${set.metadata.name} failed error: ${(e as Error).message}`);
        throw e;
      }
    }
  }

  /** whenScaled: Delete: a condemned pod's claims go with it (owned by the pod, the collector removes them). */
  private async releaseClaimsOnScaleDown(set: KubeObject, pod: KubeObject): Promise<void> {
    if ((set.spec as Obj).persistentVolumeClaimRetentionPolicy?.whenScaled !== 'Delete') return;
    for (const claim of claimsFor(set, ordinalOf(set, pod))) {
      const existing = this.claims.get(`${set.metadata.namespace}/${claim.metadata.name}`);
      if (!existing || ownedBy(existing, pod.metadata.uid)) continue;
      const ref = { apiVersion: 'v1', kind: 'Pod', name: pod.metadata.name!, uid: pod.metadata.uid! };
      // the pod alone owns it now, so the collector removes it once the pod is gone
      const refs = (existing.metadata.ownerReferences ?? []).filter((r) => r.uid !== set.metadata.uid);
      await this.client.patch(PVCS, set.metadata.namespace, claim.metadata.name, { metadata: { ownerReferences: [...refs, ref] } }).catch((e) => {
        if ((e as { code?: number }).code !== 404) throw e;
      });
    }
  }

  private async deletePod(set: KubeObject, pod: KubeObject): Promise<void> {
    await this.client.delete(PODS_REF, pod.metadata.namespace, pod.metadata.name!, { preconditions: { uid: pod.metadata.uid } }).catch((e) => {
      if (![404, 409].includes((e as { code?: number }).code ?? 0)) throw e;
    });
    this.recorder.event(this.ref(set), 'Normal', 'SuccessfulDelete', `delete Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} successful`);
  }

  private async writeStatus(set: KubeObject, pods: KubeObject[], currentRevision: string, updateRevision: string): Promise<void> {
    const spec = (set.spec ?? {}) as Obj;
    const desired = (spec.replicas ?? 1) as number;
    const count = (f: (p: KubeObject) => boolean) => pods.filter(f).length;
    const status: Obj = {
      observedGeneration: set.metadata.generation,
      replicas: pods.length,
      readyReplicas: count(isRunningAndReady),
      currentReplicas: count((p) => revisionOfPod(p) === currentRevision),
      updatedReplicas: count((p) => revisionOfPod(p) === updateRevision),
      availableReplicas: count((p) => availableIn(p, spec.minReadySeconds ?? 0) === 0),
      currentRevision,
      updateRevision,
      collisionCount: ((set.status as Obj)?.collisionCount ?? 0) as number,
    };
    // every pod on the new revision and ready: it becomes the current one
    if (status.updatedReplicas === desired && status.readyReplicas === desired && status.replicas === desired) {
      status.currentRevision = updateRevision;
      status.currentReplicas = status.updatedReplicas;
    }
    for (const k of ['readyReplicas', 'currentReplicas', 'updatedReplicas']) if (status[k] === 0) delete status[k];
    const prev = (set.status ?? {}) as Obj;
    if (prev.conditions) status.conditions = prev.conditions;
    if (JSON.stringify(Object.entries(prev).sort()) === JSON.stringify(Object.entries(status).sort())) return;
    await this.client.update(STATEFULSETS, { ...set, status }, 'status').catch((e) => {
      if (![404, 409].includes((e as { code?: number }).code ?? 0)) throw e;
      this.queue.add(keyOf(set));
    });
  }
}
