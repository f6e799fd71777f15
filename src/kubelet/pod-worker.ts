// One pod's life on a node: its sandbox, init containers in order, containers
// restarted by restartPolicy with upstream's back-off, graceful termination,
// and the status written back. sync() is idempotent and called again whenever
// the pod or its containers change.
import { metaTime, type KubeObject } from '../api/object.js';
import { isTerminalPhase } from '../api/kinds/pod-phase.js';
import { RuntimeHandlerError, TargetNotRunningError, type ContainerStatus, type Runtime } from '../runtime/runtime.js';
import { containerSeccomp, SeccompConfigError } from './seccomp.js';
import { podRuntimeHandler, RuntimeClassError, type RuntimeClassGetter } from './runtime-class.js';
import { goDuration, mergeEnv, type ImageResolver } from './images.js';
import { CredentialsError, secretCredentials, type KeyedCredentials } from '../image/registry/credentials.js';
import { parseQuantity } from './quantity.js';
import { removeCgroup } from '../runtime/oci/cgroups.js';
import { containerMounts, MissingVolumeSource, podDir, setUpVolumes, tearDownVolumes, type ObjectGetter, type TokenSource } from './volumes.js';
import { resolveEnv, EnvError } from './env.js';
import type { ServiceLister } from './service-env.js';
import { ProbeState } from './probes.js';
import { busyboxBinary } from '../image/builtin-busybox.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import { hostname as osHostname } from 'node:os';
import { join } from 'node:path';
import type { PodNetwork, PodNetworkStatus } from '../network/pod-network.js';
import { hostPortMappings } from './host-ports.js';
import { runPostStart, stopWithPreStop, type HookContext } from './lifecycle-hooks.js';
import { podResolvConfText, type NodeDns } from './dns-config.js';
import { containerFieldPath, ephemeralContainers, ephemeralStatus, ephemeralTarget } from './ephemeral-containers.js';
import { traceMark } from './pod-start-trace.js';
import { hostNetworkHostsFile, nodeHostsFile, podHostname, podHostsFile } from './etc-hosts.js';

type Obj = Record<string, any>;

const BACKOFF_START_MS = 10_000;
const BACKOFF_MAX_MS = 300_000;

interface ContainerRecord {
  id: string;
  restartCount: number;
  backoffUntil?: number;
  lastTerminated?: Obj;
}

/** Where the worker reports what happens, as kubelet Events on the pod. */
export type PodEventSink = (pod: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string, fieldPath?: string) => void;

export interface PodRuntimeState {
  sandboxId: string;
  containers: Map<string, ContainerRecord>;
  initDone: Set<string>;
}

const nowTs = (): string => metaTime();

/** the pod conditions the worker computes itself */
const OWN_CONDITIONS = new Set(['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled']);

export function sandboxIdFor(pod: KubeObject): string {
  return `pod-${pod.metadata.uid}`;
}

function containerId(pod: KubeObject, name: string, attempt: number): string {
  return `${pod.metadata.uid!.slice(0, 13)}-${name}-${attempt}`;
}

function terminatedState(st: ContainerStatus, image: string): Obj {
  const code = st.exitCode ?? 0;
  return {
    terminated: {
      exitCode: code,
      reason: st.oomKilled ? 'OOMKilled' : code === 0 ? 'Completed' : 'Error',
      startedAt: st.startedAt?.replace(/\.\d{3}Z$/, 'Z') ?? null,
      finishedAt: st.finishedAt?.replace(/\.\d{3}Z$/, 'Z') ?? null,
      containerID: `runc://${st.id}`,
    },
    image,
  };
}

/** A container's state as the relist compares it. */
function stateKey(st: ContainerStatus | undefined): string {
  return st ? `${st.state}:${st.pid ?? ''}:${st.exitCode ?? ''}` : 'absent';
}

function sandboxKey(sb: { running: boolean; pid?: number } | undefined): string {
  return sb ? `${sb.running}:${sb.pid ?? ''}` : 'absent';
}

export class PodWorker {
  readonly state: PodRuntimeState;
  private volumeDirs = new Map<string, string>();
  private probes = new Map<string, ProbeState>();
  private sandboxPid?: number;
  private waiting = new Map<string, { reason: string; message?: string }>();
  private imageIDs = new Map<string, string>();
  private net?: PodNetworkStatus;
  private reportedMissingSecrets = false;
  /** what writeHosts last wrote, so a resync of an unchanged pod writes nothing */
  private written = { hosts: '', resolv: '' };
  /** set once the eviction manager killed the pod: its status no longer follows the containers */
  private evictedStatus?: Obj;
  private evicting = false;
  private removed = false;
  /**
   * The sandbox's network being set up (CNI ADD) during a sync: containers are created
   * meanwhile and only started once it is done; undefined outside sync().
   */
  private networkReady?: Promise<void>;
  private volumesSetUp?: Promise<unknown>;
  /** each container's and the sandbox's state as last seen (stateKey), so that a change is noticed without a sync */
  private readonly seen = new Map<string, string>();
  /** the resourceVersion of each ConfigMap and Secret the volumes were last made from (kind/namespace/name) */
  private volumeSources = new Map<string, string>();
  private lastSyncAt = 0;

  constructor(
    private pod: KubeObject,
    private readonly runtime: Runtime,
    private readonly images: ImageResolver,
    private readonly opts: { cgroupParent: string; nodeName: string; hostIP?: string; rootDir: string; get: ObjectGetter; serviceAccountToken?: TokenSource; services?: ServiceLister; event?: PodEventSink; network?: PodNetwork; dns?: NodeDns; runtimeClass?: RuntimeClassGetter; seccompDefault?: boolean },
  ) {
    this.state = { sandboxId: sandboxIdFor(pod), containers: new Map(), initDone: new Set() };
  }

  private event(type: 'Normal' | 'Warning', reason: string, message: string, container?: string, init = false): void {
    this.opts.event?.(this.pod, type, reason, message, container ? containerFieldPath(this.pod.spec as Obj, container, init) : undefined);
  }

  update(pod: KubeObject): void {
    this.pod = pod;
  }

  get isEvicted(): boolean {
    return this.evicting;
  }

  get current(): KubeObject {
    return this.pod;
  }

  private get key(): string {
    return `${this.pod.metadata.namespace}/${this.pod.metadata.name}`;
  }

  private get cgroupParent(): string {
    return `${this.opts.cgroupParent}/pod${this.pod.metadata.uid}`;
  }

  /** Brings the containers to what the spec asks; returns the status to write. */
  async sync(): Promise<Obj> {
    this.lastSyncAt = Date.now();
    const pod = this.pod;
    const spec = (pod.spec ?? {}) as Obj;
    const phase = (pod.status as Obj | undefined)?.phase;
    if (this.evictedStatus) return this.evictedStatus;
    if (this.evicting) return (pod.status ?? {}) as Obj;
    if (isTerminalPhase(phase)) {
      // an evicted pod's containers are gone (after an agent restart too): its status stays as written
      if ((pod.status as Obj).reason === 'Evicted') return pod.status as Obj;
      await this.stopAll(0, false);
      // a terminal phase never changes, whatever the restart policy would make of the containers
      return { ...(await this.status()), phase };
    }
    // volumes (a service account token request among them) need nothing of the sandbox: made while it is;
    // a sync given up before it awaited them leaves them running, and two never write the same files at once
    await this.volumesSetUp?.catch(() => {});
    const sources = new Map<string, string>();
    this.volumeSources = sources;
    const get: ObjectGetter = async (kind, ns, name) => {
      const obj = await this.opts.get(kind, ns, name);
      if (kind !== 'services') sources.set(`${kind}/${ns}/${name}`, obj?.metadata.resourceVersion ?? '');
      return obj;
    };
    const volumes = setUpVolumes(this.opts.rootDir, pod, get, this.opts.serviceAccountToken);
    this.volumesSetUp = volumes;
    volumes.catch(() => {}); // awaited below
    let runtimeHandler: string | undefined;
    try {
      runtimeHandler = await podRuntimeHandler(pod, this.opts.runtimeClass);
    } catch (e) {
      if (!(e instanceof RuntimeClassError)) throw e;
      return this.sandboxFailed(e.message);
    }
    let sandbox;
    try {
      sandbox = await this.runtime.runSandbox({ id: this.state.sandboxId, hostname: podHostname(pod, this.opts.dns?.clusterDomain).hostname, hostNetwork: !!spec.hostNetwork, runtimeHandler });
    } catch (e) {
      if (!(e instanceof RuntimeHandlerError)) throw e;
      return this.sandboxFailed(e.message);
    }
    if (!sandbox.running) throw new Error('pod sandbox is not running');
    traceMark(this.key, 'sandbox');
    this.sandboxPid = sandbox.pid;
    this.seen.set(this.state.sandboxId, sandboxKey(sandbox));
    this.networkReady = this.setUpNetwork(spec, sandbox.pid!);
    this.networkReady.catch(() => {}); // awaited before any container starts and before the status
    try {
      return await this.syncContainers(pod, spec, volumes);
    } finally {
      // a failed network setup fails the sync, whatever else happened
      const network = this.networkReady;
      this.networkReady = undefined;
      await network;
    }
  }

  /** Volumes, hosts files and containers in a running sandbox whose network may still be in the making. */
  private async syncContainers(pod: KubeObject, spec: Obj, volumes: Promise<Map<string, string>>): Promise<Obj> {
    try {
      this.volumeDirs = await volumes;
    } catch (e) {
      if (!(e instanceof MissingVolumeSource)) throw e;
      // upstream reports FailedMount and keeps the containers waiting
      for (const c of [...((spec.initContainers ?? []) as Obj[]), ...((spec.containers ?? []) as Obj[])]) {
        if (!this.state.containers.has(c.name)) this.waiting.set(c.name, { reason: 'ContainerCreating', message: `MountVolume.SetUp failed: ${e.message}` });
      }
      this.event('Warning', 'FailedMount', `MountVolume.SetUp failed: ${e.message}`);
      return this.status();
    }
    this.writeHosts(pod);
    traceMark(this.key, 'volumes');

    // init containers: one at a time, each to success
    for (const c of (spec.initContainers ?? []) as Obj[]) {
      if (this.state.initDone.has(c.name)) continue;
      const st = await this.ensureContainer(c, spec.restartPolicy === 'Never' ? 'Never' : 'OnFailure');
      if (st?.state === 'exited' && st.exitCode === 0) {
        this.state.initDone.add(c.name);
        continue;
      }
      return this.status();
    }
    for (const c of (spec.containers ?? []) as Obj[]) {
      const st = await this.ensureContainer(c, spec.restartPolicy ?? 'Always');
      if (st?.state === 'running') await this.probe(c, st);
    }
    // kubectl debug's containers: started once, never restarted
    for (const c of ephemeralContainers(spec)) {
      const target = ephemeralTarget(c, this.state.containers);
      if (target.ready) await this.ensureContainer(c, 'Never', target.pidNamespaceOf);
    }
    return this.status();
  }

  /** No sandbox can be made (RuntimeClass missing, its runtime absent): upstream's FailedCreatePodSandBox, the pod waits. */
  private sandboxFailed(why: string): Promise<Obj> {
    const message = `Failed to create pod sandbox: ${why}`;
    const spec = (this.pod.spec ?? {}) as Obj;
    const names = [...((spec.initContainers ?? []) as Obj[]), ...((spec.containers ?? []) as Obj[])].map((c) => c.name as string);
    if (names.some((n) => this.waiting.get(n)?.message !== message)) this.event('Warning', 'FailedCreatePodSandBox', message);
    for (const n of names) this.waiting.set(n, { reason: 'ContainerCreating', message });
    return this.status();
  }

  /** Starts a container if it is missing, restarts it if its policy says so. */
  private async ensureContainer(c: Obj, policy: string, pidNamespaceOf?: string): Promise<ContainerStatus | undefined> {
    let rec = this.state.containers.get(c.name) ?? (await this.adopt(c.name));
    let st = rec ? await this.runtime.containerStatus(rec.id) : undefined;
    if (rec && st?.state === 'created') {
      // created but never started (its start failed, or the agent stopped in between): made again,
      // as it may sit in the namespaces of a sandbox since replaced
      await this.runtime.removeContainer(rec.id);
      st = undefined;
    }
    if (rec && st?.state === 'exited') {
      const failed = (st.exitCode ?? 0) !== 0;
      const restart = policy === 'Always' || (policy === 'OnFailure' && failed);
      if (!restart) return st;
      const now = Date.now();
      if (rec.backoffUntil === undefined) {
        // upstream: 10s doubling to 5 minutes; the first restart is immediate
        const delay = rec.restartCount === 0 ? 0 : Math.min(BACKOFF_MAX_MS, BACKOFF_START_MS * 2 ** (rec.restartCount - 1));
        rec.backoffUntil = now + delay;
      }
      if (now < rec.backoffUntil) {
        if (this.waiting.get(c.name)?.reason !== 'CrashLoopBackOff') {
          this.event('Warning', 'BackOff', `Back-off restarting failed container ${c.name} in pod ${this.pod.metadata.name}_${this.pod.metadata.namespace}(${this.pod.metadata.uid})`, c.name);
        }
        this.waiting.set(c.name, { reason: 'CrashLoopBackOff', message: `back-off restarting failed container ${c.name} in pod ${this.pod.metadata.name}` });
        return st;
      }
      rec.lastTerminated = terminatedState(st, c.image);
      await this.runtime.removeContainer(rec.id);
      // the previous attempt's log stays for `kubectl logs --previous`; older ones go
      if (rec.restartCount > 0) this.runtime.removeLog(containerId(this.pod, c.name, rec.restartCount - 1));
      rec = { id: containerId(this.pod, c.name, rec.restartCount + 1), restartCount: rec.restartCount + 1, lastTerminated: rec.lastTerminated };
      this.state.containers.set(c.name, rec);
      st = undefined;
    }
    if (st && st.state !== 'unknown') return st;
    const found = await this.images.resolve(c.image, c.imagePullPolicy, {
      credentials: () => this.pullCredentials(),
      onPulling: () => this.event('Normal', 'Pulling', `Pulling image "${c.image}"`, c.name),
    });
    if ('failure' in found) {
      const f = found.failure;
      if (this.waiting.get(c.name)?.reason !== f.reason) this.event(f.eventType ?? 'Warning', f.eventReason, f.eventMessage, c.name);
      this.waiting.set(c.name, { reason: f.reason, message: f.message });
      return undefined;
    }
    const image = found.image;
    traceMark(this.key, 'image');
    this.imageIDs.set(c.name, image.imageID);
    let resolvedEnv: string[];
    try {
      resolvedEnv = await resolveEnv(c, this.pod, this.opts.get, this.opts.services);
    } catch (e) {
      if (!(e instanceof EnvError)) throw e;
      if (this.waiting.get(c.name)?.reason !== 'CreateContainerConfigError') this.event('Warning', 'Failed', `Error: ${e.message}`, c.name);
      this.waiting.set(c.name, { reason: 'CreateContainerConfigError', message: e.message });
      return undefined;
    }
    rec ??= { id: containerId(this.pod, c.name, 0), restartCount: 0 };
    this.state.containers.set(c.name, rec);
    const p = image.pulled;
    this.event('Normal', 'Pulled', p ? `Successfully pulled image "${c.image}" in ${goDuration(p.pullMs)} (${goDuration(p.totalMs)} including waiting). Image size: ${p.size} bytes.` : `Container image "${c.image}" already present on machine`, c.name);
    // upstream: command replaces the image's Entrypoint, args its Cmd; args alone keep the Entrypoint
    const command = (c.command as string[] | undefined) ?? image.entrypoint;
    const args = [...command, ...((c.args as string[] | undefined) ?? (c.command ? [] : image.cmd))];
    // HOSTNAME is the sandbox's hostname, as containerd sets it: the node's for hostNetwork pods
    const hostname = (this.pod.spec as Obj).hostNetwork ? osHostname() : podHostname(this.pod, this.opts.dns?.clusterDomain).hostname;
    const env = mergeEnv(['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', `HOSTNAME=${hostname}`], image.env, resolvedEnv);
    const sc = (c.securityContext ?? {}) as Obj;
    const psc = ((this.pod.spec as Obj).securityContext ?? {}) as Obj;
    const limits = (c.resources?.limits ?? {}) as Obj;
    const requests = (c.resources?.requests ?? {}) as Obj;
    const uid = sc.runAsUser ?? psc.runAsUser ?? image.uid ?? 0;
    if ((sc.runAsNonRoot ?? psc.runAsNonRoot) && uid === 0) {
      this.waiting.set(c.name, { reason: 'CreateContainerConfigError', message: 'container has runAsNonRoot and image will run as root' });
      return undefined;
    }
    const cpuRequest = requests.cpu ?? limits.cpu;
    let seccomp;
    try {
      seccomp = containerSeccomp(this.pod as Obj, c, { rootDir: this.opts.rootDir, seccompDefault: this.opts.seccompDefault });
    } catch (e) {
      if (!(e instanceof SeccompConfigError)) throw e;
      if (this.waiting.get(c.name)?.message !== e.message) this.event('Warning', 'Failed', `Error: ${e.message}`, c.name);
      this.waiting.set(c.name, { reason: 'CreateContainerError', message: e.message });
      return undefined;
    }
    const createFailed = await this.runtime.createContainer({
      pidNamespaceOf,
      seccomp,
      id: rec.id,
      sandboxId: this.state.sandboxId,
      lowerDirs: image.lowers,
      args,
      env,
      cwd: c.workingDir ?? image.workingDir ?? '/',
      uid,
      gid: sc.runAsGroup ?? psc.runAsGroup ?? image.gid ?? 0,
      mounts: [...containerMounts(c, this.volumeDirs), { destination: '/etc/hosts', source: join(podDir(this.opts.rootDir, this.pod), 'etc-hosts'), type: 'bind', readOnly: false }, ...(this.opts.dns ? [{ destination: '/etc/resolv.conf', source: join(podDir(this.opts.rootDir, this.pod), 'resolv.conf'), type: 'bind' as const, readOnly: false }] : [])],
      resources: {
        memoryLimitBytes: limits.memory ? parseQuantity(String(limits.memory)) : undefined,
        cpuQuotaMicros: limits.cpu ? Math.ceil(parseQuantity(String(limits.cpu)) * 100_000) : undefined,
        // upstream's shares: 1024 per requested core, at least 2
        cpuShares: cpuRequest ? Math.max(2, Math.round(parseQuantity(String(cpuRequest)) * 1024)) : 2,
        pidsLimit: 4096,
      },
      cgroupParent: this.cgroupParent,
      readOnlyRootfs: sc.readOnlyRootFilesystem === true,
      capabilities: sc.capabilities,
      privileged: sc.privileged === true,
      noNewPrivileges: sc.allowPrivilegeEscalation === false,
      stdin: c.stdin === true,
      stdinOnce: c.stdinOnce === true,
      tty: c.tty === true,
    }).then(() => undefined, (e: unknown) => e);
    if (createFailed !== undefined) return this.createFailed(c, createFailed);
    traceMark(this.key, 'create');
    this.event('Normal', 'Created', `Created container ${c.name}`, c.name);
    if (this.networkReady) {
      try {
        await this.networkReady;
      } catch (e) {
        // never started without its network; the next sync creates it again
        await this.runtime.removeContainer(rec.id);
        throw e;
      }
      traceMark(this.key, 'network');
      // the pod's address is known now: /etc/hosts gets it before anything reads it
      this.writeHosts(this.pod);
    }
    await this.runtime.startContainer(rec.id);
    traceMark(this.key, 'start');
    this.event('Normal', 'Started', `Started container ${c.name}`, c.name);
    this.waiting.delete(c.name);
    rec.backoffUntil = undefined;
    await runPostStart(this.hooks(c), rec.id, this.graceSeconds);
    return this.runtime.containerStatus(rec.id);
  }

  /** An ephemeral container whose target is not running waits (CreateContainerError) for a later sync; other failures are the sync's. */
  private createFailed(c: Obj, e: unknown): undefined {
    if (!(e instanceof TargetNotRunningError)) throw e;
    if (this.waiting.get(c.name)?.message !== e.message) this.event('Warning', 'Failed', `Error: ${e.message}`, c.name);
    this.waiting.set(c.name, { reason: 'CreateContainerError', message: e.message });
    return undefined;
  }

  /** Registry credentials from the pod's imagePullSecrets; missing or unreadable ones are reported, not fatal, as upstream. */
  private async pullCredentials(): Promise<KeyedCredentials[]> {
    const ns = this.pod.metadata.namespace!;
    const out: KeyedCredentials[] = [];
    const missing: string[] = [];
    for (const ref of ((this.pod.spec as Obj).imagePullSecrets ?? []) as Obj[]) {
      if (!ref?.name) continue;
      const secret = await this.opts.get('secrets', ns, ref.name);
      try {
        if (secret) out.push(...secretCredentials(secret as Obj, `${ns}/${ref.name}`));
        else missing.push(ref.name);
      } catch (e) {
        if (!(e instanceof CredentialsError)) throw e;
        missing.push(ref.name);
      }
    }
    if (missing.length && !this.reportedMissingSecrets) {
      this.reportedMissingSecrets = true;
      this.event('Warning', 'FailedToRetrieveImagePullSecret', `Unable to retrieve some image pull secrets (${missing.join(', ')}); attempting to pull the image may not succeed.`);
    }
    return out;
  }

  /** An address on the node's pod network for the sandbox; hostNetwork pods use the node's. */
  private async setUpNetwork(spec: Obj, sandboxPid: number): Promise<void> {
    if (spec.hostNetwork || !this.opts.network) return;
    try {
      this.net = await this.opts.network.setUp(this.state.sandboxId, sandboxPid, { namespace: this.pod.metadata.namespace!, name: this.pod.metadata.name!, uid: this.pod.metadata.uid! }, hostPortMappings(spec));
    } catch (e) {
      this.event('Warning', 'FailedCreatePodSandBox', `Failed to create pod sandbox: ${(e as Error).message}`);
      throw e;
    }
  }

  private get podIPs(): string[] {
    if ((this.pod.spec as Obj | undefined)?.hostNetwork) return this.opts.hostIP ? [this.opts.hostIP] : [];
    return this.net?.ips ?? this.opts.network?.status(this.state.sandboxId)?.ips ?? [];
  }

  /** /etc/hosts as the kubelet writes it: localhost and the pod's own name. */
  private writeHosts(pod: KubeObject): void {
    const dir = podDir(this.opts.rootDir, pod);
    // the pod's resolv.conf per its dnsPolicy (cluster DNS first, the node's, or its own dnsConfig)
    const resolv = this.opts.dns ? podResolvConfText(pod, this.opts.dns) : '';
    const hosts = (pod.spec as Obj | undefined)?.hostNetwork ? hostNetworkHostsFile(pod, nodeHostsFile()) : podHostsFile(pod, this.podIPs, this.opts.dns?.clusterDomain);
    // every sync (each pod, every second) comes here: the files are written when their text changes
    if (hosts === this.written.hosts && resolv === this.written.resolv) return;
    mkdirSync(dir, { recursive: true });
    if (resolv) writeFileSync(join(dir, 'resolv.conf'), resolv);
    writeFileSync(join(dir, 'etc-hosts'), hosts);
    this.written = { hosts, resolv };
  }

  /** The log of a container's current attempt, or of the one before it. */
  logPath(container: string, previous: boolean): string | undefined {
    const rec = this.state.containers.get(container);
    if (!rec) return undefined;
    if (!previous) return this.runtime.logPath(rec.id);
    return rec.restartCount > 0 ? this.runtime.logPath(containerId(this.pod, container, rec.restartCount - 1)) : undefined;
  }

  /** After an agent restart the containers are still there: take them back, newest attempt first. */
  private async adopt(name: string): Promise<ContainerRecord | undefined> {
    const prefix = `${this.pod.metadata.uid!.slice(0, 13)}-${name}-`;
    const attempts = (await this.runtime.listContainers())
      .filter((id) => id.startsWith(prefix) && /^\d+$/.test(id.slice(prefix.length)))
      .map((id) => Number(id.slice(prefix.length)))
      .sort((a, b) => b - a);
    if (!attempts.length) return undefined;
    const rec: ContainerRecord = { id: `${prefix}${attempts[0]}`, restartCount: attempts[0] };
    this.state.containers.set(name, rec);
    return rec;
  }

  /** Runs the container's due probes; a failed liveness or startup probe kills it, and its restart policy decides. */
  private async probe(c: Obj, st: ContainerStatus): Promise<void> {
    let ps = this.probes.get(c.name);
    if (!ps || ps.containerId !== st.id) {
      ps = new ProbeState(st.id, c);
      this.probes.set(c.name, ps);
    }
    if (!c.livenessProbe && !c.readinessProbe && !c.startupProbe) return;
    const startedAt = st.startedAt ? Date.parse(st.startedAt) : Date.now();
    const verdict = await ps.tick(startedAt, { runtime: this.runtime, containerId: st.id, sandboxPid: this.sandboxPid!, busybox: busyboxBinary(), containerPorts: c.ports ?? [] }, (m) => this.event('Warning', 'Unhealthy', m, c.name));
    if (verdict) {
      this.event('Normal', 'Killing', `Container ${c.name} ${verdict.startsWith('Startup') ? 'failed startup probe' : 'failed liveness probe'}, will be restarted`, c.name);
      await stopWithPreStop(this.hooks(c), st.id, this.graceSeconds);
    }
  }

  private get graceSeconds(): number {
    return ((this.pod.spec as Obj).terminationGracePeriodSeconds as number | undefined) ?? 30;
  }

  /** What lifecycle hooks (lifecycle-hooks.ts) need of this pod and one of its containers. */
  private hooks(c: Obj): HookContext {
    const m = this.pod.metadata;
    return { runtime: this.runtime, container: c, podDesc: `${m.name}_${m.namespace}(${m.uid})`, target: { runtime: this.runtime, sandboxPid: this.sandboxPid ?? 0, busybox: busyboxBinary(), containerPorts: c.ports ?? [] }, event: (type, reason, message) => this.event(type, reason, message, c.name) };
  }

  /**
   * Whether the pod wants a sync although nothing was seen to change: one is pending (a waiting
   * container: back-off, image, config, volume or sandbox trouble), a container has probes (they
   * run in the sync, each on its own period), or the periodic full sync is due.
   */
  wantsSync(now: number, fullResyncMs: number): boolean {
    if (now - this.lastSyncAt >= fullResyncMs) return true;
    if (this.evicting || this.evictedStatus || isTerminalPhase((this.pod.status as Obj | undefined)?.phase)) return false;
    if (this.waiting.size > 0) return true;
    const spec = (this.pod.spec ?? {}) as Obj;
    return ((spec.containers ?? []) as Obj[]).some((c) => c.livenessProbe || c.readinessProbe || c.startupProbe);
  }

  /**
   * A relist as upstream's PLEG: the sandbox's and containers' states, read from what the
   * runtime leaves on disk, against what was last seen; true when any changed (an exit, a
   * sandbox gone). Cheap enough for every pod every second, unlike a sync.
   */
  async containersChanged(): Promise<boolean> {
    let changed = false;
    const see = (id: string, key: string): void => {
      if (this.seen.get(id) !== key) changed = true;
      this.seen.set(id, key);
    };
    see(this.state.sandboxId, sandboxKey(await this.runtime.sandboxStatus(this.state.sandboxId)));
    for (const r of [...this.state.containers.values()]) see(r.id, stateKey(await this.runtime.containerStatus(r.id)));
    return changed;
  }

  /** Whether a ConfigMap or Secret the volumes show has changed since they were made (through the kubelet's short-lived object cache). */
  async volumeSourcesChanged(): Promise<boolean> {
    for (const [key, version] of this.volumeSources) {
      const [kind, ns, name] = key.split('/') as ['configmaps' | 'secrets', string, string];
      // the API out of reach: no news (the sync that follows it back reads them again)
      const obj = await this.opts.get(kind, ns, name).catch(() => null);
      if (obj !== null && (obj?.metadata.resourceVersion ?? '') !== version) return true;
    }
    return false;
  }

  /**
   * Node-pressure eviction (kubelet/eviction): the containers are killed with the given grace,
   * the pod is Failed with the eviction's reason, message and conditions, and what it held on
   * the node (writable layers, logs, emptyDirs, sandbox) is freed, as upstream's kubelet does
   * for a terminated pod.
   */
  async evict(graceSeconds: number, reason: string, message: string, conditions: Obj[]): Promise<void> {
    this.evicting = true;
    for (const name of this.state.containers.keys()) this.event('Normal', 'Killing', `Stopping container ${name}`, name);
    await this.stopAll(graceSeconds, false);
    const st = await this.status();
    const types = new Set(conditions.map((c) => c.type));
    const now = nowTs();
    this.evictedStatus = { ...st, phase: 'Failed', reason, message, conditions: [...(st.conditions as Obj[]).filter((c) => !types.has(c.type)), ...conditions.map((c) => ({ lastProbeTime: null, lastTransitionTime: now, ...c }))] };
    await this.removeAll();
  }

  /** preStop hooks, SIGTERM, grace period, SIGKILL for every container, then the sandbox. */
  async stopAll(graceSeconds: number, removeSandbox = true): Promise<void> {
    if (removeSandbox) for (const name of this.state.containers.keys()) this.event('Normal', 'Killing', `Stopping container ${name}`, name);
    const specOf = (name: string): Obj => [...((this.pod.spec as Obj).initContainers ?? []), ...((this.pod.spec as Obj).containers ?? [])].find((c: Obj) => c.name === name) ?? { name };
    await Promise.all([...this.state.containers].map(([name, r]) => stopWithPreStop(this.hooks(specOf(name)), r.id, graceSeconds)));
    if (removeSandbox) await this.removeAll();
  }

  /** Containers, logs, address, sandbox, cgroup and volumes go; once. */
  private async removeAll(): Promise<void> {
    if (this.removed) return;
    for (const [name, r] of this.state.containers) {
      await this.runtime.removeContainer(r.id);
      this.runtime.removeLog(r.id);
      if (r.restartCount > 0) this.runtime.removeLog(containerId(this.pod, name, r.restartCount - 1));
    }
    // the address goes back to the pool before the namespace does (DEL also works once it is gone)
    await this.opts.network?.tearDown(this.state.sandboxId, this.sandboxPid ?? this.opts.network.status(this.state.sandboxId)?.sandboxPid, hostPortMappings((this.pod.spec ?? {}) as Obj));
    await this.runtime.removeSandbox(this.state.sandboxId);
    removeCgroup(this.cgroupParent, this.opts.cgroupParent);
    tearDownVolumes(this.opts.rootDir, this.pod);
    this.state.containers.clear();
    this.removed = true;
  }

  private async status(): Promise<Obj> {
    // the pod's IPs come from its network
    await this.networkReady;
    const pod = this.pod;
    const spec = (pod.spec ?? {}) as Obj;
    const prev = (pod.status ?? {}) as Obj;
    const describe = async (c: Obj, init: boolean): Promise<Obj> => {
      const rec = this.state.containers.get(c.name);
      const st = rec ? await this.runtime.containerStatus(rec.id) : undefined;
      // an exit seen here is left for the relist to notice: the sync that restarts it must still come
      if (rec && st?.state !== 'exited') this.seen.set(rec.id, stateKey(st));
      const out: Obj = { name: c.name, image: c.image, imageID: this.imageIDs.get(c.name) ?? '', ready: false, restartCount: rec?.restartCount ?? 0, started: false };
      if (rec) out.containerID = `runc://${rec.id}`;
      const wait = this.waiting.get(c.name);
      if (st?.state === 'running' && !wait) {
        out.state = { running: { startedAt: st.startedAt?.replace(/\.\d{3}Z$/, 'Z') ?? nowTs() } };
        const ps = this.probes.get(c.name);
        const fresh = ps?.containerId === st.id ? ps : undefined;
        out.started = fresh ? fresh.started : !c.startupProbe;
        out.ready = !init && out.started && (fresh ? fresh.ready : !c.readinessProbe);
      } else if (st?.state === 'exited' && !wait) {
        out.state = { terminated: terminatedState(st, c.image).terminated };
      } else {
        out.state = { waiting: { reason: wait?.reason ?? (init ? 'PodInitializing' : 'ContainerCreating'), ...(wait?.message ? { message: wait.message } : {}) } };
      }
      if (wait?.reason === 'CrashLoopBackOff' && st?.state === 'exited') out.lastState = { terminated: terminatedState(st, c.image).terminated };
      else if (rec?.lastTerminated) out.lastState = { terminated: rec.lastTerminated.terminated };
      else out.lastState = {};
      return out;
    };
    const initStatuses = await Promise.all(((spec.initContainers ?? []) as Obj[]).map((c) => describe(c, true)));
    const statuses = await Promise.all(((spec.containers ?? []) as Obj[]).map((c) => describe(c, false)));
    const ephemeralStatuses = await Promise.all(ephemeralContainers(spec).map(async (c) => ephemeralStatus(await describe(c, false))));
    const initialized = ((spec.initContainers ?? []) as Obj[]).every((c) => this.state.initDone.has(c.name));
    const allReady = statuses.length > 0 && statuses.every((s) => s.ready);
    const terminated = statuses.map((s) => s.state.terminated).filter(Boolean) as Obj[];
    let phase = 'Pending';
    const restartPolicy = spec.restartPolicy ?? 'Always';
    const initFailed = initStatuses.some((s) => s.state.terminated && s.state.terminated.exitCode !== 0) && restartPolicy === 'Never';
    if (initFailed) phase = 'Failed';
    else if (terminated.length === statuses.length && statuses.length > 0 && restartPolicy !== 'Always') {
      const allOk = terminated.every((t) => t.exitCode === 0);
      if (allOk) phase = 'Succeeded';
      else if (restartPolicy === 'Never') phase = 'Failed';
      else phase = 'Running';
    } else if (statuses.some((s) => s.state.running || s.state.terminated)) phase = 'Running';
    const cond = (type: string, ok: boolean, reason?: string): Obj => {
      const old = (prev.conditions ?? []).find((x: Obj) => x.type === type);
      const status = ok ? 'True' : 'False';
      return { type, status, lastProbeTime: null, lastTransitionTime: old?.status === status ? old.lastTransitionTime : nowTs(), ...(ok || !reason ? {} : { reason }) };
    };
    const done = isTerminalPhase(phase);
    return {
      ...prev,
      phase,
      hostIP: this.opts.hostIP ?? prev.hostIP,
      hostIPs: this.opts.hostIP ? [{ ip: this.opts.hostIP }] : prev.hostIPs,
      ...(this.podIPs.length ? { podIP: this.podIPs[0], podIPs: this.podIPs.map((ip) => ({ ip })) } : {}),
      startTime: prev.startTime ?? nowTs(),
      conditions: [
        cond('PodReadyToStartContainers', true),
        cond('Initialized', initialized, 'ContainersNotInitialized'),
        cond('Ready', allReady && !done, done ? 'PodCompleted' : 'ContainersNotReady'),
        cond('ContainersReady', allReady && !done, done ? 'PodCompleted' : 'ContainersNotReady'),
        cond('PodScheduled', true),
        // conditions others set (DisruptionTarget from an eviction) stay
        ...((prev.conditions ?? []) as Obj[]).filter((c) => !OWN_CONDITIONS.has(c.type)),
      ],
      ...(initStatuses.length ? { initContainerStatuses: initStatuses } : {}),
      containerStatuses: statuses,
      ...(ephemeralStatuses.length ? { ephemeralContainerStatuses: ephemeralStatuses } : {}),
    };
  }
}

export { parseQuantity } from './quantity.js';
