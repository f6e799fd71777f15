// Workload controllers: ReplicationControllers, ReplicaSets, Deployments,
// StatefulSets, DaemonSets, Jobs, CronJobs and ControllerRevisions.
import type { Printer } from './table-types.js';
import {
  AGE,
  CONTAINERS,
  IMAGES,
  NAME,
  boolPtr,
  col,
  containerCells,
  formatLabelSelector,
  formatLabels,
  int,
  rawLabelSelector,
  str,
  wide,
  type Obj,
} from './columns.js';
import { DOCS } from './docs.js';
import { humanDuration, since, timestampMs } from './duration.js';

/** spec.replicas as upstream reads it after v1 defaulting (absent means 1). */
const replicas = (o: Obj) => (typeof o.spec?.replicas === 'number' ? o.spec.replicas : 1);

/**
 * ReplicationControllers and ReplicaSets print alike (upstream's two printers
 * differ only in their field docs and how the selector reads: a map vs a
 * LabelSelector).
 */
function replicasPrinter(
  spec: { replicas: string; selector: string },
  status: { replicas: string; readyReplicas: string },
  selector: (sel: Obj | undefined) => string,
): Printer {
  return {
    columns: [
      NAME,
      col('Desired', spec.replicas, 'integer'),
      col('Current', status.replicas, 'integer'),
      col('Ready', status.readyReplicas, 'integer'),
      AGE,
      CONTAINERS,
      IMAGES,
      wide('Selector', spec.selector),
    ],
    rows(o: Obj, now) {
      const [names, images] = containerCells(o.spec?.template?.spec);
      return [
        [
          o.metadata.name,
          replicas(o),
          int(o.status?.replicas),
          int(o.status?.readyReplicas),
          since(o.metadata.creationTimestamp, now),
          names,
          images,
          selector(o.spec?.selector),
        ],
      ];
    },
  };
}

export const replicationControllerPrinter = replicasPrinter(DOCS.ReplicationControllerSpec, DOCS.ReplicationControllerStatus, formatLabels);

export const replicaSetPrinter = replicasPrinter(DOCS.ReplicaSetSpec, DOCS.ReplicaSetStatus, formatLabelSelector);

export const deploymentPrinter: Printer = {
  columns: [
    NAME,
    col('Ready', 'Number of the pod with ready state'),
    col('Up-to-date', DOCS.DeploymentStatus.updatedReplicas),
    col('Available', DOCS.DeploymentStatus.availableReplicas),
    AGE,
    CONTAINERS,
    IMAGES,
    wide('Selector', DOCS.DeploymentSpec.selector),
  ],
  rows(o: Obj, now) {
    const s: Obj = o.status ?? {};
    const [names, images] = containerCells(o.spec?.template?.spec);
    return [
      [
        o.metadata.name,
        `${int(s.readyReplicas)}/${replicas(o)}`,
        int(s.updatedReplicas),
        int(s.availableReplicas),
        since(o.metadata.creationTimestamp, now),
        names,
        images,
        rawLabelSelector(o.spec?.selector),
      ],
    ];
  },
};

export const statefulSetPrinter: Printer = {
  columns: [NAME, col('Ready', 'Number of the pod with ready state'), AGE, CONTAINERS, IMAGES],
  rows(o: Obj, now) {
    const [names, images] = containerCells(o.spec?.template?.spec);
    return [
      [
        o.metadata.name,
        `${int(o.status?.readyReplicas)}/${replicas(o)}`,
        since(o.metadata.creationTimestamp, now),
        names,
        images,
      ],
    ];
  },
};

export const daemonSetPrinter: Printer = {
  columns: [
    NAME,
    col('Desired', DOCS.DaemonSetStatus.desiredNumberScheduled, 'integer'),
    col('Current', DOCS.DaemonSetStatus.currentNumberScheduled, 'integer'),
    col('Ready', DOCS.DaemonSetStatus.numberReady, 'integer'),
    col('Up-to-date', DOCS.DaemonSetStatus.updatedNumberScheduled, 'integer'),
    col('Available', DOCS.DaemonSetStatus.numberAvailable, 'integer'),
    col('Node Selector', DOCS.PodSpec.nodeSelector),
    AGE,
    CONTAINERS,
    IMAGES,
    wide('Selector', DOCS.DaemonSetSpec.selector),
  ],
  rows(o: Obj, now) {
    const s: Obj = o.status ?? {};
    const podSpec: Obj | undefined = o.spec?.template?.spec;
    const [names, images] = containerCells(podSpec);
    return [
      [
        o.metadata.name,
        int(s.desiredNumberScheduled),
        int(s.currentNumberScheduled),
        int(s.numberReady),
        int(s.updatedNumberScheduled),
        int(s.numberAvailable),
        formatLabels(podSpec?.nodeSelector),
        since(o.metadata.creationTimestamp, now),
        names,
        images,
        formatLabelSelector(o.spec?.selector),
      ],
    ];
  },
};

/** hasJobCondition: the first condition of the type decides. */
function jobCondition(o: Obj, type: string): boolean {
  const c = ((o.status?.conditions ?? []) as Obj[]).find((x) => x.type === type);
  return c?.status === 'True';
}

function jobStatus(o: Obj): string {
  if (jobCondition(o, 'Complete')) return 'Complete';
  if (jobCondition(o, 'Failed')) return 'Failed';
  if (o.metadata?.deletionTimestamp) return 'Terminating';
  if (jobCondition(o, 'Suspended')) return 'Suspended';
  if (jobCondition(o, 'FailureTarget')) return 'FailureTarget';
  return 'Running';
}

function jobCompletions(o: Obj): string {
  const succeeded = int(o.status?.succeeded);
  if (typeof o.spec?.completions === 'number') return `${succeeded}/${o.spec.completions}`;
  const parallelism = int(o.spec?.parallelism);
  return parallelism > 1 ? `${succeeded}/1 of ${parallelism}` : `${succeeded}/1`;
}

function jobDuration(o: Obj, now: Date): string {
  const start = timestampMs(o.status?.startTime);
  if (start === undefined) return '';
  const end = timestampMs(o.status?.completionTime);
  return humanDuration((end ?? now.getTime()) - start);
}

export const jobPrinter: Printer = {
  columns: [
    NAME,
    col('Status', 'Status of the job.'),
    col('Completions', DOCS.JobStatus.succeeded),
    col('Duration', 'Time required to complete the job.'),
    AGE,
    CONTAINERS,
    IMAGES,
    wide('Selector', DOCS.JobSpec.selector),
  ],
  rows(o: Obj, now) {
    const [names, images] = containerCells(o.spec?.template?.spec);
    return [
      [
        o.metadata.name,
        jobStatus(o),
        jobCompletions(o),
        jobDuration(o, now),
        since(o.metadata.creationTimestamp, now),
        names,
        images,
        formatLabelSelector(o.spec?.selector),
      ],
    ];
  },
};

export const cronJobPrinter: Printer = {
  columns: [
    NAME,
    col('Schedule', DOCS.CronJobSpec.schedule),
    col('Timezone', DOCS.CronJobSpec.timeZone),
    col('Suspend', DOCS.CronJobSpec.suspend, 'boolean'),
    col('Active', DOCS.CronJobStatus.active, 'integer'),
    col('Last Schedule', DOCS.CronJobStatus.lastScheduleTime),
    AGE,
    CONTAINERS,
    IMAGES,
    wide('Selector', DOCS.JobSpec.selector),
  ],
  rows(o: Obj, now) {
    const spec: Obj = o.spec ?? {};
    const jobSpec: Obj | undefined = spec.jobTemplate?.spec;
    const [names, images] = containerCells(jobSpec?.template?.spec);
    const last = o.status?.lastScheduleTime ? since(o.status.lastScheduleTime, now) : '<none>';
    return [
      [
        o.metadata.name,
        str(spec.schedule),
        typeof spec.timeZone === 'string' ? spec.timeZone : '<none>',
        boolPtr(spec.suspend),
        (o.status?.active ?? []).length,
        last,
        since(o.metadata.creationTimestamp, now),
        names,
        images,
        formatLabelSelector(jobSpec?.selector),
      ],
    ];
  },
};

/** formatResourceName with kind: "<kind>.<group>/<name>" lower-cased, the bare name without a kind. */
function controllerName(o: Obj): string {
  const ref = ((o.metadata?.ownerReferences ?? []) as Obj[]).find((r) => r.controller === true);
  if (!ref) return '<none>';
  const apiVersion = str(ref.apiVersion);
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
  const kind = str(ref.kind);
  if (!kind && !group) return str(ref.name);
  return `${(group ? `${kind}.${group}` : kind).toLowerCase()}/${str(ref.name)}`;
}

export const controllerRevisionPrinter: Printer = {
  columns: [
    NAME,
    col('Controller', 'Controller of the object'),
    col('Revision', DOCS.ControllerRevision.revision),
    AGE,
  ],
  rows: (o: Obj, now) => [
    [o.metadata.name, controllerName(o), int(o.revision), since(o.metadata.creationTimestamp, now)],
  ],
};
