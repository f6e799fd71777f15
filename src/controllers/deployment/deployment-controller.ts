// The Deployment controller, as upstream's: one ReplicaSet per pod template
// (named by its pod-template-hash), rolled by RollingUpdate (maxSurge,
// maxUnavailable) or Recreate, revisions in annotations so `kubectl rollout
// history|undo` work, old sets pruned by revisionHistoryLimit, status and the
// Available/Progressing conditions as `kubectl rollout status` reads them
// (progressDeadlineSeconds in progress.ts), proportional scaling of a resized
// rollout (proportional-scaling.ts), and pause.
import { createHash } from 'node:crypto';
import type { KubeObject } from '../../api/object.js';
import { metaTime } from '../../api/object.js';
import { EventRecorder } from '../../client/event-recorder.js';
import { keyOf, type Informer } from '../../client/informer.js';
import { onEveryChange, QueueController } from '../../client/queue-controller.js';
import type { ResourceRef, RestClient } from '../../client/rest-client.js';
import { REPLICASETS } from '../replicaset/replicaset-controller.js';
import { progressingCondition } from './progress.js';
import { DESIRED_REPLICAS, isScalingEvent, MAX_REPLICAS, proportionalSizes } from './proportional-scaling.js';

type Obj = Record<string, any>;

export const DEPLOYMENTS: ResourceRef = { group: 'apps', version: 'v1', plural: 'deployments', namespaced: true };
const REVISION = 'deployment.kubernetes.io/revision';

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical((v as Obj)[k])]));
  return v;
}

/** A short, stable name for a pod template (upstream uses an FNV hash; any stable digest serves). */
export function templateHash(template: unknown): string {
  const digest = createHash('sha256').update(JSON.stringify(canonical(template))).digest();
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  let out = '';
  for (let i = 0; i < 10; i++) out += alphabet[digest[i] % alphabet.length];
  return out;
}

/** "25%" of n, rounded as upstream (surge up, unavailable down), or an absolute count. */
function intOrPercent(v: unknown, n: number, roundUp: boolean): number {
  if (typeof v === 'number') return v;
  const m = /^(\d+)%$/.exec(String(v ?? ''));
  if (!m) return Number(v) || 0;
  const x = (Number(m[1]) * n) / 100;
  return roundUp ? Math.ceil(x) : Math.floor(x);
}

function templateWithoutHash(rs: KubeObject): Obj {
  const t = structuredClone((rs.spec as Obj).template ?? {});
  if (t.metadata?.labels) delete t.metadata.labels['pod-template-hash'];
  return t;
}

export class DeploymentController extends QueueController {
  private readonly recorder: EventRecorder;

  constructor(
    private readonly client: RestClient,
    private readonly deployments: Informer,
    private readonly sets: Informer,
    log: (msg: string, extra?: Record<string, unknown>) => void,
  ) {
    super({ failed: 'deployment sync failed', keyField: 'deployment', workers: 2, baseDelayMs: 50, maxDelayMs: 60_000, log });
    this.recorder = new EventRecorder(client, { component: 'deployment-controller' });
    deployments.addHandlers(onEveryChange(this.enqueue));
    sets.addHandlers(onEveryChange(this.enqueueController('Deployment')));
  }

  protected override async sync(key: string): Promise<void> {
    const d = this.deployments.get(key);
    if (!d || d.metadata.deletionTimestamp) return;
    const spec = (d.spec ?? {}) as Obj;
    const ns = d.metadata.namespace!;
    const owned = this.sets.list(ns).filter((rs) => rs.metadata.ownerReferences?.some((r) => r.controller && r.uid === d.metadata.uid));
    const hash = templateHash(spec.template);
    let newRs = owned.find((rs) => JSON.stringify(canonical(templateWithoutHash(rs))) === JSON.stringify(canonical(spec.template)));
    const old = owned.filter((rs) => rs !== newRs);
    const desired = (spec.replicas ?? 1) as number;
    const revisions = owned.map((rs) => Number(rs.metadata.annotations?.[REVISION] ?? 0));
    const maxRevision = revisions.length ? Math.max(...revisions) : 0;

    if (!newRs && !spec.paused) {
      newRs = await this.createSet(d, hash, maxRevision + 1, spec.strategy?.type === 'Recreate' ? 0 : Math.min(desired, this.surgeRoom(d, owned)));
      if (!newRs) return;
    } else if (newRs && Number(newRs.metadata.annotations?.[REVISION] ?? 0) < maxRevision) {
      // rolled back to an older template: it becomes the newest revision again
      await this.client.patch(REPLICASETS, ns, newRs.metadata.name!, { metadata: { annotations: { [REVISION]: String(maxRevision + 1) } } });
    }

    if (newRs && ((newRs.spec as Obj).minReadySeconds ?? 0) !== (spec.minReadySeconds ?? 0)) {
      await this.client.patch(REPLICASETS, ns, newRs.metadata.name!, { spec: { minReadySeconds: spec.minReadySeconds ?? 0 } });
    }
    // a paused Deployment only scales; a resize mid-rollout is spread over the active sets
    const active = owned.filter((rs) => (((rs.spec as Obj).replicas ?? 0) as number) > 0);
    if (spec.paused || (isScalingEvent(desired, owned) && active.length > 1)) {
      if (active.length > 1 && spec.strategy?.type !== 'Recreate') {
        const surge = intOrPercent(spec.strategy?.rollingUpdate?.maxSurge ?? '25%', desired, true);
        const age = (rs: KubeObject) => Number(rs.metadata.annotations?.[REVISION] ?? 0);
        for (const [rs, size] of proportionalSizes(desired, surge, active, age)) await this.scale(d, rs, size);
      } else if (spec.paused) {
        const only = active[0] ?? newRs;
        if (only) await this.scale(d, only, desired);
      }
      await this.cleanup(d, old);
      await this.writeStatus(d, newRs, owned);
      return;
    }
    if (spec.strategy?.type === 'Recreate') await this.recreate(d, newRs!, old, desired);
    else await this.rolling(d, newRs!, old, desired);
    await this.cleanup(d, old);
    await this.writeStatus(d, newRs, owned);
  }

  private surgeRoom(d: KubeObject, sets: KubeObject[]): number {
    const desired = ((d.spec as Obj).replicas ?? 1) as number;
    const surge = intOrPercent((d.spec as Obj).strategy?.rollingUpdate?.maxSurge ?? '25%', desired, true);
    const current = sets.reduce((n, rs) => n + (((rs.spec as Obj).replicas ?? 0) as number), 0);
    return Math.max(0, desired + surge - current);
  }

  private async createSet(d: KubeObject, hash: string, revision: number, replicas: number): Promise<KubeObject | undefined> {
    const spec = (d.spec ?? {}) as Obj;
    const template = structuredClone(spec.template ?? {});
    template.metadata ??= {};
    template.metadata.labels = { ...(template.metadata.labels ?? {}), 'pod-template-hash': hash };
    const selector = structuredClone(spec.selector ?? {});
    selector.matchLabels = { ...(selector.matchLabels ?? {}), 'pod-template-hash': hash };
    const name = `${d.metadata.name}-${hash}`;
    try {
      const rs = await this.client.request<KubeObject>('POST', `/apis/apps/v1/namespaces/${encodeURIComponent(d.metadata.namespace!)}/replicasets`, {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: {
          name,
          labels: template.metadata.labels,
          annotations: { [REVISION]: String(revision), 'deployment.kubernetes.io/desired-replicas': String(spec.replicas ?? 1), 'deployment.kubernetes.io/max-replicas': String((spec.replicas ?? 1) + intOrPercent(spec.strategy?.rollingUpdate?.maxSurge ?? '25%', spec.replicas ?? 1, true)) },
          ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: d.metadata.name!, uid: d.metadata.uid!, controller: true, blockOwnerDeletion: true }],
        },
        spec: { replicas, minReadySeconds: spec.minReadySeconds ?? 0, selector, template },
      });
      this.recorder.event({ ...d, apiVersion: 'apps/v1', kind: 'Deployment' }, 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${name} from 0 to ${replicas}`);
      return rs;
    } catch (e) {
      if ((e as { code?: number }).code === 409) return undefined; // already there: the informer brings it
      throw e;
    }
  }

  private async scale(d: KubeObject, rs: KubeObject, to: number): Promise<void> {
    const from = ((rs.spec as Obj).replicas ?? 0) as number;
    // each sizing records the Deployment size it was made for, for proportional scaling later
    const spec = (d.spec ?? {}) as Obj;
    const desired = (spec.replicas ?? 1) as number;
    const annotations = { [DESIRED_REPLICAS]: String(desired), [MAX_REPLICAS]: String(desired + (spec.strategy?.type === 'Recreate' ? 0 : intOrPercent(spec.strategy?.rollingUpdate?.maxSurge ?? '25%', desired, true))) };
    const stale = Object.entries(annotations).some(([k, v]) => rs.metadata.annotations?.[k] !== v);
    if (from === to && !stale) return;
    await this.client.patch(REPLICASETS, rs.metadata.namespace, rs.metadata.name!, { metadata: { annotations }, spec: { replicas: to } });
    if (from === to) return;
    this.recorder.event({ ...d, apiVersion: 'apps/v1', kind: 'Deployment' }, 'Normal', 'ScalingReplicaSet', `Scaled ${to > from ? 'up' : 'down'} replica set ${rs.metadata.name} from ${from} to ${to}`);
  }

  private async rolling(d: KubeObject, newRs: KubeObject, old: KubeObject[], desired: number): Promise<void> {
    const ru = ((d.spec as Obj).strategy?.rollingUpdate ?? {}) as Obj;
    const surge = intOrPercent(ru.maxSurge ?? '25%', desired, true);
    let unavailable = intOrPercent(ru.maxUnavailable ?? '25%', desired, false);
    if (surge === 0 && unavailable === 0) unavailable = 1;
    const replicasOf = (rs: KubeObject) => ((rs.spec as Obj).replicas ?? 0) as number;
    const availableOf = (rs: KubeObject) => ((rs.status as Obj)?.availableReplicas ?? 0) as number;
    // scale up the new set within the surge
    const total = replicasOf(newRs) + old.reduce((n, rs) => n + replicasOf(rs), 0);
    const newTarget = Math.min(desired, replicasOf(newRs) + Math.max(0, desired + surge - total));
    if (newTarget > replicasOf(newRs)) await this.scale(d, newRs, newTarget);
    // scale down old sets as far as availability allows, oldest first. As upstream, the
    // bound counts pods by spec (statuses lag behind a scale just made), less the new
    // set's pods not yet available: unhealthy old pods go first, then available ones.
    const minAvailable = desired - unavailable;
    const allPods = total - replicasOf(newRs) + newTarget;
    const newUnavailable = Math.max(0, newTarget - availableOf(newRs));
    let budget = allPods - minAvailable - newUnavailable;
    const byAge = [...old].sort((a, b) => Number(a.metadata.annotations?.[REVISION] ?? 0) - Number(b.metadata.annotations?.[REVISION] ?? 0));
    const sizes = new Map(byAge.map((rs) => [rs, replicasOf(rs)]));
    for (const rs of byAge) {
      const cut = Math.min(Math.max(0, budget), Math.max(0, replicasOf(rs) - availableOf(rs)));
      sizes.set(rs, replicasOf(rs) - cut);
      budget -= cut;
    }
    const availableNow = availableOf(newRs) + byAge.reduce((n, rs) => n + Math.min(availableOf(rs), sizes.get(rs)!), 0);
    let healthyCut = Math.min(Math.max(0, budget), availableNow - minAvailable);
    for (const rs of byAge) {
      const cut = Math.min(Math.max(0, healthyCut), sizes.get(rs)!);
      sizes.set(rs, sizes.get(rs)! - cut);
      healthyCut -= cut;
    }
    for (const rs of byAge) if (sizes.get(rs) !== replicasOf(rs)) await this.scale(d, rs, sizes.get(rs)!);
    // plain scaling of a finished rollout
    if (old.every((rs) => replicasOf(rs) === 0) && replicasOf(newRs) !== desired) await this.scale(d, newRs, desired);
  }

  private async recreate(d: KubeObject, newRs: KubeObject, old: KubeObject[], desired: number): Promise<void> {
    for (const rs of old) await this.scale(d, rs, 0);
    const oldRunning = old.some((rs) => ((rs.status as Obj)?.replicas ?? 0) > 0);
    if (!oldRunning) await this.scale(d, newRs, desired);
  }

  private async cleanup(d: KubeObject, old: KubeObject[]): Promise<void> {
    const limit = ((d.spec as Obj).revisionHistoryLimit ?? 10) as number;
    const idle = old.filter((rs) => ((rs.spec as Obj).replicas ?? 0) === 0 && ((rs.status as Obj)?.replicas ?? 0) === 0).sort((a, b) => Number(a.metadata.annotations?.[REVISION] ?? 0) - Number(b.metadata.annotations?.[REVISION] ?? 0));
    for (const rs of idle.slice(0, Math.max(0, idle.length - limit))) {
      await this.client.delete(REPLICASETS, rs.metadata.namespace, rs.metadata.name!, { preconditions: { uid: rs.metadata.uid } }).catch(() => {});
    }
  }

  private async writeStatus(d: KubeObject, newRs: KubeObject | undefined, sets: KubeObject[]): Promise<void> {
    const spec = (d.spec ?? {}) as Obj;
    const desired = (spec.replicas ?? 1) as number;
    const sum = (f: string) => sets.reduce((n, rs) => n + (((rs.status as Obj)?.[f] ?? 0) as number), 0);
    const replicas = sum('replicas');
    const available = sum('availableReplicas');
    const updated = ((newRs?.status as Obj)?.replicas ?? 0) as number;
    const unavailableAllowed = intOrPercent(spec.strategy?.rollingUpdate?.maxUnavailable ?? '25%', desired, false);
    const prev = (d.status ?? {}) as Obj;
    const now = metaTime();
    const condition = (type: string, status: string, reason: string, message: string) => {
      const old = ((prev.conditions ?? []) as Obj[]).find((c) => c.type === type);
      const same = old?.status === status && old?.reason === reason;
      return { type, status, lastUpdateTime: same ? old.lastUpdateTime : now, lastTransitionTime: old?.status === status ? old.lastTransitionTime : now, reason, message };
    };
    const complete = newRs && updated === desired && replicas === desired && available === desired;
    const status: Obj = {
      observedGeneration: d.metadata.generation,
      replicas,
      updatedReplicas: updated,
      readyReplicas: sum('readyReplicas'),
      availableReplicas: available,
      unavailableReplicas: Math.max(0, desired - available),
      conditions: [
        available >= desired - (spec.strategy?.type === 'Recreate' ? 0 : unavailableAllowed)
          ? condition('Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.')
          : condition('Available', 'False', 'MinimumReplicasUnavailable', 'Deployment does not have minimum availability.'),
      ],
    };
    for (const k of ['replicas', 'updatedReplicas', 'readyReplicas', 'availableReplicas', 'unavailableReplicas']) if (status[k] === 0) delete status[k];
    const progress = progressingCondition({
      prev,
      next: status,
      paused: !!spec.paused,
      complete: !!complete && !spec.paused,
      newRsName: newRs?.metadata.name ?? d.metadata.name,
      deadlineSeconds: spec.progressDeadlineSeconds,
      now: Date.now(),
    });
    status.conditions.push(progress.condition);
    if (progress.condition.reason === 'ProgressDeadlineExceeded' && ((prev.conditions ?? []) as Obj[]).find((c) => c.type === 'Progressing')?.reason !== 'ProgressDeadlineExceeded') {
      this.recorder.event({ ...d, apiVersion: 'apps/v1', kind: 'Deployment' }, 'Warning', 'ProgressDeadlineExceeded', progress.condition.message);
    }
    if (progress.recheckInMs !== undefined && !complete) this.queue.addAfter(keyOf(d), progress.recheckInMs);
    const comparable = (s: Obj) => JSON.stringify(canonical({ ...s, conditions: ((s.conditions ?? []) as Obj[]).map((c) => ({ ...c, lastUpdateTime: undefined, lastTransitionTime: undefined })) }));
    const revision = newRs?.metadata.annotations?.[REVISION];
    if (revision && d.metadata.annotations?.[REVISION] !== revision) {
      await this.client.patch(DEPLOYMENTS, d.metadata.namespace, d.metadata.name!, { metadata: { annotations: { [REVISION]: revision } } }).catch(() => {});
      return; // the annotation change comes back through the watch and syncs again
    }
    if (comparable(prev) === comparable(status)) return;
    await this.client.update(DEPLOYMENTS, { ...d, status }, 'status').catch((e) => {
      if (![404, 409].includes((e as { code?: number }).code ?? 0)) throw e;
      this.queue.add(keyOf(d));
    });
  }
}
