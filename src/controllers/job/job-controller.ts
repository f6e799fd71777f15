// The Job controller, as upstream's: run pods (at most parallelism at a time)
// until completions succeed, count failures against backoffLimit, honour
// activeDeadlineSeconds, Indexed completion mode (with backoffLimitPerIndex),
// podFailurePolicy and suspend, and write the Complete or Failed condition with
// startTime/completionTime.
import type { KubeObject, OwnerReference } from '../../api/object.js';
import { metaTime } from '../../api/object.js';
import { EventRecorder } from '../../client/event-recorder.js';
import type { Informer } from '../../client/informer.js';
import { controllerKeyOf, onEveryChange, QueueController } from '../../client/queue-controller.js';
import type { ResourceRef, RestClient } from '../../client/rest-client.js';
import { PODS_REF } from '../replicaset/replicaset-controller.js';
import { judgeFailure } from './pod-failure-policy.js';

type Obj = Record<string, any>;

export const JOBS: ResourceRef = { group: 'batch', version: 'v1', plural: 'jobs', namespaced: true };
const INDEX = 'batch.kubernetes.io/job-completion-index';

function phase(p: KubeObject): string | undefined {
  return (p.status as Obj)?.phase;
}

function finished(job: KubeObject): boolean {
  return (((job.status as Obj)?.conditions ?? []) as Obj[]).some((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
}

export class JobController extends QueueController {
  private readonly recorder: EventRecorder;
  /** pods created and not yet seen, per job */
  private readonly pendingCreates = new Map<string, number>();

  constructor(
    private readonly client: RestClient,
    private readonly jobs: Informer,
    private readonly pods: Informer,
    log: (msg: string, extra?: Record<string, unknown>) => void,
  ) {
    super({ failed: 'job sync failed', keyField: 'job', workers: 2, baseDelayMs: 100, maxDelayMs: 60_000, log });
    this.recorder = new EventRecorder(client, { component: 'job-controller' });
    jobs.addHandlers(onEveryChange(this.enqueue));
    const onPod = (p: KubeObject, added: boolean) => {
      const key = controllerKeyOf(p, 'Job');
      if (!key) return;
      if (added) this.pendingCreates.set(key, Math.max(0, (this.pendingCreates.get(key) ?? 0) - 1));
      this.queue.add(key);
    };
    pods.addHandlers({ onAdd: (p) => onPod(p, true), onUpdate: (_o, n) => onPod(n, false), onDelete: (p) => onPod(p, false) });
  }

  protected override async sync(key: string): Promise<void> {
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
    const failures = this.judgeFailures(job, failedPods);
    // restarts in place (OnFailure) count as failures too, as upstream
    const restarts = pods.reduce((n, p) => n + (((p.status as Obj)?.containerStatuses ?? []) as Obj[]).reduce((m, c) => m + (c.restartCount ?? 0), 0), 0);
    const failed = failures.counted + (spec.template?.spec?.restartPolicy === 'OnFailure' ? restarts : 0);
    const completions = spec.completions as number | undefined;
    const perIndex = indexed ? (spec.backoffLimitPerIndex as number | undefined) : undefined;
    const status = { ...((job.status as Obj) ?? {}) };
    const conditions = [...((status.conditions ?? []) as Obj[])];
    const now = metaTime();
    const wasSuspended = conditions.some((c) => c.type === 'Suspended' && c.status === 'True');
    if (!finished(job) && !!spec.suspend !== wasSuspended) {
      // suspending stops the pods; resuming restarts the clock of activeDeadlineSeconds
      const c = spec.suspend
        ? { type: 'Suspended', status: 'True', reason: 'JobSuspended', message: 'Job suspended' }
        : { type: 'Suspended', status: 'False', reason: 'JobResumed', message: 'Job resumed' };
      const i = conditions.findIndex((x) => x.type === 'Suspended');
      conditions.splice(i < 0 ? conditions.length : i, i < 0 ? 0 : 1, { ...c, lastProbeTime: now, lastTransitionTime: now });
      this.recorder.event({ ...job, apiVersion: 'batch/v1', kind: 'Job' }, 'Normal', spec.suspend ? 'Suspended' : 'Resumed', c.message);
      if (!spec.suspend) status.startTime = now;
    }
    if (!spec.suspend) status.startTime ??= now;
    let condition: Obj | undefined;
    if (!finished(job)) {
      const settled = succeeded + (perIndex !== undefined ? failures.failedIndexes.size : 0);
      if (failures.failJob) {
        condition = { type: 'Failed', status: 'True', reason: 'PodFailurePolicy', message: failures.failJob };
      } else if (indexed && completions !== undefined && settled >= completions && failures.failedIndexes.size > 0) {
        condition = { type: 'Failed', status: 'True', reason: 'FailedIndexes', message: 'Job has failed indexes' };
      } else if (completions !== undefined ? succeeded >= completions : succeeded > 0 && active.length === 0) {
        condition = { type: 'Complete', status: 'True', reason: 'Completed', message: 'Reached expected number of succeeded pods' };
      } else if (perIndex !== undefined && spec.maxFailedIndexes !== undefined && failures.failedIndexes.size > spec.maxFailedIndexes) {
        condition = { type: 'Failed', status: 'True', reason: 'MaxFailedIndexesExceeded', message: 'Job has exceeded the specified maximal number of failed indexes' };
      } else if (perIndex === undefined && failed > (spec.backoffLimit ?? 6)) {
        condition = { type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' };
      } else if (!spec.suspend && spec.activeDeadlineSeconds !== undefined && status.startTime && Date.now() - Date.parse(status.startTime) > spec.activeDeadlineSeconds * 1000) {
        condition = { type: 'Failed', status: 'True', reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' };
      }
    }
    if (condition || finished(job) || spec.suspend) {
      // a finished or suspended job keeps no running pods
      for (const p of active) await this.client.delete(PODS_REF, p.metadata.namespace, p.metadata.name!).catch(() => {});
    } else {
      const parallelism = (spec.parallelism ?? 1) as number;
      const remaining = completions === undefined ? parallelism : completions - succeeded - (perIndex !== undefined ? failures.failedIndexes.size : 0);
      const want = Math.max(0, Math.min(parallelism, remaining) - active.length - (this.pendingCreates.get(key) ?? 0));
      const skip = new Set([...doneIndexes, ...failures.failedIndexes]);
      if (want > 0) await this.createPods(job, key, want, indexed ? this.freeIndexes(completions ?? 0, skip, active, want) : undefined);
      else if (spec.activeDeadlineSeconds !== undefined) this.queue.addAfter(key, 1000);
    }
    status.active = (spec.suspend ? 0 : active.length) || undefined;
    status.succeeded = succeeded || undefined;
    status.failed = failed || undefined;
    status.ready = active.filter((p) => (((p.status as Obj)?.conditions ?? []) as Obj[]).some((c) => c.type === 'Ready' && c.status === 'True')).length;
    if (indexed) status.completedIndexes = [...doneIndexes].sort((a, b) => a - b).join(',') || undefined;
    if (perIndex !== undefined) status.failedIndexes = [...failures.failedIndexes].sort((a, b) => a - b).join(',') || undefined;
    if (condition) {
      conditions.push({ ...condition, lastProbeTime: now, lastTransitionTime: now });
      if (condition.type === 'Complete') status.completionTime = now;
      this.recorder.event({ ...job, apiVersion: 'batch/v1', kind: 'Job' }, condition.type === 'Complete' ? 'Normal' : 'Warning', condition.type === 'Complete' ? 'Completed' : condition.reason, condition.message);
    }
    status.conditions = conditions.length ? conditions : undefined;
    for (const k of Object.keys(status)) if (status[k] === undefined) delete status[k];
    if (JSON.stringify(status) === JSON.stringify(job.status ?? {})) return;
    await this.client.update(JOBS, { ...job, status }, 'status').catch((e) => {
      if (![404, 409].includes((e as { code?: number }).code ?? 0)) throw e;
      this.queue.add(key);
    });
  }

  /** Failed pods through the podFailurePolicy and backoffLimitPerIndex: what counts, what fails. */
  private judgeFailures(job: KubeObject, failedPods: KubeObject[]): { counted: number; failJob?: string; failedIndexes: Set<number> } {
    const spec = (job.spec ?? {}) as Obj;
    const perIndex = spec.completionMode === 'Indexed' ? (spec.backoffLimitPerIndex as number | undefined) : undefined;
    const perIndexFailures = new Map<number, number>();
    const failedIndexes = new Set<number>();
    let counted = 0;
    let failJob: string | undefined;
    // oldest first, so the first FailJob match is the one reported
    const byAge = [...failedPods].sort((a, b) => Date.parse(a.metadata.creationTimestamp ?? '') - Date.parse(b.metadata.creationTimestamp ?? ''));
    for (const p of byAge) {
      const verdict = judgeFailure(job, p);
      if (verdict.action === 'Ignore') continue;
      counted++;
      if (verdict.action === 'FailJob') failJob ??= verdict.message;
      if (perIndex === undefined) continue;
      const index = Number(p.metadata.annotations?.[INDEX]);
      const n = (perIndexFailures.get(index) ?? 0) + 1;
      perIndexFailures.set(index, n);
      if (verdict.action === 'FailIndex' || n > perIndex) failedIndexes.add(index);
    }
    return { counted, failJob, failedIndexes };
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
