// Node lifecycle, as upstream's: a node whose Lease stops being renewed for the
// grace period becomes Ready=Unknown and gets the unreachable NoExecute taint;
// pods there that do not tolerate it are evicted after their
// tolerationSeconds, so their controllers recreate them elsewhere. A node that
// renews again loses the taint (the kubelet reports Ready itself).
// Conditions become NoSchedule taints (upstream's TaintNodesByCondition):
// MemoryPressure, DiskPressure and PIDPressure True put
// node.kubernetes.io/{memory,disk,pid}-pressure on the node while they last.
import type { KubeObject } from '../../api/object.js';
import { metaTime } from '../../api/object.js';
import { EventRecorder } from '../../client/event-recorder.js';
import type { Informer } from '../../client/informer.js';
import type { ResourceRef, RestClient } from '../../client/rest-client.js';
import { PODS_REF } from '../replicaset/replicaset-controller.js';

type Obj = Record<string, any>;

export const LEASES: ResourceRef = { group: 'coordination.k8s.io', version: 'v1', plural: 'leases', namespaced: true };
const NODES: ResourceRef = { group: '', version: 'v1', plural: 'nodes', namespaced: false };
const UNREACHABLE = 'node.kubernetes.io/unreachable';
/** condition (when True) → the NoSchedule taint it sets */
const CONDITION_TAINTS: Record<string, string> = {
  MemoryPressure: 'node.kubernetes.io/memory-pressure',
  DiskPressure: 'node.kubernetes.io/disk-pressure',
  PIDPressure: 'node.kubernetes.io/pid-pressure',
};
const CONDITION_TAINT_KEYS = new Set(Object.values(CONDITION_TAINTS));

/** The node's taints with the condition taints made to match its conditions; undefined when they already do. */
export function conditionTaints(node: KubeObject): Obj[] | undefined {
  const taints = (((node.spec as Obj)?.taints ?? []) as Obj[]);
  const want = ((((node.status as Obj)?.conditions ?? []) as Obj[]))
    .filter((c) => c.status === 'True' && CONDITION_TAINTS[c.type])
    .map((c) => CONDITION_TAINTS[c.type]!)
    .sort();
  const have = taints.filter((t) => CONDITION_TAINT_KEYS.has(t.key) && t.effect === 'NoSchedule').map((t) => t.key as string).sort();
  if (want.join() === have.join()) return undefined;
  const kept = taints.filter((t) => !(CONDITION_TAINT_KEYS.has(t.key) && t.effect === 'NoSchedule'));
  return [...kept, ...want.map((key) => ({ key, effect: 'NoSchedule' }))];
}

export interface NodeLifecycleOptions {
  /** how long a silent node stays Ready (upstream's node-monitor-grace-period, 40 s) */
  gracePeriodSeconds: number;
  /** how often nodes are checked */
  periodMs: number;
}

function tolerationSeconds(pod: KubeObject): number | undefined | 'forever' {
  const t = (((pod.spec as Obj)?.tolerations ?? []) as Obj[]).find((x) => (x.key === UNREACHABLE || (x.operator === 'Exists' && !x.key)) && (!x.effect || x.effect === 'NoExecute'));
  if (!t) return undefined;
  return t.tolerationSeconds === undefined ? 'forever' : t.tolerationSeconds;
}

export class NodeLifecycleController {
  private timer?: NodeJS.Timeout;
  private readonly recorder: EventRecorder;
  private readonly taintedAt = new Map<string, number>();
  private running = false;

  constructor(
    private readonly client: RestClient,
    private readonly nodes: Informer,
    private readonly leases: Informer,
    private readonly pods: Informer,
    private readonly opts: NodeLifecycleOptions,
    private readonly log: (msg: string, extra?: Record<string, unknown>) => void,
  ) {
    this.recorder = new EventRecorder(client, { component: 'node-controller' });
  }

  run(): void {
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = true;
      this.monitor()
        .catch((e) => this.log('node monitor failed', { error: String(e) }))
        .finally(() => (this.running = false));
    }, this.opts.periodMs);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
  }

  private async monitor(): Promise<void> {
    const now = Date.now();
    for (const node of this.nodes.list()) {
      const name = node.metadata.name!;
      const lease = this.leases.get(`kube-node-lease/${name}`);
      const renewed = lease ? Date.parse(((lease.spec as Obj)?.renewTime as string) ?? '') : Date.parse(node.metadata.creationTimestamp ?? '');
      const silent = Number.isFinite(renewed) && now - renewed > this.opts.gracePeriodSeconds * 1000;
      const taints = (((node.spec as Obj)?.taints ?? []) as Obj[]);
      const tainted = taints.some((t) => t.key === UNREACHABLE);
      if (silent && !tainted) await this.markUnreachable(node);
      else if (!silent && tainted) await this.markReachable(node);
      if (silent) await this.evict(name, now);
      else this.taintedAt.delete(name);
      if (conditionTaints(node)) await this.syncConditionTaints(name);
    }
  }

  /** Read fresh and write with its resourceVersion, so a taint set meanwhile by anyone is kept (409: next pass). */
  private async syncConditionTaints(name: string): Promise<void> {
    const fresh = await this.client.get<KubeObject>(NODES, undefined, name);
    const taints = conditionTaints(fresh);
    if (!taints) return;
    await this.client.update(NODES, { ...fresh, spec: { ...(fresh.spec as Obj), taints: taints.length ? taints : undefined } }).catch((e) => {
      if ((e as { code?: number }).code !== 409) throw e;
    });
    this.log('node condition taints', { node: name, taints: taints.map((t) => t.key) });
  }

  private async markUnreachable(node: KubeObject): Promise<void> {
    const name = node.metadata.name!;
    const now = metaTime();
    const conditions = ((((node.status as Obj)?.conditions ?? []) as Obj[])).map((c) =>
      ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure'].includes(c.type) ? { ...c, status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.', lastTransitionTime: c.status === 'Unknown' ? c.lastTransitionTime : now } : c,
    );
    await this.client.update(NODES, { ...node, status: { ...(node.status as Obj), conditions } }, 'status').catch(() => {});
    const fresh = await this.client.get<KubeObject>(NODES, undefined, name);
    const taints = [...(((fresh.spec as Obj)?.taints ?? []) as Obj[]).filter((t) => t.key !== UNREACHABLE), { key: UNREACHABLE, effect: 'NoExecute', timeAdded: now }];
    await this.client.patch(NODES, undefined, name, { spec: { taints } });
    this.taintedAt.set(name, Date.now());
    this.recorder.event({ ...node, apiVersion: 'v1', kind: 'Node' }, 'Normal', 'NodeNotReady', `Node ${name} status is now: NodeNotReady`);
    this.log('node unreachable', { node: name });
  }

  private async markReachable(node: KubeObject): Promise<void> {
    const taints = (((node.spec as Obj)?.taints ?? []) as Obj[]).filter((t) => t.key !== UNREACHABLE);
    await this.client.patch(NODES, undefined, node.metadata.name!, { spec: { taints: taints.length ? taints : null } });
    this.log('node reachable again', { node: node.metadata.name });
  }

  /** Deletes the pods on a silent node once their toleration of it runs out. */
  private async evict(node: string, now: number): Promise<void> {
    const since = this.taintedAt.get(node) ?? now;
    for (const pod of this.pods.list()) {
      if ((pod.spec as Obj)?.nodeName !== node || pod.metadata.deletionTimestamp) continue;
      const tol = tolerationSeconds(pod);
      if (tol === 'forever') continue;
      if (tol !== undefined && now - since < tol * 1000) continue;
      await this.client.delete(PODS_REF, pod.metadata.namespace, pod.metadata.name!, { preconditions: { uid: pod.metadata.uid } }).catch(() => {});
      this.recorder.event({ ...pod, apiVersion: 'v1', kind: 'Pod' }, 'Normal', 'TaintManagerEviction', `Marking for deletion Pod ${pod.metadata.namespace}/${pod.metadata.name}`);
    }
  }
}
