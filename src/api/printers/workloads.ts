// Workload controllers: Deployments, ReplicaSets, ReplicationControllers,
// StatefulSets, DaemonSets, Jobs, CronJobs, ControllerRevisions.
import type { Printer } from './table-types.js';
import { AGE, NAME, col, containersAndImages, mapSelector, selectorString, type Obj } from './columns.js';
import { age, humanDuration } from './duration.js';

const CONTAINERS = col('Containers', 'Names of each container in the template.', 'string', 1);
const IMAGES = col('Images', 'Images referenced by each container in the template.', 'string', 1);
const SELECTOR = col('Selector', 'Label selector for pods.', 'string', 1);

const n = (v: unknown) => (typeof v === 'number' ? v : 0);

export const deploymentPrinter: Printer = {
  columns: [NAME, col('Ready', 'Number of the pod with ready state'), col('Up-to-date', 'Total number of non-terminated pods targeted by this deployment that have the desired template spec.', 'integer'), col('Available', 'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.', 'integer'), AGE, CONTAINERS, IMAGES, SELECTOR],
  rows(o: Obj, now) {
    const [c, i] = containersAndImages(o.spec?.template?.spec);
    return [[o.metadata.name, `${n(o.status?.readyReplicas)}/${n(o.spec?.replicas)}`, n(o.status?.updatedReplicas), n(o.status?.availableReplicas), age(o.metadata.creationTimestamp, now), c, i, selectorString(o.spec?.selector)]];
  },
};

function replicaPrinter(selector: (o: Obj) => string): Printer {
  return {
    columns: [NAME, col('Desired', 'Number of desired pods.', 'integer'), col('Current', 'Number of actually running pods.', 'integer'), col('Ready', 'Number of pods ready.', 'integer'), AGE, CONTAINERS, IMAGES, SELECTOR],
    rows(o: Obj, now) {
      const [c, i] = containersAndImages(o.spec?.template?.spec);
      return [[o.metadata.name, n(o.spec?.replicas), n(o.status?.replicas), n(o.status?.readyReplicas), age(o.metadata.creationTimestamp, now), c, i, selector(o)]];
    },
  };
}

export const replicaSetPrinter = replicaPrinter((o) => selectorString(o.spec?.selector));
export const replicationControllerPrinter = replicaPrinter((o) => mapSelector(o.spec?.selector));

export const statefulSetPrinter: Printer = {
  columns: [NAME, col('Ready', 'Number of the pod with ready state'), AGE, CONTAINERS, IMAGES],
  rows(o: Obj, now) {
    const [c, i] = containersAndImages(o.spec?.template?.spec);
    return [[o.metadata.name, `${n(o.status?.readyReplicas)}/${n(o.spec?.replicas)}`, age(o.metadata.creationTimestamp, now), c, i]];
  },
};

export const daemonSetPrinter: Printer = {
  columns: [NAME, col('Desired', '', 'integer'), col('Current', '', 'integer'), col('Ready', '', 'integer'), col('Up-to-date', '', 'integer'), col('Available', '', 'integer'), col('Node Selector', ''), AGE, CONTAINERS, IMAGES, SELECTOR],
  rows(o: Obj, now) {
    const s = o.status ?? {};
    const [c, i] = containersAndImages(o.spec?.template?.spec);
    return [[o.metadata.name, n(s.desiredNumberScheduled), n(s.currentNumberScheduled), n(s.numberReady), n(s.updatedNumberScheduled), n(s.numberAvailable), mapSelector(o.spec?.template?.spec?.nodeSelector), age(o.metadata.creationTimestamp, now), c, i, selectorString(o.spec?.selector)]];
  },
};

function jobStatus(o: Obj): string {
  const conds: Obj[] = o.status?.conditions ?? [];
  const is = (t: string) => conds.some((c) => c.type === t && c.status === 'True');
  if (is('Complete')) return 'Complete';
  if (is('Failed')) return 'Failed';
  if (o.metadata?.deletionTimestamp) return 'Terminating';
  if (is('SuccessCriteriaMet')) return 'SuccessCriteriaMet';
  if (is('FailureTarget')) return 'FailureTarget';
  if (is('Suspended')) return 'Suspended';
  return 'Running';
}

export const jobPrinter: Printer = {
  columns: [NAME, col('Status', 'Status of the job.'), col('Completions', 'The desired number of successfully finished pods the job should be run with.'), col('Duration', 'Time required to complete the job.'), AGE, CONTAINERS, IMAGES, SELECTOR],
  rows(o: Obj, now) {
    const spec = o.spec ?? {};
    const completions = typeof spec.completions === 'number' ? `${n(o.status?.succeeded)}/${spec.completions}` : `${n(o.status?.succeeded)}/1 of ${spec.parallelism ?? 1}`;
    const start = o.status?.startTime ? Date.parse(o.status.startTime) : undefined;
    const end = o.status?.completionTime ? Date.parse(o.status.completionTime) : now.getTime();
    const duration = start ? humanDuration(end - start) : '';
    const [c, i] = containersAndImages(spec.template?.spec);
    return [[o.metadata.name, jobStatus(o), completions, duration, age(o.metadata.creationTimestamp, now), c, i, selectorString(spec.selector)]];
  },
};

export const cronJobPrinter: Printer = {
  columns: [NAME, col('Schedule', 'The schedule in Cron format.'), col('Timezone', 'The time zone for the given schedule.'), col('Suspend', 'Whether later executions are suspended.', 'boolean'), col('Active', 'Number of currently running jobs.', 'integer'), col('Last Schedule', 'When the job was last successfully scheduled.'), AGE, CONTAINERS, IMAGES, SELECTOR],
  rows(o: Obj, now) {
    const spec = o.spec ?? {};
    const [c, i] = containersAndImages(spec.jobTemplate?.spec?.template?.spec);
    const last = o.status?.lastScheduleTime ? age(o.status.lastScheduleTime, now) : '<none>';
    return [[o.metadata.name, spec.schedule ?? '', spec.timeZone ?? '<none>', spec.suspend === true ? 'True' : 'False', (o.status?.active ?? []).length, last, age(o.metadata.creationTimestamp, now), c, i, selectorString(spec.jobTemplate?.spec?.selector)]];
  },
};

export const controllerRevisionPrinter: Printer = {
  columns: [NAME, col('Controller', 'Controller of the object.'), col('Revision', 'Revision of the ControllerRevision.', 'integer'), AGE],
  rows(o: Obj, now) {
    const owner = (o.metadata.ownerReferences ?? []).find((r: Obj) => r.controller);
    const ctl = owner ? `${String(owner.kind).toLowerCase()}.${String(owner.apiVersion).split('/')[0]}/${owner.name}` : '<none>';
    return [[o.metadata.name, ctl, n(o.revision), age(o.metadata.creationTimestamp, now)]];
  },
};
