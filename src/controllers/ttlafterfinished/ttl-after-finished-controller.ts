// The TTL-after-finished controller, as upstream's: a Job with
// spec.ttlSecondsAfterFinished is deleted (background propagation, so the
// garbage collector takes its pods) that many seconds after it finished.
import type { KubeObject } from '../../api/object.js';
import type { Informer } from '../../client/informer.js';
import { QueueController } from '../../client/queue-controller.js';
import type { RestClient } from '../../client/rest-client.js';
import { JOBS } from '../job/job-controller.js';

type Obj = Record<string, any>;

/** When the job finished (its Complete/Failed condition), or undefined while it runs. */
export function finishedAt(job: KubeObject): number | undefined {
  const c = (((job.status as Obj)?.conditions ?? []) as Obj[]).find((x) => (x.type === 'Complete' || x.type === 'Failed') && x.status === 'True');
  if (!c) return undefined;
  return Date.parse(c.lastTransitionTime ?? (job.status as Obj)?.completionTime ?? '') || undefined;
}

export class TtlAfterFinishedController extends QueueController {

  constructor(
    private readonly client: RestClient,
    private readonly jobs: Informer,
    log: (msg: string, extra?: Record<string, unknown>) => void,
  ) {
    super({ failed: 'ttl-after-finished sync failed', keyField: 'job', workers: 1, baseDelayMs: 100, maxDelayMs: 60_000, log });
    const enqueue = (j: KubeObject) => {
      if ((j.spec as Obj)?.ttlSecondsAfterFinished !== undefined && finishedAt(j) !== undefined) this.enqueue(j);
    };
    jobs.addHandlers({ onAdd: enqueue, onUpdate: (_o, n) => enqueue(n) });
  }

  protected override async sync(key: string): Promise<void> {
    const job = this.jobs.get(key);
    const ttl = (job?.spec as Obj | undefined)?.ttlSecondsAfterFinished as number | undefined;
    if (!job || job.metadata.deletionTimestamp || ttl === undefined) return;
    const done = finishedAt(job);
    if (done === undefined) return;
    const left = done + ttl * 1000 - Date.now();
    if (left > 0) {
      this.queue.addAfter(key, left);
      return;
    }
    // the uid precondition keeps a same-named newer job safe
    await this.client.delete(JOBS, job.metadata.namespace, job.metadata.name!, { propagationPolicy: 'Background', preconditions: { uid: job.metadata.uid } }).catch((e) => {
      if (![404, 409].includes((e as { code?: number }).code ?? 0)) throw e;
    });
  }
}
