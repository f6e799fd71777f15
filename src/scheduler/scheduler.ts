// The scheduler: pods without a node come off a priority queue one at a time; a
// cycle (framework.ts) picks a node from the cache's view, the pod is assumed
// there at once and bound through pods/binding in the background, so the next
// cycle starts without waiting for the API. When a pod fits nowhere it may
// preempt lower-priority pods (preemption.ts); else it gets PodScheduled=False
// and a FailedScheduling event saying why, and waits for a cluster event.
import type { KubeObject } from '../api/object.js';
import { metaTime } from '../api/object.js';
import { EventRecorder } from '../client/event-recorder.js';
import { keyOf, type Informer } from '../client/informer.js';
import type { ResourceRef, RestClient } from '../client/rest-client.js';
import { SchedulerCache } from './cache.js';
import { EventPacer } from './event-pacer.js';
import { fitErrorMessage, schedulePod, type CycleOptions } from './framework.js';
import { findPreemption, podPriority, type Candidate } from './preemption.js';
import type { ScoringStrategy } from './scores.js';
import { SchedulingQueue, type QueuedPod } from './scheduling-queue.js';
import { systemDefaultConstraints, type SpreadOwners } from './default-spread.js';
import type { SpreadConstraint } from './topology-spread.js';
import { isTerminalPod } from '../api/kinds/pod-phase.js';

type Obj = Record<string, any>;

export const PODS: ResourceRef = { group: '', version: 'v1', plural: 'pods', namespaced: true };
export const NODES: ResourceRef = { group: '', version: 'v1', plural: 'nodes', namespaced: false };
export const NAMESPACES: ResourceRef = { group: '', version: 'v1', plural: 'namespaces', namespaced: false };

export const SCHEDULER_NAME = 'default-scheduler';
// bindings in flight at once: enough to hide the API's latency, few enough not to swamp it
const MAX_BINDING = 64;

function needsScheduling(p: KubeObject): boolean {
  const spec = (p.spec ?? {}) as Obj;
  return !spec.nodeName && !p.metadata.deletionTimestamp && (spec.schedulerName ?? SCHEDULER_NAME) === SCHEDULER_NAME;
}

export interface SchedulerOptions {
  scoring?: ScoringStrategy;
  percentageOfNodesToScore?: number;
  /** Services and controllers, for PodTopologySpread's system defaults; none: no defaults */
  owners?: SpreadOwners;
}

export class Scheduler {
  private readonly queue = new SchedulingQueue();
  private readonly cache = new SchedulerCache();
  private readonly recorder: EventRecorder;
  private readonly binding = new Set<Promise<void>>();
  private readonly scheduledEvents = new EventPacer();
  private readonly cycle: CycleOptions;
  private startIndex = 0;
  private readonly defaultSpread?: (pod: KubeObject) => SpreadConstraint[];
  private loop?: Promise<void>;

  constructor(
    private readonly client: RestClient,
    private readonly pods: Informer,
    nodes: Informer,
    private readonly log: (msg: string, extra?: Record<string, unknown>) => void,
    private readonly namespaces?: Informer,
    opts: SchedulerOptions = {},
  ) {
    this.cycle = { strategy: opts.scoring ?? 'LeastAllocated', percentageOfNodesToScore: opts.percentageOfNodesToScore };
    const owners = opts.owners;
    if (owners) this.defaultSpread = (pod) => systemDefaultConstraints(pod, owners);
    this.recorder = new EventRecorder(client, { component: SCHEDULER_NAME }, (e) => log('event not recorded', { error: String(e) }));
    pods.addHandlers({ onAdd: (p) => this.onPod(undefined, p), onUpdate: (o, n) => this.onPod(o, n), onDelete: (p) => this.onPodDelete(p) });
    nodes.addHandlers({
      onAdd: (n) => this.onNode(n),
      onUpdate: (o, n) => this.onNode(n, o),
      onDelete: (n) => this.cache.removeNode(n.metadata.name!),
    });
  }

  private onPod(old: KubeObject | undefined, p: KubeObject): void {
    const key = keyOf(p);
    const node = (p.spec as Obj | undefined)?.nodeName as string | undefined;
    this.cache.nominate(key, p, node || p.metadata.deletionTimestamp ? undefined : (p.status as Obj | undefined)?.nominatedNodeName);
    if (node) {
      this.queue.delete(key);
      if (isTerminalPod(p)) {
        this.cache.removePod(key);
        this.queue.moveAllToActive();
      } else {
        const placedNow = this.cache.placement(key) === undefined || this.cache.isAssumed(key);
        this.cache.addPod(key, p, node, false);
        if (placedNow) this.queue.movePodsWaitingOnPods();
      }
      return;
    }
    if (!needsScheduling(p)) {
      this.queue.delete(key);
      return;
    }
    if (this.cache.isAssumed(key)) return; // our binding is on its way
    // a status-only change (our own PodScheduled condition) is no reason to try again
    if (old && this.queue.has(key) && JSON.stringify(old.spec) === JSON.stringify(p.spec) && JSON.stringify(old.metadata.labels) === JSON.stringify(p.metadata.labels)) return;
    this.queue.add(key, podPriority(p));
  }

  private onPodDelete(p: KubeObject): void {
    const key = keyOf(p);
    this.cache.nominate(key, p, undefined);
    this.queue.delete(key);
    if (this.cache.placement(key) !== undefined) {
      this.cache.removePod(key);
      this.queue.moveAllToActive();
    }
  }

  private onNode(n: KubeObject, old?: KubeObject): void {
    this.cache.setNode(n);
    // heartbeats alone change nothing a filter looks at
    if (old && JSON.stringify(old.spec) === JSON.stringify(n.spec) && JSON.stringify(old.metadata.labels) === JSON.stringify(n.metadata.labels) && JSON.stringify((old.status as Obj | undefined)?.allocatable) === JSON.stringify((n.status as Obj | undefined)?.allocatable) && readyOf(old) === readyOf(n)) return;
    this.queue.moveAllToActive();
  }

  run(): void {
    this.loop = this.work();
  }

  async stop(): Promise<void> {
    this.queue.close();
    await this.loop;
    await Promise.allSettled([...this.binding]);
  }

  private async work(): Promise<void> {
    for (;;) {
      const qp = await this.queue.pop();
      if (!qp) return;
      try {
        await this.scheduleOne(qp);
      } catch (e) {
        this.log('scheduling failed', { pod: qp.key, error: String(e) });
        this.queue.retry(qp);
      }
    }
  }

  private nsLabels = (ns: string): Record<string, string> | undefined => this.namespaces?.get(ns)?.metadata.labels;

  private async scheduleOne(qp: QueuedPod): Promise<void> {
    const pod = this.pods.get(qp.key);
    if (!pod || !needsScheduling(pod) || this.cache.isAssumed(qp.key)) {
      this.queue.done(qp);
      return;
    }
    const view = this.cache.view(this.nsLabels);
    if (this.defaultSpread) view.defaultSpread = this.defaultSpread;
    const r = schedulePod(pod, view, { ...this.cycle, startIndex: this.startIndex });
    this.startIndex = view.nodes.length ? (this.startIndex + r.processed) % view.nodes.length : 0;
    if (r.node) {
      const node = r.node.node.metadata.name!;
      this.cache.addPod(qp.key, pod, node, true);
      this.queue.done(qp);
      const b = this.bind(pod, node, qp).finally(() => this.binding.delete(b));
      this.binding.add(b);
      if (this.binding.size >= MAX_BINDING) await Promise.race(this.binding);
      return;
    }
    // upstream's ErrNoNodesAvailable when the cluster has no nodes at all
    const fit = view.nodes.length ? fitErrorMessage(view.nodes.length, r.rejected) : 'no nodes available to schedule pods';
    const pre = view.nodes.length ? findPreemption(pod, view, r.rejected, r.state) : { message: '' };
    this.queue.unschedulableNow(qp, [...r.rejected.values()].some(waitsOnPods));
    if (pre.candidate) {
      await this.preempt(pod, pre.candidate);
      await this.markUnschedulable(pod, fit);
    } else await this.markUnschedulable(pod, `${fit}${pre.message ? ` ${pre.message}` : ''}`);
  }

  private async bind(pod: KubeObject, node: string, qp: QueuedPod): Promise<void> {
    const key = qp.key;
    try {
      await this.client.request('POST', `/api/v1/namespaces/${encodeURIComponent(pod.metadata.namespace!)}/pods/${encodeURIComponent(pod.metadata.name!)}/binding`, {
        apiVersion: 'v1',
        kind: 'Binding',
        metadata: { name: pod.metadata.name, namespace: pod.metadata.namespace, uid: pod.metadata.uid },
        target: { apiVersion: 'v1', kind: 'Node', name: node },
      });
    } catch (e) {
      if (this.cache.isAssumed(key)) this.cache.removePod(key);
      const code = (e as { code?: number }).code;
      if (code === 404) return;
      this.log('binding failed', { pod: key, node, error: String(e) });
      // 409: bound meanwhile (the watch will say so) or changed; else try again
      if (code !== 409 && this.pods.get(key)) this.queue.retry(qp);
      return;
    }
    this.scheduledEvents.add(() => this.recorder.eventAndWait({ ...pod, apiVersion: 'v1', kind: 'Pod' }, 'Normal', 'Scheduled', `Successfully assigned ${pod.metadata.namespace}/${pod.metadata.name} to ${node}`));
  }

  /** Victims are deleted gracefully with a DisruptionTarget condition and a Preempted event; the preemptor is nominated to the node. */
  private async preempt(pod: KubeObject, c: Candidate): Promise<void> {
    const node = c.node.node.metadata.name!;
    for (const v of c.victims) {
      if (v.metadata.deletionTimestamp) continue;
      const path = `/api/v1/namespaces/${encodeURIComponent(v.metadata.namespace!)}/pods/${encodeURIComponent(v.metadata.name!)}`;
      const condition = { type: 'DisruptionTarget', status: 'True', reason: 'PreemptionByScheduler', message: `${SCHEDULER_NAME}: preempting to accommodate a higher priority pod`, lastTransitionTime: metaTime() };
      await this.client.request('PATCH', `${path}/status`, { status: { conditions: [condition] } }, 'application/strategic-merge-patch+json').catch((e) => this.log('victim condition not set', { pod: keyOf(v), error: String(e) }));
      this.recorder.event({ ...v, apiVersion: 'v1', kind: 'Pod' }, 'Normal', 'Preempted', `Preempted by pod ${pod.metadata.uid} on node ${node}`);
      await this.client.request('DELETE', path, { apiVersion: 'v1', kind: 'DeleteOptions', preconditions: { uid: v.metadata.uid } }).catch((e) => {
        if ((e as { code?: number }).code !== 404) throw e;
      });
    }
    const nominate = async (p: KubeObject, value: string | null) => {
      const path = `/api/v1/namespaces/${encodeURIComponent(p.metadata.namespace!)}/pods/${encodeURIComponent(p.metadata.name!)}/status`;
      await this.client.request('PATCH', path, { status: { nominatedNodeName: value } }, 'application/merge-patch+json').catch((e) => {
        if (![404, 409].includes((e as { code?: number }).code ?? 0)) throw e;
      });
    };
    await nominate(pod, node);
    // lower-priority pods nominated there lose the claim, as upstream: this pod takes the room
    for (const other of this.cache.nominated().get(node) ?? []) {
      if (other.metadata.uid !== pod.metadata.uid && podPriority(other) < podPriority(pod)) await nominate(other, null);
    }
  }

  private async markUnschedulable(pod: KubeObject, message: string): Promise<void> {
    this.recorder.event({ ...pod, apiVersion: 'v1', kind: 'Pod' }, 'Warning', 'FailedScheduling', message);
    const prev = (((pod.status as Obj | undefined)?.conditions ?? []) as Obj[]).find((c) => c.type === 'PodScheduled');
    if (prev?.status === 'False' && prev.message === message) return;
    const condition = { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message, lastProbeTime: null, lastTransitionTime: prev?.status === 'False' ? prev.lastTransitionTime : metaTime() };
    const path = `/api/v1/namespaces/${encodeURIComponent(pod.metadata.namespace!)}/pods/${encodeURIComponent(pod.metadata.name!)}/status`;
    await this.client.request('PATCH', path, { status: { conditions: [condition] } }, 'application/strategic-merge-patch+json').catch((e) => {
      if (![404, 409].includes((e as { code?: number }).code ?? 0)) throw e;
    });
  }
}

function waitsOnPods(reason: string): boolean {
  return reason.includes('pod affinity') || reason.includes('pod anti-affinity') || reason.includes('anti-affinity rules') || reason.includes('topology spread');
}

function readyOf(n: KubeObject): string | undefined {
  return (((n.status as Obj | undefined)?.conditions ?? []) as Obj[]).find((c) => c.type === 'Ready')?.status;
}
