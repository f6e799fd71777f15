// Pods (and pod templates) as upstream's printPod: READY, STATUS with the
// same reason logic (init containers, waiting/terminated reasons, Terminating).
import type { KubeObject } from '../object.js';
import type { Printer } from './table-types.js';
import { AGE, NAME, col, containersAndImages, type Obj } from './columns.js';
import { age, humanDuration } from './duration.js';

function podStatus(pod: Obj, now: Date): { reason: string; ready: number; total: number; restarts: number; lastRestart?: number } {
  const spec = pod.spec ?? {};
  const status = pod.status ?? {};
  let reason: string = status.reason || status.phase || 'Pending';
  let restarts = 0;
  let lastRestart: number | undefined;
  const noteRestart = (cs: Obj) => {
    const fin = cs.lastState?.terminated?.finishedAt;
    if (fin) {
      const t = Date.parse(fin);
      if (!lastRestart || t > lastRestart) lastRestart = t;
    }
  };
  let initializing = false;
  const inits: Obj[] = status.initContainerStatuses ?? [];
  for (let i = 0; i < inits.length; i++) {
    const c = inits[i];
    restarts += c.restartCount ?? 0;
    noteRestart(c);
    const term = c.state?.terminated;
    if (term && term.exitCode === 0) continue;
    const sidecar = (spec.initContainers ?? []).find((x: Obj) => x.name === c.name)?.restartPolicy === 'Always';
    if (sidecar && c.started) continue;
    if (term) reason = term.reason ? `Init:${term.reason}` : term.signal ? `Init:Signal:${term.signal}` : `Init:ExitCode:${term.exitCode}`;
    else if (c.state?.waiting?.reason && c.state.waiting.reason !== 'PodInitializing') reason = `Init:${c.state.waiting.reason}`;
    else reason = `Init:${i}/${(spec.initContainers ?? []).length}`;
    initializing = true;
    break;
  }
  let ready = 0;
  const total = (spec.containers ?? []).length;
  const initialized = (status.conditions ?? []).some((c: Obj) => c.type === 'Initialized' && c.status === 'True');
  if (!initializing || initialized) {
    restarts = inits.reduce((n, c) => n + (c.restartCount ?? 0), 0);
    let hasRunning = false;
    const cs: Obj[] = [...(status.containerStatuses ?? [])].reverse();
    for (const c of cs) {
      restarts += c.restartCount ?? 0;
      noteRestart(c);
      if (c.state?.waiting?.reason) reason = c.state.waiting.reason;
      else if (c.state?.terminated?.reason) reason = c.state.terminated.reason;
      else if (c.state?.terminated) reason = c.state.terminated.signal ? `Signal:${c.state.terminated.signal}` : `ExitCode:${c.state.terminated.exitCode}`;
      else if (c.ready && c.state?.running) {
        hasRunning = true;
        ready++;
      }
    }
    if (reason === 'Completed' && hasRunning) {
      reason = (status.conditions ?? []).some((c: Obj) => c.type === 'Ready' && c.status === 'True') ? 'Running' : 'NotReady';
    }
  }
  if (pod.metadata?.deletionTimestamp) reason = status.reason === 'NodeLost' ? 'Unknown' : 'Terminating';
  void now;
  return { reason, ready, total, restarts, lastRestart };
}

export const podPrinter: Printer = {
  columns: [
    NAME,
    col('Ready', 'The aggregate readiness state of this pod for accepting traffic.'),
    col('Status', 'The aggregate status of the containers in this pod.'),
    col('Restarts', 'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.'),
    AGE,
    col('IP', 'IP address allocated to the pod. Routable at least within the cluster.', 'string', 1),
    col('Node', 'Name of the node the pod is assigned to.', 'string', 1),
    col('Nominated Node', 'Nominated node name for the pod, when it is preempting others.', 'string', 1),
    col('Readiness Gates', 'Pod readiness gates, ready/total.', 'string', 1),
  ],
  rows(obj: KubeObject, now: Date) {
    const p = obj as Obj;
    const s = podStatus(p, now);
    const restarts = s.restarts > 0 && s.lastRestart ? `${s.restarts} (${humanDuration(now.getTime() - s.lastRestart)} ago)` : String(s.restarts);
    const gates: Obj[] = p.spec?.readinessGates ?? [];
    const gatesReady = gates.filter((g) => (p.status?.conditions ?? []).some((c: Obj) => c.type === g.conditionType && c.status === 'True')).length;
    return [
      [
        p.metadata.name,
        `${s.ready}/${s.total}`,
        s.reason,
        restarts,
        age(p.metadata.creationTimestamp, now),
        p.status?.podIP || '<none>',
        p.spec?.nodeName || '<none>',
        p.status?.nominatedNodeName || '<none>',
        gates.length ? `${gatesReady}/${gates.length}` : '<none>',
      ],
    ];
  },
};

export const podTemplatePrinter: Printer = {
  columns: [NAME, col('Containers', 'Names of each container in the template.'), col('Images', 'Images referenced by each container in the template.'), col('Pod Labels', 'The labels for the pod template.'), AGE],
  rows(obj, now) {
    const t = (obj as Obj).template ?? {};
    const [c, i] = containersAndImages(t.spec);
    const labels = Object.entries(t.metadata?.labels ?? {}).map(([k, v]) => `${k}=${v}`).join(',') || '<none>';
    return [[obj.metadata.name, c, i, labels, age(obj.metadata.creationTimestamp, now)]];
  },
};
