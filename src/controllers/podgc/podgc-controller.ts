// The pod garbage collector, as upstream's pkg/controller/podgc: every period
// it force-deletes what no kubelet will ever finish:
// - pods bound to a Node that no longer exists (after a quarantine, and after
//   asking the API server, since the cache may lag), first marked Failed with a
//   DisruptionTarget condition (reason DeletionByPodGC);
// - pods being deleted that were never scheduled;
// - finished pods beyond the terminated-pod threshold, oldest first.
import type { KubeObject } from '../../api/object.js';
import type { Informer } from '../../client/informer.js';
import type { ResourceRef, RestClient } from '../../client/rest-client.js';
import { isTerminalPod } from '../../api/kinds/pod-phase.js';
import { planPodGc, type PodGcOptions } from './podgc-plan.js';

const PODS: ResourceRef = { group: '', version: 'v1', plural: 'pods', namespaced: true };
const NODES: ResourceRef = { group: '', version: 'v1', plural: 'nodes', namespaced: false };

type Obj = Record<string, any>;

export interface PodGcControllerOptions extends PodGcOptions {
  /** how often to look (upstream's gcCheckPeriod: 20 s) */
  periodMs: number;
}

export function podGcOptionsFromEnv(): PodGcControllerOptions {
  return {
    periodMs: Number(process.env.SKIFF_PODGC_PERIOD_MS) || 20_000,
    quarantineMs: Number(process.env.SKIFF_PODGC_QUARANTINE_MS) || 40_000,
    terminatedThreshold: Number(process.env.SKIFF_TERMINATED_POD_GC_THRESHOLD) || 12_500,
  };
}

export class PodGcController {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  /** node name -> when the cache first lacked it */
  private readonly missingSince = new Map<string, number>();

  constructor(
    private readonly client: RestClient,
    private readonly pods: Informer,
    private readonly nodes: Informer,
    private readonly log: (msg: string, extra?: Record<string, unknown>) => void,
    private readonly opts: PodGcControllerOptions = podGcOptionsFromEnv(),
  ) {}

  run(): void {
    this.timer = setInterval(() => {
      if (this.running || !this.pods.hasSynced() || !this.nodes.hasSynced()) return;
      this.running = this.gc()
        .catch((e) => this.log('pod gc failed', { error: String(e) }))
        .finally(() => (this.running = undefined));
    }, this.opts.periodMs);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  /** One pass; exported behaviour lives in podgc-plan.ts, this does the API calls. */
  async gc(now = Date.now()): Promise<void> {
    const nodeNames = new Set(this.nodes.list().map((n) => n.metadata.name!));
    const plan = planPodGc(this.pods.list(), nodeNames, this.missingSince, now, this.opts);
    for (const pod of plan.terminated) await this.forceDelete(pod, 'terminated pod over the threshold');
    for (const pod of plan.unscheduledTerminating) await this.forceDelete(pod, 'unscheduled terminating pod');
    for (const [node, pods] of plan.orphanedByNode) {
      // the cache may be behind: only a 404 from the API server proves the node is gone
      if (await this.nodeExists(node)) {
        this.missingSince.delete(node);
        continue;
      }
      for (const pod of pods) {
        await this.markFailed(pod);
        await this.forceDelete(pod, `orphaned pod: node ${node} no longer exists`);
      }
    }
  }

  private async nodeExists(name: string): Promise<boolean> {
    try {
      await this.client.get(NODES, undefined, name);
      return true;
    } catch (e) {
      if ((e as { code?: number }).code === 404) return false;
      throw e;
    }
  }

  /** Failed with a DisruptionTarget condition, as upstream, so Jobs' podFailurePolicy can see why. */
  private async markFailed(pod: KubeObject): Promise<void> {
    if (isTerminalPod(pod)) return;
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const conditions = (((pod.status as Obj)?.conditions ?? []) as Obj[]).filter((c) => c.type !== 'DisruptionTarget');
    conditions.push({ type: 'DisruptionTarget', status: 'True', reason: 'DeletionByPodGC', message: 'PodGC: node no longer exists', lastTransitionTime: now });
    try {
      await this.client.update(PODS, { ...pod, status: { ...(pod.status as Obj), phase: 'Failed', conditions } }, 'status');
    } catch (e) {
      // gone or changed meanwhile: the delete below still applies (its uid precondition guards it)
      if (![404, 409].includes((e as { code?: number }).code ?? 0)) throw e;
    }
  }

  private async forceDelete(pod: KubeObject, why: string): Promise<void> {
    this.log('pod gc: deleting', { pod: `${pod.metadata.namespace}/${pod.metadata.name}`, why });
    await this.client.delete(PODS, pod.metadata.namespace, pod.metadata.name!, { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid } }).catch((e) => {
      if (![404, 409].includes((e as { code?: number }).code ?? 0)) throw e;
    });
  }
}
