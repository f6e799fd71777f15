// The Job controller, as upstream's: run pods (at most parallelism at a time)
// until completions succeed, count failures against backoffLimit, honour
// activeDeadlineSeconds, Indexed completion mode, and write the Complete or
// Failed condition with startTime/completionTime.
import type { KubeObject, OwnerReference } from '../../api/object.js';
import { metaTime } from '../../api/object.js';
import { EventRecorder } from '../../client/event-recorder.js';
import { keyOf, type Informer } from '../../client/informer.js';
import type { ResourceRef, RestClient } from '../../client/rest-client.js';
import { runWorkers, WorkQueue } from '../../client/workqueue.js';
import { PODS_REF } from '../replicaset/replicaset-controller.js';

type Obj = Record<string, any>;

export const JOBS: ResourceRef = { group: 'batch', version: 'v1', plural: 'jobs', namespaced: true };
const INDEX = 'batch.kubernetes.io/job-completion-index';

function phase(p: KubeObject): string | undefined {
  return (p.status as Obj)?.phase;
}

function finished(job: KubeObject): boolean {
  return (((job.status as Obj)?.conditions ?? []) as Obj[]).some((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
}

export class JobController {
  private readonly queue = new WorkQueue(100, 60_000);
  private readonly recorder: EventRecorder;
  /** pods created and not yet seen, per job */
  private readonly pendingCreates = new Map<string, number>();
  private workers?: Promise<void[]>;

  constructor(
    private readonly client: RestClient,
    private readonly jobs: Informer,
    private readonly pods: Informer,
    private readonly log: (msg: string, extra?: Record<string, unknown>) => void,
  ) {
    this.recorder = new EventRecorder(client, { component: 'job-controller' });
    const enqueue = (j: KubeObject) => this.queue.add(keyOf(j));
    jobs.addHandlers({ onAdd: enqueue, onUpdate: (_o, n) => enqueue(n), onDelete: enqueue });
    const onPod = (p: KubeObject, added: boolean) => {
      const owner = p.metadata.ownerReferences?.find((r) => r.controller && r.kind === 'Job');
      if (!owner) return;
      const key = `${p.metadata.namespace}/${owner.name}`;
      if (added) this.pendingCreates.set(key, Math.max(0, (this.pendingCreates.get(key) ?? 0) - 1));
      this.queue.add(key);
    };
    pods.addHandlers({ onAdd: (p) => onPod(p, true), onUpdate: (_o, n) => onPod(n, false), onDelete: (p) => onPod(p, false) });
  }

  run(workers = 2): void {
    this.workers = runWorkers(this.queue, workers, (k) => this.sync(k), (k, e) => this.log('job sync failed', { job: k, error: String(e) }));
  }

  async stop(): Promise<void> {
    this.queue.shutDown();
    await this.workers;
  }

  private async sync(key: string): Promise<void> {
    const job = this.jobs.get(key);
    if (!job || job.metadata.deletionTimestamp) {
      this.pendingCreates.delete(key);
      return;
    }
    const spec = (job.spec ?? {}) as Obj;
    const pods = this.pods.list(job.metadata.namespace).filter((p) => p.metadata.ownerReferences?.some((r) => r.uid === job.metadata.uid));
    const succeededPods = pods.filter((p) => phase(p) === 'Succeeded');
    const failedPods = pods.filter((p) => phase(p) === 'Failed');
    const active = pods.filter((p) => phase(p) !== 'Succeeded' && phase(p) !== 'Failed' && !p.metadata.deletionTimestamp);
    const indexed = spec.completionMode === 'Indexed';
    const doneIndexes = new Set(succeededPods.map((p) => Number(p.metadata.annotations?.[INDEX])));
    const succeeded = indexed ? doneIndexes.size : succeededPods.length;
    // restarts in place (OnFailure) count as failures too, as upstream
    const restarts = pods.reduce((n, p) => n + (((p.status as Obj)?.containerStatuses ?? []) as Obj[]).reduce((m, c) => m + (c.restartCount ?? 0), 0), 0);
    const failed = failedPods.length + (spec.template?.spec?.restartPolicy === 'OnFailure' ? restarts : 0);
    const completions = spec.completions as number | undefined;
    const status = { ...((job.status as Obj) ?? {}) };
    status.startTime ??= metaTime();
    let condition: Obj | undefined;
    if (!finished(job)) {
      if (completions !== undefined ? succeeded >= completions : succeeded > 0 && active.length === 0) {
        condition = { type: 'Complete', status: 'True', reason: 'Completed', message: 'Reached expected number of succeeded pods' };
      } else if (failed > (spec.backoffLimit ?? 6)) {
        condition = { type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' };
      } else if (spec.activeDeadlineSeconds !== undefined && Date.now() - Date.parse(status.startTime) > spec.activeDeadlineSeconds * 1000) {
        condition = { type: 'Failed', status: 'True', reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' };
      }
    }
    if (condition || finished(job)) {
      // a finished job keeps no running pods
      for (const p of active) await this.client.delete(PODS_REF, p.metadata.namespace, p.metadata.name!).catch(() => {});
    } else if (!spec.suspend) {
      const parallelism = (spec.parallelism ?? 1) as number;
      const remaining = completions === undefined ? parallelism : completions - succeeded;
      const want = Math.max(0, Math.min(parallelism, remaining) - active.length - (this.pendingCreates.get(key) ?? 0));
      if (want > 0) await this.createPods(job, key, want, indexed ? this.freeIndexes(completions ?? 0, doneIndexes, active, want) : undefined);
      else if (spec.activeDeadlineSeconds !== undefined) this.queue.addAfter(key, 1000);
    }
    status.active = active.length || undefined;
    status.succeeded = succeeded || undefined;
    status.failed = failed || undefined;
    status.ready = active.filter((p) => (((p.status as Obj)?.conditions ?? []) as Obj[]).some((c) => c.type === 'Ready' && c.status === 'True')).length;
    if (indexed) status.completedIndexes = [...doneIndexes].sort((a, b) => a - b).join(',') || undefined;
    if (condition) {
      const now = metaTime();
      status.conditions = [...((status.conditions ?? []) as Obj[]), { ...condition, lastProbeTime: now, lastTransitionTime: now }];
      if (condition.type === 'Complete') status.completionTime = now;
      this.recorder.event({ ...job, apiVersion: 'batch/v1', kind: 'Job' }, condition.type === 'Complete' ? 'Normal' : 'Warning', condition.type === 'Complete' ? 'Completed' : condition.reason, condition.message);
    }
    for (const k of Object.keys(status)) if (status[k] === undefined) delete status[k];
    if (JSON.stringify(status) === JSON.stringify(job.status ?? {})) return;
    await this.client.update(JOBS, { ...job, status }, 'status').catch((e) => {
      if (![404, 409].includes((e as { code?: number }).code ?? 0)) throw e;
      this.queue.add(key);
    });
  }

  private freeIndexes(completions: number, done: Set<number>, active: KubeObject[], want: number): number[] {
    const running = new Set(active.map((p) => Number(p.metadata.annotations?.[INDEX])));
    const out: number[] = [];
    for (let i = 0; i < completions && out.length < want; i++) if (!done.has(i) && !running.has(i)) out.push(i);
    return out;
  }

  private async createPods(job: KubeObject, key: string, count: number, indexes?: number[]): Promise<void> {
    const template = ((job.spec as Obj).template ?? {}) as Obj;
    const owner: OwnerReference = { apiVersion: 'batch/v1', kind: 'Job', name: job.metadata.name!, uid: job.metadata.uid!, controller: true, blockOwnerDeletion: true };
    const list = indexes ?? Array.from({ length: count }, () => undefined);
    this.pendingCreates.set(key, (this.pendingCreates.get(key) ?? 0) + list.length);
    for (const index of list) {
      const spec = structuredClone(template.spec ?? {});
      if (index !== undefined) {
        for (const c of (spec.containers ?? []) as Obj[]) c.env = [...(c.env ?? []), { name: 'JOB_COMPLETION_INDEX', value: String(index) }];
      }
      try {
        const pod = await this.client.request<KubeObject>('POST', `/api/v1/namespaces/${encodeURIComponent(job.metadata.namespace!)}/pods`, {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: {
            generateName: index !== undefined ? `${job.metadata.name}-${index}-` : `${job.metadata.name}-`,
            labels: { ...(template.metadata?.labels ?? {}), ...(index !== undefined ? { [INDEX]: String(index) } : {}) },
            annotations: { ...(template.metadata?.annotations ?? {}), ...(index !== undefined ? { [INDEX]: String(index) } : {}) },
            ownerReferences: [owner],
          },
          spec,
        });
        this.recorder.event({ ...job, apiVersion: 'batch/v1', kind: 'Job' }, 'Normal', 'SuccessfulCreate', `Created pod: ${pod.metadata.name}`);
      } catch (e) {
        this.pendingCreates.set(key, Math.max(0, (this.pendingCreates.get(key) ?? 1) - 1));
        throw e;
      }
    }
  }
}
