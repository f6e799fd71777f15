// The disruption controller, as upstream's pkg/controller/disruption: keeps each
// PodDisruptionBudget's status (expected, desired and current healthy pods,
// disruptions allowed, the DisruptionAllowed condition) from the pods its
// selector matches and the scale of their controllers. Evictions (in the API
// server) spend disruptionsAllowed and note the pod in status.disruptedPods;
// this controller forgets those notes once the pod is deleted or two minutes pass.
import type { KubeObject } from '../../api/object.js';
import { nothing, selectorFromLabelSelector, type Selector } from '../../api/selectors/label-selector.js';
import type { Informer } from '../../client/informer.js';
import { onEveryChange, QueueController } from '../../client/queue-controller.js';
import type { ResourceRef, RestClient } from '../../client/rest-client.js';
import { BudgetError, computeBudget, disruptionCondition, type Budget } from './budget.js';

type Obj = Record<string, any>;

export const PDBS: ResourceRef = { group: 'policy', version: 'v1', plural: 'poddisruptionbudgets', namespaced: true };

/** The informers of the kinds whose scale decides expectedPods. */
export interface ScaleSources {
  replicaSets: Informer;
  deployments: Informer;
  statefulSets: Informer;
  replicationControllers: Informer;
}

export class DisruptionController extends QueueController {
  constructor(
    private readonly client: RestClient,
    private readonly pdbs: Informer,
    private readonly pods: Informer,
    private readonly scales: ScaleSources,
    log: (msg: string, extra?: Record<string, unknown>) => void,
  ) {
    super({ failed: 'disruption sync failed', keyField: 'pdb', workers: 2, baseDelayMs: 100, maxDelayMs: 60_000, log });
    pdbs.addHandlers(onEveryChange(this.enqueue));
    const podChanged = (p: KubeObject) => this.enqueueFor(p);
    pods.addHandlers({
      onAdd: podChanged,
      onUpdate: (o, n) => {
        this.enqueueFor(n);
        if (JSON.stringify(o.metadata.labels) !== JSON.stringify(n.metadata.labels)) this.enqueueFor(o);
      },
      onDelete: podChanged,
    });
    // a scale change moves expectedPods of every budget in the namespace; budgets are few
    const nsChanged = (o: KubeObject) => {
      for (const pdb of this.pdbs.list(o.metadata.namespace)) this.enqueue(pdb);
    };
    for (const inf of Object.values(scales) as Informer[]) inf.addHandlers(onEveryChange(nsChanged));
  }

  private enqueueFor(pod: KubeObject): void {
    for (const pdb of this.pdbs.list(pod.metadata.namespace)) {
      if (selectorOf(pdb).matches(pod.metadata.labels ?? {})) this.enqueue(pdb);
    }
  }

  protected override async sync(key: string): Promise<void> {
    const pdb = this.pdbs.get(key);
    if (!pdb) return;
    const sel = selectorOf(pdb);
    const pods = this.pods.list(pdb.metadata.namespace).filter((p) => sel.matches(p.metadata.labels ?? {}));
    let budget: Budget;
    try {
      budget = computeBudget(pdb, pods, () => this.expectedScale(pods));
    } catch (e) {
      if (!(e instanceof BudgetError)) throw e;
      // fail safe, as upstream: no disruptions while the budget cannot be computed
      // observedGeneration stays: this generation has not been computed
      const observed = statusOf(pdb).observedGeneration ?? 0;
      await this.writeStatus(pdb, { disruptionsAllowed: 0, observedGeneration: observed }, disruptionCondition(statusOf(pdb).conditions, false, 'SyncFailed', observed, e.message));
      return;
    }
    const allowed = budget.disruptionsAllowed > 0;
    const condition = disruptionCondition(statusOf(pdb).conditions, allowed, allowed ? 'SufficientPods' : 'InsufficientPods', generationOf(pdb));
    await this.writeStatus(
      pdb,
      {
        disruptionsAllowed: budget.disruptionsAllowed,
        currentHealthy: budget.currentHealthy,
        desiredHealthy: budget.desiredHealthy,
        expectedPods: budget.expectedPods,
        disruptedPods: Object.keys(budget.disruptedPods).length ? budget.disruptedPods : undefined,
      },
      condition,
    );
    if (budget.recheckAt !== undefined) this.queue.addAfter(key, Math.max(0, budget.recheckAt - Date.now()) + 50);
  }

  /** Sum of the replicas of the pods' controllers (a ReplicaSet counts as its Deployment). */
  private expectedScale(pods: KubeObject[]): number {
    const scales = new Map<string, number>();
    for (const pod of pods) {
      const ref = controllerOf(pod);
      if (!ref) continue; // unmanaged pods add nothing, as upstream (it only warns)
      const found = this.scaleOf(pod.metadata.namespace!, ref);
      if (!found) throw new BudgetError(`found no controllers for pod "${pod.metadata.name}"`);
      scales.set(found.uid, found.replicas);
    }
    let sum = 0;
    for (const n of scales.values()) sum += n;
    return sum;
  }

  private scaleOf(ns: string, ref: Obj): { uid: string; replicas: number } | undefined {
    const lookup = (inf: Informer): KubeObject | undefined => {
      const o = inf.get(`${ns}/${ref.name}`);
      return o && o.metadata.uid === ref.uid ? o : undefined;
    };
    const replicas = (o: KubeObject) => ({ uid: o.metadata.uid!, replicas: ((o.spec as Obj)?.replicas as number | undefined) ?? 1 });
    if (ref.kind === 'ReplicaSet' && ref.apiVersion?.startsWith('apps/')) {
      const rs = lookup(this.scales.replicaSets);
      if (!rs) return undefined;
      const owner = controllerOf(rs);
      if (owner?.kind === 'Deployment') {
        const d = lookup2(this.scales.deployments, ns, owner);
        return d ? replicas(d) : undefined;
      }
      return replicas(rs);
    }
    if (ref.kind === 'StatefulSet') {
      const s = lookup(this.scales.statefulSets);
      return s ? replicas(s) : undefined;
    }
    if (ref.kind === 'ReplicationController' && ref.apiVersion === 'v1') {
      const rc = lookup(this.scales.replicationControllers);
      return rc ? replicas(rc) : undefined;
    }
    return undefined;
  }

  private async writeStatus(pdb: KubeObject, fields: Obj, condition: Obj): Promise<void> {
    const old = statusOf(pdb);
    const conditions = [...(old.conditions ?? []).filter((c: Obj) => c.type !== 'DisruptionAllowed'), condition];
    const status: Obj = { ...old, observedGeneration: generationOf(pdb), ...fields, conditions };
    for (const k of Object.keys(status)) if (status[k] === undefined) delete status[k];
    if (JSON.stringify(status) === JSON.stringify(old)) return;
    // the resourceVersion guards against overwriting an eviction's decrement: a conflict requeues
    await this.client.update(PDBS, { ...pdb, apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', status }, 'status').catch((e) => {
      if ((e as { code?: number }).code === 404) return;
      throw e;
    });
  }
}

function lookup2(inf: Informer, ns: string, ref: Obj): KubeObject | undefined {
  const o = inf.get(`${ns}/${ref.name}`);
  return o && o.metadata.uid === ref.uid ? o : undefined;
}

function controllerOf(o: KubeObject): Obj | undefined {
  return (o.metadata.ownerReferences ?? []).find((r: Obj) => r.controller === true) as Obj | undefined;
}

function selectorOf(pdb: KubeObject): Selector {
  try {
    return selectorFromLabelSelector((pdb.spec as Obj | undefined)?.selector);
  } catch {
    return nothing;
  }
}

function statusOf(pdb: KubeObject): Obj {
  return (pdb.status ?? {}) as Obj;
}

function generationOf(pdb: KubeObject): number {
  return pdb.metadata.generation ?? 0;
}
