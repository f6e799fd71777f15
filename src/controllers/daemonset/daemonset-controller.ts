// The DaemonSet controller: one pod per eligible node (node selector, affinity
// and taints, tolerating what upstream adds for daemons), placed on its node
// directly; template changes roll out node by node within maxUnavailable.
import type { KubeObject, OwnerReference } from '../../api/object.js';
import { EventRecorder } from '../../client/event-recorder.js';
import { keyOf, type Informer } from '../../client/informer.js';
import { onEveryChange, QueueController } from '../../client/queue-controller.js';
import type { ResourceRef, RestClient } from '../../client/rest-client.js';
import { templateHash } from '../deployment/deployment-controller.js';
import { PODS_REF } from '../replicaset/replicaset-controller.js';
import { unfitReason } from '../../scheduler/fit.js';

type Obj = Record<string, any>;

export const DAEMONSETS: ResourceRef = { group: 'apps', version: 'v1', plural: 'daemonsets', namespaced: true };
const HASH = 'controller-revision-hash';

// Daemons tolerate what a node's condition taints say, as upstream adds to their pods.
const DAEMON_TOLERATIONS = [
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
];

function isReady(p: KubeObject): boolean {
  return (((p.status as Obj)?.conditions ?? []) as Obj[]).some((c) => c.type === 'Ready' && c.status === 'True');
}

export class DaemonSetController extends QueueController {
  private readonly recorder: EventRecorder;

  constructor(
    private readonly client: RestClient,
    private readonly sets: Informer,
    private readonly pods: Informer,
    private readonly nodes: Informer,
    log: (msg: string, extra?: Record<string, unknown>) => void,
  ) {
    super({ failed: 'daemonset sync failed', keyField: 'daemonset', workers: 2, baseDelayMs: 100, maxDelayMs: 60_000, log });
    this.recorder = new EventRecorder(client, { component: 'daemonset-controller' });
    sets.addHandlers(onEveryChange(this.enqueue));
    pods.addHandlers(onEveryChange(this.enqueueController('DaemonSet')));
    const all = () => {
      for (const d of sets.list()) this.enqueue(d);
    };
    nodes.addHandlers({ onAdd: all, onUpdate: all, onDelete: all });
  }

  /** Whether a daemon pod belongs on the node: the scheduler's filters minus resources, with daemon tolerations. */
  private eligible(template: Obj, node: KubeObject): boolean {
    const probe = { metadata: { name: 'probe' }, spec: { ...(template.spec ?? {}), tolerations: [...(template.spec?.tolerations ?? []), ...DAEMON_TOLERATIONS], containers: [] } } as KubeObject;
    const why = unfitReason(probe, { node, pods: [] });
    return why === undefined || why.startsWith('node(s) had untolerated taint {node.kubernetes.io/not-ready');
  }

  protected override async sync(key: string): Promise<void> {
    const ds = this.sets.get(key);
    if (!ds || ds.metadata.deletionTimestamp) return;
    const spec = (ds.spec ?? {}) as Obj;
    const hash = templateHash(spec.template);
    const owned = this.pods.list(ds.metadata.namespace).filter((p) => p.metadata.ownerReferences?.some((r) => r.uid === ds.metadata.uid) && !p.metadata.deletionTimestamp);
    const byNode = new Map<string, KubeObject[]>();
    for (const p of owned) {
      const n = (p.spec as Obj)?.nodeName ?? '';
      byNode.set(n, [...(byNode.get(n) ?? []), p]);
    }
    const nodes = this.nodes.list();
    const wanted = nodes.filter((n) => this.eligible(spec.template ?? {}, n));
    const wantedNames = new Set(wanted.map((n) => n.metadata.name!));
    const maxUnavailable = Number(spec.updateStrategy?.rollingUpdate?.maxUnavailable ?? 1) || 1;
    let unavailable = wanted.filter((n) => !(byNode.get(n.metadata.name!) ?? []).some(isReady)).length;
    for (const node of wanted) {
      const name = node.metadata.name!;
      const here = byNode.get(name) ?? [];
      if (here.length === 0) {
        await this.createPod(ds, name, hash);
        continue;
      }
      for (const extra of here.slice(1)) await this.deletePod(extra);
      const pod = here[0];
      const outdated = pod.metadata.labels?.[HASH] !== hash;
      const failed = (pod.status as Obj)?.phase === 'Failed';
      if (failed || (outdated && spec.updateStrategy?.type !== 'OnDelete' && (unavailable < maxUnavailable || !isReady(pod)))) {
        if (isReady(pod)) unavailable++;
        await this.deletePod(pod);
      }
    }
    for (const [name, ps] of byNode) if (!wantedNames.has(name)) for (const p of ps) await this.deletePod(p);
    await this.writeStatus(ds, wanted.length, owned, hash, wantedNames);
  }

  private async createPod(ds: KubeObject, node: string, hash: string): Promise<void> {
    const template = structuredClone(((ds.spec as Obj).template ?? {}) as Obj);
    const owner: OwnerReference = { apiVersion: 'apps/v1', kind: 'DaemonSet', name: ds.metadata.name!, uid: ds.metadata.uid!, controller: true, blockOwnerDeletion: true };
    const spec = { ...(template.spec ?? {}), nodeName: node, tolerations: [...(template.spec?.tolerations ?? []), ...DAEMON_TOLERATIONS] };
    const pod = await this.client.request<KubeObject>('POST', `/api/v1/namespaces/${encodeURIComponent(ds.metadata.namespace!)}/pods`, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { generateName: `${ds.metadata.name}-`, labels: { ...(template.metadata?.labels ?? {}), [HASH]: hash }, annotations: template.metadata?.annotations, ownerReferences: [owner] },
      spec,
    });
    this.recorder.event({ ...ds, apiVersion: 'apps/v1', kind: 'DaemonSet' }, 'Normal', 'SuccessfulCreate', `Created pod: ${pod.metadata.name}`);
  }

  private async deletePod(p: KubeObject): Promise<void> {
    await this.client.delete(PODS_REF, p.metadata.namespace, p.metadata.name!, { preconditions: { uid: p.metadata.uid } }).catch((e) => {
      if (![404, 409].includes((e as { code?: number }).code ?? 0)) throw e;
    });
  }

  private async writeStatus(ds: KubeObject, desired: number, pods: KubeObject[], hash: string, wanted: Set<string>): Promise<void> {
    const onWanted = pods.filter((p) => wanted.has((p.spec as Obj)?.nodeName));
    const status: Obj = {
      currentNumberScheduled: onWanted.length,
      numberMisscheduled: pods.length - onWanted.length,
      desiredNumberScheduled: desired,
      numberReady: onWanted.filter(isReady).length,
      updatedNumberScheduled: onWanted.filter((p) => p.metadata.labels?.[HASH] === hash).length,
      numberAvailable: onWanted.filter(isReady).length,
      numberUnavailable: Math.max(0, desired - onWanted.filter(isReady).length),
      observedGeneration: ds.metadata.generation,
    };
    for (const k of ['updatedNumberScheduled', 'numberAvailable', 'numberUnavailable']) if (status[k] === 0) delete status[k];
    if (JSON.stringify(status) === JSON.stringify(ds.status ?? {})) return;
    await this.client.update(DAEMONSETS, { ...ds, status }, 'status').catch((e) => {
      if (![404, 409].includes((e as { code?: number }).code ?? 0)) throw e;
      this.queue.add(keyOf(ds));
    });
  }
}
