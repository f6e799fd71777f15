// The kubelet: watches the pods bound to this node, runs one PodWorker per pod
// through a work queue, writes pod status back, and finishes deletions.
import type { KubeObject } from '../api/object.js';
import { isTerminalPod } from '../api/kinds/pod-phase.js';
import { Informer, keyOf, stripManagedFields } from '../client/informer.js';
import type { ResourceRef, RestClient } from '../client/rest-client.js';
import { runWorkers, WorkQueue } from '../client/workqueue.js';
import type { Runtime } from '../runtime/runtime.js';
import type { ImageResolver } from './images.js';
import { PodWorker } from './pod-worker.js';
import { EventRecorder } from '../client/event-recorder.js';
import { busyboxBinary } from '../image/builtin-busybox.js';
import type { PodNetwork } from '../network/pod-network.js';
import type { NodeDns } from './dns-config.js';
import type { PodContainers } from './stats-provider.js';
import { ServiceAccountTokenManager } from './token-manager.js';
import type { ServiceLister } from './service-env.js';
import { traceEnd, traceMark } from './pod-start-trace.js';

/** A pod as the eviction manager sees it: its key, object, pod cgroup and containers. */
export interface ActivePod {
  key: string;
  pod: KubeObject;
  cgroup: string;
  containers: Array<{ name: string; id: string }>;
}

const PODS: ResourceRef = { group: '', version: 'v1', plural: 'pods', namespaced: true };
/**
 * Pods synced at once. Measured with bench/node-density.ts (100 pods at once, 2 cores):
 * 16 started no faster than 4 on a quiet machine (about 10 pods/s, CPU bound) and the
 * agent kept about 10 MB more RSS, so 4.
 */
const POD_WORKERS = 4;
/**
 * While pods wait for their first start, the periodic re-check of running pods waits
 * too (it would queue every pod ahead of them), but never more than this many periods.
 */
const MAX_DEFERRED_RESYNCS = 5;
/**
 * How often every pod is synced even when nothing about it was seen to change (upstream's
 * --sync-frequency, 1 minute): projected token refreshes and anything a relist cannot see.
 */
const FULL_RESYNC_MS = 60_000;

export interface KubeletOptions {
  nodeName: string;
  cgroupParent: string;
  hostIP?: string;
  /** how often running pods' containers are re-checked for exits, and pods with probes or waiting containers synced */
  resyncMs?: number;
  /** how often every pod is synced whatever was seen (default 60 s) */
  fullResyncMs?: number;
  /** where pod directories (volumes, hosts files) live */
  rootDir: string;
  /** pods' addresses; without it pods share nothing but loopback */
  network?: PodNetwork;
  /** what pods' resolv.conf is made from */
  dns?: NodeDns;
  /** containers without a seccompProfile get RuntimeDefault (upstream's --seccomp-default) */
  seccompDefault?: boolean;
  /** the Services the node watches (its proxy's informer): containers' service link variables */
  services?: ServiceLister;
  /** why a pod new to this node may not run here now (node pressure: eviction/admission.ts); undefined admits it */
  admit?: (pod: KubeObject) => string | undefined;
}

const RUNTIME_CLASSES: ResourceRef = { group: 'node.k8s.io', version: 'v1', plural: 'runtimeclasses', namespaced: false };

export class Kubelet {
  private readonly informer: Informer;
  private readonly queue = new WorkQueue(200, 10_000);
  private readonly workers = new Map<string, PodWorker>();
  /** evictions asked for by the eviction manager, run by the pod's next sync */
  private readonly evictions = new Map<string, { graceSeconds: number; reason: string; message: string; conditions: Array<Record<string, unknown>>; resolve: (done: boolean) => void }>();
  private resync?: NodeJS.Timeout;
  /** pods seen but not yet synced once: their first start goes before the periodic re-checks */
  private readonly starting = new Set<string>();
  private deferredResyncs = 0;
  private ticking = false;
  /** the resourceVersion of each pod's last status write: its own watch event needs no sync */
  private readonly written = new Map<string, string>();
  private readonly recorder: EventRecorder;
  private running?: Promise<void[]>;

  constructor(
    private readonly client: RestClient,
    private readonly runtime: Runtime,
    private readonly images: ImageResolver,
    private readonly opts: KubeletOptions,
    private readonly log: (msg: string, extra?: Record<string, unknown>) => void,
  ) {
    this.recorder = new EventRecorder(client, { component: 'kubelet', host: opts.nodeName }, (e) => log('event not recorded', { error: String(e) }));
    this.informer = new Informer(client, PODS, { fieldSelector: `spec.nodeName=${opts.nodeName}`, transform: stripManagedFields, onError: (e) => log('pod watch failed', { error: String(e) }) });
    const enqueue = (p: KubeObject) => this.queue.add(keyOf(p));
    this.informer.addHandlers({
      onAdd: (p) => {
        const key = keyOf(p);
        traceMark(key, 'event');
        if (!this.workers.has(key)) this.starting.add(key);
        enqueue(p);
      },
      onUpdate: (_o, n) => {
        // the status this kubelet just wrote, coming back: nothing new to act on, but the worker
        // keeps this copy (the cache's own) rather than the one before it, so one pod is held once
        if (n.metadata.resourceVersion && this.written.get(keyOf(n)) === n.metadata.resourceVersion) {
          this.workers.get(keyOf(n))?.update(n);
          return;
        }
        enqueue(n);
      },
      onDelete: enqueue,
    });
  }

  async start(): Promise<void> {
    this.informer.start();
    await this.informer.waitForSync();
    await this.removeOrphans();
    this.running = runWorkers(this.queue, POD_WORKERS, (k) => this.sync(k), (k, e) => this.log('pod sync failed', { pod: k, error: String(e) }));
    this.resync = setInterval(() => void this.tick(), this.opts.resyncMs ?? 1000);
  }

  /**
   * The periodic pass, as upstream's PLEG relist plus its sync-frequency: a pod is queued when its
   * containers or sandbox changed state, a ConfigMap or Secret its volumes show changed, or it wants
   * a sync anyway (probes, waiting containers, the full resync). Pods at rest cost a few file reads.
   */
  private async tick(): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      // while pods wait for their first start, the syncs wanted anyway wait too (bounded); changes do not
      const defer = this.starting.size > 0 && this.deferredResyncs < MAX_DEFERRED_RESYNCS;
      this.deferredResyncs = defer ? this.deferredResyncs + 1 : 0;
      const now = Date.now();
      for (const [key, w] of [...this.workers]) {
        try {
          if ((!defer && w.wantsSync(now, this.opts.fullResyncMs ?? FULL_RESYNC_MS)) || (await w.containersChanged()) || (await w.volumeSourcesChanged())) this.queue.add(key);
        } catch (e) {
          this.log('pod relist failed', { pod: key, error: String(e) });
          this.queue.add(key);
        }
      }
    } finally {
      this.ticking = false;
    }
  }

  /** Containers of pods that are no longer bound here (deleted while the agent was down) go away. */
  private async removeOrphans(): Promise<void> {
    const uids = this.informer.list().map((p) => p.metadata.uid!);
    for (const id of await this.runtime.listContainers()) {
      const owned = uids.some((uid) => id === `pod-${uid}` || id.startsWith(`${uid.slice(0, 13)}-`));
      if (owned) continue;
      this.log('removing orphaned container', { container: id });
      if (id.startsWith('pod-')) {
        await this.opts.network?.tearDown(id, this.opts.network.status(id)?.sandboxPid).catch((e) => this.log('releasing an orphaned pod address failed', { sandbox: id, error: String(e) }));
        await this.runtime.removeSandbox(id).catch((e) => this.log('removing an orphaned pod sandbox failed', { sandbox: id, error: String(e) }));
        continue;
      }
      await this.runtime.stopContainer(id, 0).catch(() => {});
      await this.runtime.removeContainer(id).catch(() => {});
      this.runtime.removeLog(id);
    }
  }

  // a short-lived cache, as the kubelet's TTL-based ConfigMap/Secret manager: every
  // pod sync reads its sources, but the API sees at most one read per object a few seconds
  private readonly objectCache = new Map<string, { at: number; obj: KubeObject | undefined }>();

  /** pods' service account tokens, asked for with the node's own credentials */
  private readonly tokens = new ServiceAccountTokenManager((ns, sa, body) => this.client.request('POST', `/api/v1/namespaces/${encodeURIComponent(ns)}/serviceaccounts/${encodeURIComponent(sa)}/token`, body).then((r) => r.status));

  private async getObject(kind: 'configmaps' | 'secrets' | 'services' | 'runtimeclasses', namespace: string | undefined, name: string): Promise<KubeObject | undefined> {
    const key = `${kind}/${namespace}/${name}`;
    const hit = this.objectCache.get(key);
    if (hit && Date.now() - hit.at < 2000) return hit.obj;
    let obj: KubeObject | undefined;
    try {
      obj = await this.client.get<KubeObject>(kind === 'runtimeclasses' ? RUNTIME_CLASSES : { group: '', version: 'v1', plural: kind, namespaced: true }, namespace, name);
    } catch (e) {
      if ((e as { code?: number }).code !== 404) throw e;
    }
    this.objectCache.set(key, { at: Date.now(), obj });
    return obj;
  }

  /** For the node's exec endpoint: a command in a pod's running container. */
  async execInContainer(namespace: string, pod: string, container: string, command: string[]) {
    const id = this.workers.get(`${namespace}/${pod}`)?.state.containers.get(container)?.id;
    if (!id) return undefined;
    const st = await this.runtime.containerStatus(id);
    if (st?.state !== 'running') return undefined;
    return this.runtime.execStream(id, command);
  }

  /** For `kubectl exec -it`: a starter for a command on a terminal, once the client's size is known. */
  async execTtyInContainer(namespace: string, pod: string, container: string, command: string[]) {
    const id = await this.runningContainer(namespace, pod, container);
    return id ? (size: { cols: number; rows: number }) => this.runtime.execTty(id, command, size) : undefined;
  }

  /** For `kubectl attach`: where the main process's stdin and output are. */
  async attachTo(namespace: string, pod: string, container: string) {
    const id = await this.runningContainer(namespace, pod, container);
    const endpoint = id ? this.runtime.attachEndpoint(id) : undefined;
    return id && endpoint ? { endpoint, running: async () => (await this.runtime.containerStatus(id))?.state === 'running' } : undefined;
  }

  /** For `kubectl port-forward`: the running sandbox whose network namespace has the pod's ports. */
  async portForwardTarget(namespace: string, pod: string) {
    const w = this.workers.get(`${namespace}/${pod}`);
    const sandbox = w ? await this.runtime.sandboxStatus(w.state.sandboxId) : undefined;
    if (!w || !sandbox?.running || !sandbox.pid) return undefined;
    return { sandboxPid: sandbox.pid, podName: pod, podUid: w.current.metadata.uid ?? '', busybox: busyboxBinary() };
  }

  private async runningContainer(namespace: string, pod: string, container: string): Promise<string | undefined> {
    const id = this.workers.get(`${namespace}/${pod}`)?.state.containers.get(container)?.id;
    return id && (await this.runtime.containerStatus(id))?.state === 'running' ? id : undefined;
  }

  /** For the node's stats: each pod here with its app containers' ids. */
  podsForStats(): PodContainers[] {
    return [...this.workers.values()].map((w) => {
      const pod = w.current;
      const names = ((pod.spec as { containers?: Array<{ name: string }> })?.containers ?? []).map((c) => c.name);
      return {
        namespace: pod.metadata.namespace!,
        name: pod.metadata.name!,
        uid: pod.metadata.uid!,
        startTime: (pod.status as { startTime?: string } | undefined)?.startTime,
        containers: names.flatMap((name) => {
          const id = w.state.containers.get(name)?.id;
          return id ? [{ name, id }] : [];
        }),
      };
    });
  }

  /** For the eviction manager: pods here that still run (not finished, evicted or being deleted). */
  activePods(): ActivePod[] {
    const out: ActivePod[] = [];
    for (const [key, w] of this.workers) {
      const pod = w.current;
      if (pod.metadata.deletionTimestamp || isTerminalPod(pod) || w.isEvicted) continue;
      out.push({ key, pod, cgroup: `${this.opts.cgroupParent}/pod${pod.metadata.uid}`, containers: [...w.state.containers].map(([name, r]) => ({ name, id: r.id })) });
    }
    return out;
  }

  /**
   * Kills a pod for the eviction manager and writes it Failed with the eviction's reason. It goes
   * through the work queue, so it never runs alongside a sync of the same pod (which could start
   * a container while it is being killed); resolves once done.
   */
  evictPod(key: string, graceSeconds: number, reason: string, message: string, conditions: Array<Record<string, unknown>>): Promise<boolean> {
    const w = this.workers.get(key);
    if (!w || w.isEvicted) return Promise.resolve(false);
    return new Promise((resolve) => {
      this.evictions.get(key)?.resolve(false);
      this.evictions.set(key, { graceSeconds, reason, message, conditions, resolve });
      this.queue.add(key);
    });
  }

  /** An eviction asked for this pod: carried out before the sync that then writes its status. */
  private async runEviction(key: string): Promise<void> {
    const ev = this.evictions.get(key);
    if (!ev) return;
    this.evictions.delete(key);
    const w = this.workers.get(key);
    if (!w || w.isEvicted) return ev.resolve(false);
    try {
      await w.evict(ev.graceSeconds, ev.reason, ev.message, ev.conditions);
      ev.resolve(true);
    } catch (e) {
      ev.resolve(false);
      throw e;
    }
  }

  /** For the node's log endpoint. */
  logPath(namespace: string, pod: string, container: string, previous: boolean): string | undefined {
    return this.workers.get(`${namespace}/${pod}`)?.logPath(container, previous);
  }

  async stop(): Promise<void> {
    if (this.resync) clearInterval(this.resync);
    for (const ev of this.evictions.values()) ev.resolve(false);
    this.evictions.clear();
    this.informer.stop();
    this.queue.shutDown();
    await this.running;
  }

  /**
   * Admission of a pod this node has not started yet: a refused one is Failed with the
   * reason, as upstream's rejectPod, and never gets a worker.
   */
  private async rejected(pod: KubeObject): Promise<boolean> {
    const status = (pod.status ?? {}) as { phase?: string; startTime?: string };
    if (pod.metadata.deletionTimestamp || status.startTime || isTerminalPod(pod)) return false;
    const why = this.opts.admit?.(pod);
    if (!why) return false;
    this.recorder.event({ ...pod, apiVersion: 'v1', kind: 'Pod' }, 'Warning', 'Evicted', why);
    try {
      await this.client.update(PODS, { ...pod, status: { ...status, phase: 'Failed', reason: 'Evicted', message: `Pod was rejected: ${why}` } }, 'status');
    } catch (e) {
      if ((e as { code?: number }).code === 409) this.queue.add(keyOf(pod));
      else if ((e as { code?: number }).code !== 404) throw e;
    }
    return true;
  }

  private async sync(key: string): Promise<void> {
    traceMark(key, 'dequeue');
    try {
      await this.syncPod(key);
    } finally {
      this.starting.delete(key);
    }
  }

  private async syncPod(key: string): Promise<void> {
    await this.runEviction(key);
    const pod = this.informer.get(key);
    let worker = this.workers.get(key);
    if (!pod) {
      // gone from the API: make sure nothing of it still runs here
      if (worker) {
        await worker.stopAll(0);
        this.workers.delete(key);
      }
      this.written.delete(key);
      return;
    }
    if (worker && worker.current.metadata.uid !== pod.metadata.uid) {
      await worker.stopAll(0);
      worker = undefined;
    }
    if (!worker && (await this.rejected(pod))) return;
    if (!worker) {
      worker = new PodWorker(pod, this.runtime, this.images, { cgroupParent: this.opts.cgroupParent, nodeName: this.opts.nodeName, hostIP: this.opts.hostIP, rootDir: this.opts.rootDir, network: this.opts.network, dns: this.opts.dns, seccompDefault: this.opts.seccompDefault, runtimeClass: (name) => this.getObject('runtimeclasses', undefined, name), get: (kind, ns, name) => this.getObject(kind, ns, name), serviceAccountToken: (p, projection) => this.tokens.token(p, projection), services: this.opts.services, event: (p, type, reason, message, fieldPath) => this.recorder.event({ ...p, apiVersion: 'v1', kind: 'Pod' }, type, reason, message, fieldPath) });
      this.workers.set(key, worker);
    }
    worker.update(pod);
    if (pod.metadata.deletionTimestamp) {
      await worker.stopAll(pod.metadata.deletionGracePeriodSeconds ?? 30);
      this.workers.delete(key);
      // containers are gone: now the API object may go
      await this.client
        .delete(PODS, pod.metadata.namespace, pod.metadata.name!, { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid } })
        .catch((e) => {
          if (![404, 409].includes((e as { code?: number }).code ?? 0)) throw e;
        });
      return;
    }
    const status = await worker.sync();
    traceMark(key, 'status');
    if (sameStatus(status, pod.status as Record<string, unknown>)) return;
    const next = { ...pod, status };
    try {
      const saved = await this.client.update(PODS, next, 'status');
      if (saved.metadata.resourceVersion) this.written.set(key, saved.metadata.resourceVersion);
      traceMark(key, 'written');
      if (status.phase === 'Running') traceEnd(key);
    } catch (e) {
      if ((e as { code?: number }).code === 409) this.queue.add(key);
      else if ((e as { code?: number }).code !== 404) throw e;
    }
  }
}

/** Status equality that ignores nothing but key order. */
function sameStatus(a: Record<string, unknown>, b: Record<string, unknown> | undefined): boolean {
  if (!b) return false;
  const canon = (v: unknown): unknown => (Array.isArray(v) ? v.map(canon) : v && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canon((v as Record<string, unknown>)[k])])) : v);
  return JSON.stringify(canon(a)) === JSON.stringify(canon(b));
}
