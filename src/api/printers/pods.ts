// Pods and pod templates, as upstream's printPod and printPodTemplate: READY
// counts restartable init containers (sidecars), STATUS follows upstream's
// reason logic (scheduling gates, init containers, waiting and terminated
// reasons, Completed pods with a running container, Terminating), RESTARTS
// says when the last restart was.
import type { KubeObject } from '../object.js';
import type { Printer, TableRowCondition } from './table-types.js';
import { AGE, NAME, col, containerCells, formatLabels, int, wide, type Obj } from './columns.js';
import { DOCS } from './docs.js';
import { humanDuration, since, timestampMs } from './duration.js';

// pkg/util/node.NodeUnreachablePodReason
const NODE_LOST = 'NodeLost';

interface PodSummary {
  ready: number;
  total: number;
  reason: string;
  restarts: number;
  /** ms of the last restart, 0 for none */
  lastRestart: number;
}

const isRestartable = (c: Obj | undefined) => c?.restartPolicy === 'Always';

function conditionTrue(conditions: Obj[], type: string): boolean {
  return conditions.some((c) => c.type === type && c.status === 'True');
}

/** The first condition of the type decides (isPodInitializedConditionTrue). */
function firstConditionTrue(conditions: Obj[], type: string): boolean {
  const c = conditions.find((x) => x.type === type);
  return c?.status === 'True';
}

function terminatedReason(t: Obj, prefix: string): string {
  if (t.reason) return `${prefix}${t.reason}`;
  if (int(t.signal) !== 0) return `${prefix}Signal:${int(t.signal)}`;
  return `${prefix}ExitCode:${int(t.exitCode)}`;
}

export function summarizePod(pod: Obj): PodSummary {
  const spec: Obj = pod.spec ?? {};
  const status: Obj = pod.status ?? {};
  const conditions: Obj[] = status.conditions ?? [];
  const phase: string = status.phase ?? '';
  let reason: string = status.reason || phase;
  if (conditions.some((c) => c.type === 'PodScheduled' && c.reason === 'SchedulingGated'))
    reason = 'SchedulingGated';

  const initSpecs = new Map<string, Obj>();
  let total = (spec.containers ?? []).length;
  for (const c of (spec.initContainers ?? []) as Obj[]) {
    initSpecs.set(c.name, c);
    if (isRestartable(c)) total++;
  }

  let ready = 0;
  let restarts = 0;
  let lastRestart = 0;
  let sidecarRestarts = 0;
  let lastSidecarRestart = 0;
  const finishedAt = (cs: Obj) => timestampMs(cs.lastState?.terminated?.finishedAt) ?? 0;

  let initializing = false;
  const inits: Obj[] = status.initContainerStatuses ?? [];
  for (let i = 0; i < inits.length; i++) {
    const cs = inits[i];
    const state: Obj = cs.state ?? {};
    restarts += int(cs.restartCount);
    if (cs.lastState?.terminated) lastRestart = Math.max(lastRestart, finishedAt(cs));
    const restartable = isRestartable(initSpecs.get(cs.name));
    if (restartable) {
      sidecarRestarts += int(cs.restartCount);
      if (cs.lastState?.terminated)
        lastSidecarRestart = Math.max(lastSidecarRestart, finishedAt(cs));
    }
    if (state.terminated && int(state.terminated.exitCode) === 0) continue;
    if (restartable && cs.started === true) {
      if (cs.ready) ready++;
      continue;
    }
    if (state.terminated) reason = terminatedReason(state.terminated, 'Init:');
    else if (state.waiting?.reason && state.waiting.reason !== 'PodInitializing')
      reason = `Init:${state.waiting.reason}`;
    else reason = `Init:${i}/${(spec.initContainers ?? []).length}`;
    initializing = true;
    break;
  }

  if (!initializing || firstConditionTrue(conditions, 'Initialized')) {
    // regular init containers' restarts no longer count once the pod is initialized
    restarts = sidecarRestarts;
    lastRestart = lastSidecarRestart;
    let hasRunning = false;
    const statuses: Obj[] = status.containerStatuses ?? [];
    for (let i = statuses.length - 1; i >= 0; i--) {
      const cs = statuses[i];
      const state: Obj = cs.state ?? {};
      restarts += int(cs.restartCount);
      if (cs.lastState?.terminated) lastRestart = Math.max(lastRestart, finishedAt(cs));
      if (state.waiting?.reason) reason = state.waiting.reason;
      else if (state.terminated) reason = terminatedReason(state.terminated, '');
      else if (cs.ready && state.running) {
        hasRunning = true;
        ready++;
      }
    }
    // a Completed container next to a running one: the pod is still running
    if (reason === 'Completed' && hasRunning)
      reason = conditionTrue(conditions, 'Ready') ? 'Running' : 'NotReady';
  }

  if (pod.metadata?.deletionTimestamp) {
    if (status.reason === NODE_LOST) reason = 'Unknown';
    else if (phase !== 'Succeeded' && phase !== 'Failed') reason = 'Terminating';
  }
  return { ready, total, reason, restarts, lastRestart };
}

const SUCCEEDED: TableRowCondition[] = [
  {
    type: 'Completed',
    status: 'True',
    reason: 'Succeeded',
    message: 'The pod has completed successfully.',
  },
];
const FAILED: TableRowCondition[] = [
  { type: 'Completed', status: 'True', reason: 'Failed', message: 'The pod failed.' },
];

export const podPrinter: Printer = {
  columns: [
    NAME,
    col('Ready', 'The aggregate readiness state of this pod for accepting traffic.'),
    col('Status', 'The aggregate status of the containers in this pod.'),
    col(
      'Restarts',
      'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.',
    ),
    AGE,
    wide('IP', DOCS.PodStatus.podIP),
    wide('Node', DOCS.PodSpec.nodeName),
    wide('Nominated Node', DOCS.PodStatus.nominatedNodeName),
    wide('Readiness Gates', DOCS.PodSpec.readinessGates),
  ],
  rows(obj: KubeObject, now: Date) {
    const p = obj as Obj;
    const s = summarizePod(p);
    const restarts =
      s.restarts !== 0 && s.lastRestart !== 0
        ? `${s.restarts} (${humanDuration(now.getTime() - s.lastRestart)} ago)`
        : String(s.restarts);
    const status: Obj = p.status ?? {};
    const podIP: string = status.podIPs?.[0]?.ip || status.podIP || '<none>';
    const gates: Obj[] = p.spec?.readinessGates ?? [];
    let readinessGates = '<none>';
    if (gates.length > 0) {
      const conditions: Obj[] = status.conditions ?? [];
      const trueCount = gates.filter(
        (g) => conditions.find((c) => c.type === g.conditionType)?.status === 'True',
      ).length;
      readinessGates = `${trueCount}/${gates.length}`;
    }
    return [
      [
        p.metadata.name,
        `${s.ready}/${s.total}`,
        s.reason,
        restarts,
        since(p.metadata.creationTimestamp, now),
        podIP,
        p.spec?.nodeName || '<none>',
        status.nominatedNodeName || '<none>',
        readinessGates,
      ],
    ];
  },
  conditions(obj: KubeObject) {
    const phase = (obj as Obj).status?.phase;
    return phase === 'Succeeded' ? SUCCEEDED : phase === 'Failed' ? FAILED : undefined;
  },
};

// upstream prints no age for pod templates
export const podTemplatePrinter: Printer = {
  columns: [
    NAME,
    col('Containers', 'Names of each container in the template.'),
    col('Images', 'Images referenced by each container in the template.'),
    col('Pod Labels', 'The labels for the pod template.'),
  ],
  rows(obj: KubeObject) {
    const t: Obj = (obj as Obj).template ?? {};
    const [names, images] = containerCells(t.spec);
    return [[obj.metadata.name, names, images, formatLabels(t.metadata?.labels)]];
  },
};
