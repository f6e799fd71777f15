// The ReplicaSet controller, as upstream's: keep spec.replicas pods matching the
// selector, created from the template with a controller ownerReference; adopt
// matching orphans; delete the least valuable pods first; write status back.
// Expectations stop it from acting twice before its own writes are observed.
import type { KubeObject, OwnerReference } from '../../api/object.js';
import { selectorFromLabelSelector } from '../../api/selectors/label-selector.js';
import { EventRecorder } from '../../client/event-recorder.js';
import { keyOf, type Informer } from '../../client/informer.js';
import { onEveryChange, QueueController } from '../../client/queue-controller.js';
import type { ResourceRef, RestClient } from '../../client/rest-client.js';

type Obj = Record<string, any>;

export const REPLICASETS: ResourceRef = { group: 'apps', version: 'v1', plural: 'replicasets', namespaced: true };
export const REPLICATIONCONTROLLERS: ResourceRef = { group: '', version: 'v1', plural: 'replicationcontrollers', namespaced: true };

/** The kind this controller keeps: ReplicaSets, or the older ReplicationControllers (plain-map selectors). */
export interface ReplicaKind {
  ref: ResourceRef;
  kind: 'ReplicaSet' | 'ReplicationController';
  apiVersion: string;
  component: string;
}

export const REPLICASET_KIND: ReplicaKind = { ref: REPLICASETS, kind: 'ReplicaSet', apiVersion: 'apps/v1', component: 'replicaset-controller' };
export const REPLICATIONCONTROLLER_KIND: ReplicaKind = { ref: REPLICATIONCONTROLLERS, kind: 'ReplicationController', apiVersion: 'v1', component: 'replication-controller' };
export const PODS_REF: ResourceRef = { group: '', version: 'v1', plural: 'pods', namespaced: true };

/** Pods created per burst start small and double, as upstream's slow start. */
const SLOW_START = 1;

function controllerOf(o: KubeObject): OwnerReference | undefined {
  return o.metadata.ownerReferences?.find((r) => r.controller);
}

function isReady(p: KubeObject): boolean {
  return ((p.status as Obj)?.conditions ?? []).some((c: Obj) => c.type === 'Ready' && c.status === 'True');
}

function isActive(p: KubeObject): boolean {
  const phase = (p.status as Obj)?.phase;
  return !p.metadata.deletionTimestamp && phase !== 'Succeeded' && phase !== 'Failed';
}

/** Lower is deleted first: unscheduled, pending, not ready, most restarted, youngest. */
function deletionRank(a: KubeObject, b: KubeObject): number {
  const node = (p: KubeObject) => ((p.spec as Obj)?.nodeName ? 1 : 0);
  if (node(a) !== node(b)) return node(a) - node(b);
  const phase = (p: KubeObject) => ((p.status as Obj)?.phase === 'Running' ? 1 : 0);
  if (phase(a) !== phase(b)) return phase(a) - phase(b);
  if (isReady(a) !== isReady(b)) return Number(isReady(a)) - Number(isReady(b));
  const restarts = (p: KubeObject) => ((p.status as Obj)?.containerStatuses ?? []).reduce((n: number, c: Obj) => n + (c.restartCount ?? 0), 0);
  if (restarts(a) !== restarts(b)) return restarts(b) - restarts(a);
  return Date.parse(b.metadata.creationTimestamp ?? '') - Date.parse(a.metadata.creationTimestamp ?? '');
}

export class ReplicaSetController extends QueueController {
  /** creations/deletions asked for and not yet seen, per ReplicaSet key */
  private readonly expectations = new Map<string, { adds: number; dels: Set<string>; at: number }>();
  private readonly recorder: EventRecorder;

  constructor(
    private readonly client: RestClient,
    private readonly sets: Informer,
    private readonly pods: Informer,
    log: (msg: string, extra?: Record<string, unknown>) => void,
    private readonly what: ReplicaKind = REPLICASET_KIND,
  ) {
    super({ failed: 'replicaset sync failed', keyField: 'replicaset', workers: 2, baseDelayMs: 50, maxDelayMs: 60_000, log });
    this.recorder = new EventRecorder(client, { component: what.component });
    sets.addHandlers(onEveryChange(this.enqueue));
    const onPod = (p: KubeObject, kind: 'add' | 'update' | 'delete') => {
      const owner = controllerOf(p);
      const ns = p.metadata.namespace!;
      if (owner?.kind === this.what.kind) {
        const key = `${ns}/${owner.name}`;
        const exp = this.expectations.get(key);
        if (exp && kind === 'add' && exp.adds > 0) exp.adds--;
        if (exp && kind === 'delete') exp.dels.delete(p.metadata.name!);
        this.queue.add(key);
        return;
      }
      // an orphan may be adopted by any matching set
      for (const rs of sets.list(ns)) if (this.matches(rs, p)) this.enqueue(rs);
    };
    pods.addHandlers({ onAdd: (p) => onPod(p, 'add'), onUpdate: (_o, n) => onPod(n, 'update'), onDelete: (p) => onPod(p, 'delete') });
  }

  private matches(rs: KubeObject, p: KubeObject): boolean {
    try {
      const sel = (rs.spec as Obj)?.selector;
      // a ReplicationController's selector is a plain map of labels
      const selector = this.what.kind === 'ReplicationController' ? selectorFromLabelSelector({ matchLabels: sel ?? {} }) : selectorFromLabelSelector(sel);
      return selector.matches(p.metadata.labels ?? {});
    } catch {
      return false;
    }
  }

  private satisfied(key: string): boolean {
    const e = this.expectations.get(key);
    // expectations expire, as upstream's, so a lost watch event cannot wedge a set
    return !e || (e.adds <= 0 && e.dels.size === 0) || Date.now() - e.at > 5 * 60_000;
  }

  protected override async sync(key: string): Promise<void> {
    const rs = this.sets.get(key);
    if (!rs) {
      this.expectations.delete(key);
      return;
    }
    const ns = rs.metadata.namespace!;
    const owned: KubeObject[] = [];
    for (const p of this.pods.list(ns)) {
      const owner = controllerOf(p);
      if (owner) {
        if (owner.uid === rs.metadata.uid) owned.push(p);
        continue;
      }
      if (!rs.metadata.deletionTimestamp && this.matches(rs, p) && !p.metadata.deletionTimestamp) {
        // adopt: take ownership of a matching orphan
        const ref = this.ownerRef(rs);
        await this.client.patch(PODS_REF, ns, p.metadata.name!, { metadata: { ownerReferences: [...(p.metadata.ownerReferences ?? []), ref], uid: p.metadata.uid } }).catch(() => {});
        owned.push(p);
      }
    }
    // released: owned pods that no longer match
    const active = owned.filter((p) => isActive(p) && this.matches(rs, p));
    if (this.satisfied(key) && !rs.metadata.deletionTimestamp) {
      const want = ((rs.spec as Obj).replicas ?? 1) as number;
      const diff = want - active.length;
      if (diff > 0) await this.createPods(rs, key, diff);
      else if (diff < 0) await this.deletePods(rs, key, active, -diff);
    }
    await this.writeStatus(rs, owned.filter((p) => isActive(p)));
  }

  private ownerRef(rs: KubeObject): OwnerReference {
    return { apiVersion: this.what.apiVersion, kind: this.what.kind, name: rs.metadata.name!, uid: rs.metadata.uid!, controller: true, blockOwnerDeletion: true };
  }

  private async createPods(rs: KubeObject, key: string, count: number): Promise<void> {
    const template = ((rs.spec as Obj).template ?? {}) as Obj;
    let batch = SLOW_START;
    let left = count;
    this.expectations.set(key, { adds: count, dels: new Set(), at: Date.now() });
    while (left > 0) {
      const n = Math.min(batch, left);
      const results = await Promise.allSettled(
        Array.from({ length: n }, () =>
          this.client.request('POST', `/api/v1/namespaces/${encodeURIComponent(rs.metadata.namespace!)}/pods`, {
            apiVersion: 'v1',
            kind: 'Pod',
            metadata: { generateName: `${rs.metadata.name}-`, labels: template.metadata?.labels, annotations: template.metadata?.annotations, ownerReferences: [this.ownerRef(rs)] },
            spec: template.spec,
          }),
        ),
      );
      const failed = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
      const exp = this.expectations.get(key);
      if (exp) exp.adds -= failed.length;
      for (const r of results) if (r.status === 'fulfilled') this.recorder.event({ ...rs, apiVersion: this.what.apiVersion, kind: this.what.kind }, 'Normal', 'SuccessfulCreate', `Created pod: ${(r.value as KubeObject).metadata.name}`);
      if (failed.length) {
        // the rest of the burst is skipped, as upstream: the next sync tries again
        if (exp) exp.adds -= left - n;
        this.recorder.event({ ...rs, apiVersion: this.what.apiVersion, kind: this.what.kind }, 'Warning', 'FailedCreate', `Error creating: ${(failed[0].reason as Error).message}`);
        throw failed[0].reason;
      }
      left -= n;
      batch *= 2;
    }
  }

  private async deletePods(rs: KubeObject, key: string, active: KubeObject[], count: number): Promise<void> {
    const victims = [...active].sort(deletionRank).slice(0, count);
    this.expectations.set(key, { adds: 0, dels: new Set(victims.map((p) => p.metadata.name!)), at: Date.now() });
    for (const p of victims) {
      await this.client.delete(PODS_REF, p.metadata.namespace, p.metadata.name!, { preconditions: { uid: p.metadata.uid } }).catch((e) => {
        if (![404, 409].includes((e as { code?: number }).code ?? 0)) throw e;
        this.expectations.get(key)?.dels.delete(p.metadata.name!);
      });
      this.recorder.event({ ...rs, apiVersion: this.what.apiVersion, kind: this.what.kind }, 'Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata.name}`);
    }
  }

  private async writeStatus(rs: KubeObject, pods: KubeObject[]): Promise<void> {
    const templateLabels = ((rs.spec as Obj).template?.metadata?.labels ?? {}) as Record<string, string>;
    const minReady = ((rs.spec as Obj).minReadySeconds ?? 0) * 1000;
    const ready = pods.filter(isReady);
    const available = ready.filter((p) => {
      const since = ((p.status as Obj)?.conditions ?? []).find((c: Obj) => c.type === 'Ready')?.lastTransitionTime;
      return minReady === 0 || (since && Date.now() - Date.parse(since) >= minReady);
    });
    // look again when the next ready pod has been ready for minReadySeconds
    const waits = ready.filter((p) => !available.includes(p)).map((p) => Date.parse(((p.status as Obj)?.conditions ?? []).find((c: Obj) => c.type === 'Ready')?.lastTransitionTime) + minReady - Date.now());
    if (waits.length) this.queue.addAfter(keyOf(rs), Math.max(0, Math.min(...waits)) + 50);
    const status: Obj = {
      replicas: pods.length,
      fullyLabeledReplicas: pods.filter((p) => Object.entries(templateLabels).every(([k, v]) => p.metadata.labels?.[k] === v)).length,
      readyReplicas: ready.length,
      availableReplicas: available.length,
      observedGeneration: rs.metadata.generation,
    };
    // zero counts are omitted, as upstream's omitempty fields
    for (const k of ['readyReplicas', 'availableReplicas', 'fullyLabeledReplicas']) if (status[k] === 0) delete status[k];
    const prev = (rs.status ?? {}) as Obj;
    if (prev.conditions) status.conditions = prev.conditions;
    if (JSON.stringify(Object.entries(prev).sort()) === JSON.stringify(Object.entries(status).sort())) return;
    await this.client.update(this.what.ref, { ...rs, status }, 'status').catch((e) => {
      if (![404, 409].includes((e as { code?: number }).code ?? 0)) throw e;
      this.queue.add(keyOf(rs));
    });
  }
}
