// The scheduler: pods without a node are placed on a feasible node (filters),
// the best by score, and bound through pods/binding; when none fits, the pod
// gets PodScheduled=False and a FailedScheduling event saying why, and is
// retried when nodes or pods change.
import type { KubeObject } from '../api/object.js';
import { metaTime } from '../api/object.js';
import { EventRecorder } from '../client/event-recorder.js';
import { keyOf, type Informer } from '../client/informer.js';
import type { ResourceRef, RestClient } from '../client/rest-client.js';
import { runWorkers, WorkQueue } from '../client/workqueue.js';
import { score, unfitReason, type NodeInfo } from './fit.js';

type Obj = Record<string, any>;

export const PODS: ResourceRef = { group: '', version: 'v1', plural: 'pods', namespaced: true };
export const NODES: ResourceRef = { group: '', version: 'v1', plural: 'nodes', namespaced: false };

function needsScheduling(p: KubeObject): boolean {
  const spec = (p.spec ?? {}) as Obj;
  return !spec.nodeName && !p.metadata.deletionTimestamp && (spec.schedulerName ?? 'default-scheduler') === 'default-scheduler';
}

function active(p: KubeObject): boolean {
  const phase = (p.status as Obj | undefined)?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed';
}

export class Scheduler {
  private readonly queue = new WorkQueue(1000, 60_000);
  /** pods bound by us whose update has not come back through the watch yet */
  private readonly assumed = new Map<string, { node: string; pod: KubeObject }>();
  private readonly unschedulable = new Set<string>();
  private readonly recorder: EventRecorder;
  private workers?: Promise<void[]>;

  constructor(
    private readonly client: RestClient,
    private readonly pods: Informer,
    private readonly nodes: Informer,
    private readonly log: (msg: string, extra?: Record<string, unknown>) => void,
  ) {
    this.recorder = new EventRecorder(client, { component: 'default-scheduler' }, (e) => log('event not recorded', { error: String(e) }));
    const onPod = (p: KubeObject) => {
      const key = keyOf(p);
      if (needsScheduling(p)) this.queue.add(key);
      else {
        this.assumed.delete(key);
        this.unschedulable.delete(key);
        // capacity may have been freed: try the waiting ones again
        if (!active(p)) this.retryUnschedulable();
      }
    };
    pods.addHandlers({ onAdd: onPod, onUpdate: (_o, n) => onPod(n), onDelete: () => this.retryUnschedulable() });
    nodes.addHandlers({ onAdd: () => this.retryUnschedulable(), onUpdate: () => this.retryUnschedulable() });
  }

  private retryUnschedulable(): void {
    for (const k of this.unschedulable) this.queue.add(k);
  }

  run(workers = 1): void {
    // one worker: decisions see each other's assumed pods
    this.workers = runWorkers(this.queue, workers, (k) => this.schedule(k), (k, e) => this.log('scheduling failed', { pod: k, error: String(e) }));
  }

  async stop(): Promise<void> {
    this.queue.shutDown();
    await this.workers;
  }

  private nodeInfos(): NodeInfo[] {
    const byNode = new Map<string, KubeObject[]>();
    for (const p of this.pods.list()) {
      const n = (p.spec as Obj)?.nodeName;
      if (!n || !active(p)) continue;
      if (!byNode.has(n)) byNode.set(n, []);
      byNode.get(n)!.push(p);
    }
    for (const [key, a] of this.assumed) {
      if ((this.pods.get(key)?.spec as Obj | undefined)?.nodeName) continue;
      if (!byNode.has(a.node)) byNode.set(a.node, []);
      byNode.get(a.node)!.push(a.pod);
    }
    return this.nodes.list().map((node) => ({ node, pods: byNode.get(node.metadata.name!) ?? [] }));
  }

  private async schedule(key: string): Promise<void> {
    const pod = this.pods.get(key);
    if (!pod || !needsScheduling(pod) || this.assumed.has(key)) return;
    const infos = this.nodeInfos();
    const reasons = new Map<string, number>();
    let best: { info: NodeInfo; score: number } | undefined;
    for (const info of infos) {
      const why = unfitReason(pod, info);
      if (why) {
        reasons.set(why, (reasons.get(why) ?? 0) + 1);
        continue;
      }
      const s = score(pod, info);
      if (!best || s > best.score) best = { info, score: s };
    }
    if (!best) {
      const detail = [...reasons].sort((a, b) => a[0].localeCompare(b[0])).map(([r, n]) => `${n} ${r}`).join(', ');
      const message = `0/${infos.length} nodes are available${detail ? `: ${detail}` : ''}. preemption: 0/${infos.length} nodes are available: ${infos.length} Preemption is not helpful for scheduling.`;
      this.unschedulable.add(key);
      await this.markUnschedulable(pod, message);
      return;
    }
    const node = best.info.node.metadata.name!;
    this.assumed.set(key, { node, pod });
    try {
      await this.client.request('POST', `/api/v1/namespaces/${encodeURIComponent(pod.metadata.namespace!)}/pods/${encodeURIComponent(pod.metadata.name!)}/binding`, {
        apiVersion: 'v1',
        kind: 'Binding',
        metadata: { name: pod.metadata.name, namespace: pod.metadata.namespace, uid: pod.metadata.uid },
        target: { apiVersion: 'v1', kind: 'Node', name: node },
      });
    } catch (e) {
      this.assumed.delete(key);
      if ((e as { code?: number }).code === 404) return;
      throw e;
    }
    this.unschedulable.delete(key);
    this.recorder.event({ ...pod, apiVersion: 'v1', kind: 'Pod' }, 'Normal', 'Scheduled', `Successfully assigned ${pod.metadata.namespace}/${pod.metadata.name} to ${node}`);
  }

  private async markUnschedulable(pod: KubeObject, message: string): Promise<void> {
    this.recorder.event({ ...pod, apiVersion: 'v1', kind: 'Pod' }, 'Warning', 'FailedScheduling', message);
    const status = { ...((pod.status as Obj) ?? {}) };
    const conditions = ((status.conditions ?? []) as Obj[]).filter((c) => c.type !== 'PodScheduled');
    const prev = ((status.conditions ?? []) as Obj[]).find((c) => c.type === 'PodScheduled');
    if (prev?.status === 'False' && prev.message === message) return;
    conditions.push({ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message, lastProbeTime: null, lastTransitionTime: prev?.status === 'False' ? prev.lastTransitionTime : metaTime() });
    status.conditions = conditions;
    await this.client.update(PODS, { ...pod, status }, 'status').catch((e) => {
      if (![404, 409].includes((e as { code?: number }).code ?? 0)) throw e;
    });
  }
}
