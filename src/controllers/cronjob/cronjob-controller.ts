// The CronJob controller, as upstream's cronjob v2 controller: at each scheduled
// time create a Job named <cronjob>-<minutes since epoch>, honouring suspend,
// startingDeadlineSeconds and concurrencyPolicy (Allow, Forbid, Replace); keep
// status.active, lastScheduleTime and lastSuccessfulTime; prune finished Jobs
// past the history limits; say what it did in events.
import type { KubeObject } from '../../api/object.js';
import { EventRecorder } from '../../client/event-recorder.js';
import type { Informer } from '../../client/informer.js';
import { onEveryChange, QueueController } from '../../client/queue-controller.js';
import type { ResourceRef, RestClient } from '../../client/rest-client.js';
import { JOBS } from '../job/job-controller.js';
import { CronSyntaxError, parseCron, scheduledTimes } from '../../api/cron/cron-schedule.js';
import { validTimeZone } from '../../api/cron/time-zone.js';

type Obj = Record<string, any>;

export const CRONJOBS: ResourceRef = { group: 'batch', version: 'v1', plural: 'cronjobs', namespaced: true };
const SCHEDULED_AT = 'batch.kubernetes.io/cronjob-scheduled-timestamp';

/** The controller's clock; tests move it (SKIFF_CRONJOB_CLOCK_OFFSET seconds, or a fake). */
export type Clock = () => number;

export function clockFromEnv(env = process.env): Clock {
  const offset = Number(env.SKIFF_CRONJOB_CLOCK_OFFSET ?? 0) * 1000 || 0;
  return () => Date.now() + offset;
}

function jobState(job: KubeObject): 'Complete' | 'Failed' | undefined {
  const c = (((job.status as Obj)?.conditions ?? []) as Obj[]).find((x) => (x.type === 'Complete' || x.type === 'Failed') && x.status === 'True');
  return c?.type;
}

const rfc3339 = (t: number) => new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z');

export class CronJobController extends QueueController {
  private readonly recorder: EventRecorder;

  constructor(
    private readonly client: RestClient,
    private readonly cronJobs: Informer,
    private readonly jobs: Informer,
    log: (msg: string, extra?: Record<string, unknown>) => void,
    private readonly now: Clock = clockFromEnv(),
  ) {
    super({ failed: 'cronjob sync failed', keyField: 'cronjob', workers: 2, baseDelayMs: 100, maxDelayMs: 60_000, log });
    this.recorder = new EventRecorder(client, { component: 'cronjob-controller' });
    cronJobs.addHandlers(onEveryChange(this.enqueue));
    jobs.addHandlers(onEveryChange(this.enqueueController('CronJob')));
  }

  private ref(cj: KubeObject): KubeObject {
    return { ...cj, apiVersion: 'batch/v1', kind: 'CronJob' };
  }

  protected override async sync(key: string): Promise<void> {
    const cj = this.cronJobs.get(key);
    if (!cj) return;
    const spec = (cj.spec ?? {}) as Obj;
    const ns = cj.metadata.namespace!;
    const owned = this.jobs.list(ns).filter((j) => j.metadata.ownerReferences?.some((r) => r.controller && r.uid === cj.metadata.uid));
    const status: Obj = structuredClone((cj.status ?? {}) as Obj);
    const activeNames = new Set(((status.active ?? []) as Obj[]).map((r) => r.name as string));

    // status.active follows the Jobs: drop the gone and the finished, add running strays
    for (const j of owned) {
      const state = jobState(j);
      if (!state && !activeNames.has(j.metadata.name!)) activeNames.add(j.metadata.name!);
      if (state && activeNames.has(j.metadata.name!)) {
        activeNames.delete(j.metadata.name!);
        this.recorder.event(this.ref(cj), 'Normal', 'SawCompletedJob', `Saw completed job: ${j.metadata.name}, condition: ${state}`);
      }
      if (state === 'Complete') {
        const done = (j.status as Obj)?.completionTime as string | undefined;
        if (done && (!status.lastSuccessfulTime || Date.parse(done) > Date.parse(status.lastSuccessfulTime))) status.lastSuccessfulTime = done;
      }
    }
    for (const name of [...activeNames]) if (!owned.some((j) => j.metadata.name === name)) activeNames.delete(name);
    await this.pruneHistory(cj, owned);

    let requeueAt: number | undefined;
    if (!cj.metadata.deletionTimestamp && !spec.suspend) requeueAt = await this.schedule(cj, owned, activeNames, status);

    const byName = new Map(owned.map((j) => [j.metadata.name!, j]));
    status.active = [...activeNames].sort().map((name) => {
      const j = byName.get(name);
      return { kind: 'Job', namespace: ns, name, uid: j?.metadata.uid, apiVersion: 'batch/v1', resourceVersion: j?.metadata.resourceVersion };
    });
    for (const r of status.active as Obj[]) {
      if (r.uid !== undefined) continue;
      delete r.uid;
      delete r.resourceVersion;
    }
    if (!status.active.length) delete status.active;
    if (JSON.stringify(status) !== JSON.stringify(cj.status ?? {})) {
      await this.client.update(CRONJOBS, { ...cj, status }, 'status').catch((e) => {
        if (![404, 409].includes((e as { code?: number }).code ?? 0)) throw e;
        this.queue.add(key);
      });
    }
    // wake up for the next activation (a little after, so it is due)
    if (requeueAt !== undefined) this.queue.addAfter(key, Math.max(0, requeueAt - this.now()) + 100);
  }

  /** Creates the Job for the latest due activation if the policies allow; returns when to look again. */
  private async schedule(cj: KubeObject, owned: KubeObject[], active: Set<string>, status: Obj): Promise<number | undefined> {
    const spec = (cj.spec ?? {}) as Obj;
    const timeZone = (spec.timeZone as string | undefined) ?? 'UTC';
    if (!validTimeZone(timeZone)) {
      this.recorder.event(this.ref(cj), 'Warning', 'UnknownTimeZone', `invalid timeZone: "${timeZone}"`);
      return undefined;
    }
    let sched;
    try {
      sched = parseCron(spec.schedule ?? '');
    } catch (e) {
      if (!(e instanceof CronSyntaxError)) throw e;
      this.recorder.event(this.ref(cj), 'Warning', 'UnparseableSchedule', `unparseable schedule: "${spec.schedule}" : ${e.message}`);
      return undefined;
    }
    const now = this.now();
    let earliest = Date.parse(status.lastScheduleTime ?? cj.metadata.creationTimestamp ?? '') || now;
    const deadline = spec.startingDeadlineSeconds as number | undefined;
    if (deadline !== undefined) earliest = Math.max(earliest, now - deadline * 1000);
    const times = scheduledTimes(sched, earliest, now, timeZone);
    if (times.missed > 100) {
      this.recorder.event(this.ref(cj), 'Warning', 'TooManyMissedTimes', 'too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew');
    }
    const scheduled = times.mostRecent;
    if (scheduled === undefined) return times.next;
    if (deadline !== undefined && scheduled + deadline * 1000 < now) {
      this.recorder.event(this.ref(cj), 'Warning', 'MissSchedule', `Missed scheduled time to start a job: ${rfc3339(scheduled)}`);
      return times.next;
    }
    const name = `${cj.metadata.name}-${Math.floor(scheduled / 60_000)}`;
    if (active.has(name) || owned.some((j) => j.metadata.name === name)) return times.next;
    if (spec.concurrencyPolicy === 'Forbid' && active.size > 0) {
      // upstream leaves lastScheduleTime alone, so the run happens once the active one ends (if still in time)
      this.recorder.event(this.ref(cj), 'Normal', 'JobAlreadyActive', 'Not starting job because prior execution is running and concurrency policy is Forbid');
      return times.next;
    }
    if (spec.concurrencyPolicy === 'Replace') {
      for (const old of [...active]) {
        await this.client.delete(JOBS, cj.metadata.namespace, old, { propagationPolicy: 'Background' }).catch((e) => {
          if ((e as { code?: number }).code !== 404) throw e;
        });
        active.delete(old);
        this.recorder.event(this.ref(cj), 'Normal', 'SuccessfulDelete', `Deleted job ${old}`);
      }
    }
    await this.createJob(cj, name, scheduled, timeZone);
    active.add(name);
    status.lastScheduleTime = rfc3339(scheduled);
    return times.next;
  }

  private async createJob(cj: KubeObject, name: string, scheduled: number, timeZone: string): Promise<void> {
    const template = structuredClone(((cj.spec as Obj).jobTemplate ?? {}) as Obj);
    const job = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: {
        name,
        namespace: cj.metadata.namespace,
        labels: template.metadata?.labels,
        annotations: { ...(template.metadata?.annotations ?? {}), [SCHEDULED_AT]: scheduledStamp(scheduled, timeZone) },
        ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: cj.metadata.name!, uid: cj.metadata.uid!, controller: true, blockOwnerDeletion: true }],
      },
      spec: template.spec ?? {},
    };
    try {
      await this.client.request('POST', `/apis/batch/v1/namespaces/${encodeURIComponent(cj.metadata.namespace!)}/jobs`, job);
      this.recorder.event(this.ref(cj), 'Normal', 'SuccessfulCreate', `Created job ${name}`);
    } catch (e) {
      // already made by an earlier pass whose status write was lost: it is ours, carry on
      if ((e as { code?: number }).code === 409) return;
      this.recorder.event(this.ref(cj), 'Warning', 'FailedCreate', `Error creating job: ${(e as Error).message}`);
      throw e;
    }
  }

  /** Deletes the oldest finished Jobs past successfulJobsHistoryLimit / failedJobsHistoryLimit. */
  private async pruneHistory(cj: KubeObject, owned: KubeObject[]): Promise<void> {
    const spec = (cj.spec ?? {}) as Obj;
    const startOf = (j: KubeObject) => Date.parse(((j.status as Obj)?.startTime as string) ?? j.metadata.creationTimestamp ?? '') || 0;
    for (const [state, limit] of [['Complete', spec.successfulJobsHistoryLimit ?? 3], ['Failed', spec.failedJobsHistoryLimit ?? 1]] as const) {
      const done = owned.filter((j) => jobState(j) === state && !j.metadata.deletionTimestamp).sort((a, b) => startOf(a) - startOf(b));
      for (const j of done.slice(0, Math.max(0, done.length - limit))) {
        await this.client.delete(JOBS, j.metadata.namespace, j.metadata.name!, { propagationPolicy: 'Background' }).catch((e) => {
          if ((e as { code?: number }).code !== 404) throw e;
        });
        this.recorder.event(this.ref(cj), 'Normal', 'SuccessfulDelete', `Deleted job ${j.metadata.name}`);
      }
    }
  }
}

/** RFC 3339 with the zone's offset, as upstream writes the scheduled-timestamp annotation. */
function scheduledStamp(t: number, timeZone: string): string {
  const f = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' }).formatToParts(new Date(t)).find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
  const offset = f === 'GMT' ? '+00:00' : f.replace('GMT', '');
  const sign = offset.startsWith('-') ? -1 : 1;
  const [h, m] = offset.slice(1).split(':').map(Number);
  const local = new Date(t + sign * (h * 60 + (m || 0)) * 60_000).toISOString().replace(/\.\d{3}Z$/, '');
  return offset === '+00:00' ? `${local}Z` : `${local}${offset}`;
}
