// Runs sandboxes and containers with runc (or crun, per pod: RuntimeClass
// handlers) through OCI bundles, each under a
// conmon monitor that keeps its exit code and writes its log in the CRI format,
// so nothing is lost when the agent restarts. Root filesystems are overlayfs
// mounts: the image's layers as read-only lowers, a writable upper per container.
import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync, readdirSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { isMounted, mountOverlay } from './mounts.js';
import { RuntimeHandlerError, TargetNotRunningError, type AttachEndpoint, type ContainerConfig, type ContainerStats, type ContainerStatus, type Runtime, type SandboxConfig, type SandboxStatus, type TtyProcess } from '../runtime.js';
import { spawnTtyExec } from './tty-exec.js';
import { setTerminalSize } from './terminal-size.js';
import { capabilitySet, ociSpec } from './oci-spec.js';
import { missingRuntimeMessage, resolveHandlers, type HandlerChoice, type OciRuntimeHandler } from './runtime-handlers.js';
import { defaultSeccompProfile } from './seccomp-profile.js';
import { cgroupUsage } from './cgroup-stats.js';
import { runningProcess, stillRunning } from './live-state.js';
import { execProgram, type Launcher } from '../launcher.js';
import { holderAlive, startSandboxHolder, stopSandboxHolder, type SandboxHolder } from './pinned-sandbox.js';
import { assertCgroupsMounted } from './cgroups.js';

/** A running container as containerStatus found it: what stays the same while it runs. */
interface RunningContainer {
  exitFile: string;
  pid: number;
  /** when runc wrote the pid file (a later process with the same pid is another one) */
  written: number;
  startedAt?: string;
  logPath: string;
}

function runningStatus(id: string, c: RunningContainer): ContainerStatus {
  return { id, state: 'running', pid: c.pid, startedAt: c.startedAt, logPath: c.logPath };
}

export interface OciRuntimeOptions {
  /** where bundles, logs and exit files live */
  stateDir: string;
  /** the busybox binary a sandbox's namespace holder runs (pinned-sandbox.ts) */
  busybox: string;
  /** starts conmon, runc and mount without forking the agent (the agent's; a child of this process each when absent) */
  launcher?: Launcher;
  /** the default runtime (runc unless chosen otherwise); other installed ones serve RuntimeClasses */
  runtime?: HandlerChoice;
  conmonPath?: string;
}

interface ContainerMeta {
  id: string;
  /** the runtime that created it (absent: the default, as before handlers existed) */
  handler?: string;
  startedAt?: string;
  sandboxId?: string;
  stdin?: boolean;
  tty?: boolean;
  /** a sandbox's namespace holder (sandboxes are not containers) */
  holder?: SandboxHolder;
}

export class OciRuntime implements Runtime {
  private readonly conmonPath: string;
  /** by handler name; the first is the node's default */
  private readonly handlers: Map<string, OciRuntimeHandler>;
  readonly defaultHandler: OciRuntimeHandler;
  /** containers' cgroup paths, by id, for stats */
  private readonly cgroupPaths = new Map<string, string>();

  constructor(private readonly opts: OciRuntimeOptions) {
    assertCgroupsMounted();
    this.conmonPath = opts.conmonPath ?? findBinary(['/usr/bin/conmon', '/usr/local/bin/conmon', '/usr/libexec/podman/conmon'], 'conmon (apt-get install conmon)');
    const handlers = resolveHandlers(opts.stateDir, opts.runtime);
    this.defaultHandler = handlers[0]!;
    this.handlers = new Map(handlers.map((h) => [h.name, h]));
  }

  /** The handlers this node can run pods with (for RuntimeClass lookups and the Node's status). */
  get handlerNames(): string[] {
    return [...this.handlers.keys()];
  }

  private dir(id: string): string {
    return join(this.opts.stateDir, 'containers', id);
  }

  private handlerNamed(name: string | undefined): OciRuntimeHandler {
    if (!name) return this.defaultHandler;
    const h = this.handlers.get(name);
    if (!h) throw new RuntimeHandlerError(`no runtime for "${name}" is configured on this node (${this.handlerNames.join(', ')} are): ${missingRuntimeMessage(name)}`);
    return h;
  }

  private readonly handlerCache = new Map<string, OciRuntimeHandler>();
  // Running containers as containerStatus last found them: what does not change while one runs
  // (meta, pid, paths), so the kubelet's check of every container every second is one exit-file
  // lookup and one /proc read, not eight file operations and a JSON parse each.
  private readonly running = new Map<string, RunningContainer>();
  /** Sandboxes' namespace holders, by sandbox id (also in their meta, for an agent that restarts). */
  private readonly holders = new Map<string, SandboxHolder>();

  /** The runtime a container was created with, from its meta on disk (containers outlive the agent). */
  private handlerOf(id: string): OciRuntimeHandler {
    const cached = this.handlerCache.get(id);
    if (cached) return cached;
    try {
      const meta = JSON.parse(readFileSync(join(this.dir(id), 'meta.json'), 'utf8')) as ContainerMeta;
      const h = this.handlers.get(meta.handler ?? '') ?? this.defaultHandler;
      this.handlerCache.set(id, h);
      return h;
    } catch {
      return this.defaultHandler;
    }
  }

  private oci(id: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
    const h = this.handlerOf(id);
    return this.program(h.path, ['--root', h.root, ...args]);
  }

  /** Runs a helper program to its end; rejects when it fails, with its stderr. */
  private program(file: string, args: string[], opts: { cwd?: string } = {}): Promise<{ stdout: string; stderr: string }> {
    return execProgram(this.opts.launcher, file, args, opts);
  }

  async runSandbox(cfg: SandboxConfig): Promise<SandboxStatus> {
    const handler = this.handlerNamed(cfg.runtimeHandler);
    const existing = await this.sandboxStatus(cfg.id);
    if (existing?.running) return existing;
    if (existing) await this.removeSandbox(cfg.id);
    const dir = this.dir(cfg.id);
    mkdirSync(dir, { recursive: true });
    // no container: one process holds the namespaces (pinned-sandbox.ts); the handler is the one its containers get
    const holder = await startSandboxHolder(this.opts.busybox, cfg.hostname, !!cfg.hostNetwork, this.opts.launcher);
    const meta: ContainerMeta = { id: cfg.id, handler: handler.name, holder };
    writeFileSync(join(dir, 'meta.json'), JSON.stringify(meta));
    this.handlerCache.set(cfg.id, handler);
    this.holders.set(cfg.id, holder);
    return { id: cfg.id, pid: holder.pid, running: true, netns: `/proc/${holder.pid}/ns/net` };
  }

  /** The process holding a sandbox's namespaces, from memory or its meta (undefined: no sandbox, or one made by runc before). */
  private holderOf(id: string): SandboxHolder | undefined {
    const known = this.holders.get(id);
    if (known) return known;
    try {
      const holder = (JSON.parse(readFileSync(join(this.dir(id), 'meta.json'), 'utf8')) as ContainerMeta).holder;
      if (holder) this.holders.set(id, holder);
      return holder;
    } catch {
      return undefined;
    }
  }

  async sandboxStatus(id: string): Promise<SandboxStatus | undefined> {
    const holder = this.holderOf(id);
    if (holder) {
      const running = holderAlive(holder);
      return { id, pid: holder.pid, running, netns: running ? `/proc/${holder.pid}/ns/net` : undefined };
    }
    // a sandbox container (a sleep under conmon) made by an agent before sandboxes were holder processes
    const st = await this.containerStatus(id);
    if (!st) return undefined;
    const running = st.state === 'running' && !!st.pid;
    return { id, pid: st.pid, running, netns: running ? `/proc/${st.pid}/ns/net` : undefined };
  }

  async removeSandbox(id: string): Promise<void> {
    const holder = this.holderOf(id);
    if (holder) {
      await stopSandboxHolder(holder);
      rmSync(this.dir(id), { recursive: true, force: true });
      this.holders.delete(id);
      this.handlerCache.delete(id);
      return;
    }
    await this.stopContainer(id, 0);
    await this.removeContainer(id);
    this.removeLog(id);
  }

  async createContainer(cfg: ContainerConfig): Promise<ContainerStatus> {
    const sandbox = await this.sandboxStatus(cfg.sandboxId);
    if (!sandbox?.running || !sandbox.pid) throw new Error(`sandbox ${cfg.sandboxId} is not running`);
    const ns = (t: string) => `/proc/${sandbox.pid}/ns/${t}`;
    // an ephemeral container with a target sees the target's processes (kubectl debug --target)
    const target = cfg.pidNamespaceOf ? await this.containerStatus(cfg.pidNamespaceOf) : undefined;
    if (cfg.pidNamespaceOf && (target?.state !== 'running' || !target.pid)) throw new TargetNotRunningError(`target container ${cfg.pidNamespaceOf} is not running`);
    const spec = ociSpec({
      seccomp: seccompFor(cfg),
      args: cfg.args,
      env: cfg.env,
      cwd: cfg.cwd,
      uid: cfg.uid,
      gid: cfg.gid,
      readOnlyRootfs: cfg.readOnlyRootfs,
      mounts: cfg.mounts,
      cgroupsPath: `${cfg.cgroupParent}/${cfg.id}`,
      resources: cfg.resources,
      joinNamespaces: { network: ns('net'), ipc: ns('ipc'), uts: ns('uts'), ...(target?.pid ? { pid: `/proc/${target.pid}/ns/pid` } : {}) },
      capabilities: cfg.capabilities,
      privileged: cfg.privileged,
      noNewPrivileges: cfg.noNewPrivileges,
      terminal: cfg.tty,
    });
    // a pod's containers run with its sandbox's runtime
    const pid = await this.createContainerInternal(this.handlerOf(cfg.sandboxId), cfg.id, cfg.lowerDirs, spec, cfg.sandboxId, { stdin: cfg.stdin, stdinOnce: cfg.stdinOnce, tty: cfg.tty });
    // just created, waiting for start: known without asking the runtime (a `runc state` per container)
    return { id: cfg.id, state: 'created', pid, logPath: this.logPath(cfg.id) };
  }

  /**
   * Creates the container under conmon; returns its pid. Its root is an overlay of
   * the image's layers with a writable upper of its own.
   */
  private async createContainerInternal(handler: OciRuntimeHandler, id: string, lowers: string[], spec: object, sandboxId: string, io: { stdin?: boolean; stdinOnce?: boolean; tty?: boolean } = {}): Promise<number | undefined> {
    this.running.delete(id);
    const dir = this.dir(id);
    const bundle = join(dir, 'bundle');
    const rootfs = join(bundle, 'rootfs');
    for (const d of [rootfs, join(dir, 'upper'), join(dir, 'work'), join(dir, 'exits'), join(dir, 'sock'), join(dir, 'persist'), join(this.opts.stateDir, 'logs')]) mkdirSync(d, { recursive: true });
    writeFileSync(join(bundle, 'config.json'), JSON.stringify(spec));
    const meta: ContainerMeta = { id, handler: handler.name, sandboxId, stdin: io.stdin, tty: io.tty };
    writeFileSync(join(dir, 'meta.json'), JSON.stringify(meta));
    this.handlerCache.set(id, handler);
    if (!isMounted(rootfs)) {
      await mountOverlay(lowers, join(dir, 'upper'), join(dir, 'work'), rootfs, (file, args, o) => this.program(file, args, o));
    }
    // conmon runs `runc create` (or crun's) and stays as the container's parent and log writer
    await this.program(this.conmonPath, [
      '--cid', id, '--cuuid', id, '--name', id,
      '--runtime', handler.createPath, `--runtime-arg=--root=${handler.root}`,
      '--bundle', bundle,
      '--container-pidfile', join(dir, 'pid'),
      '--conmon-pidfile', join(dir, 'conmon.pid'),
      '--log-path', `k8s-file:${this.logPath(id)}`,
      '--exit-dir', join(dir, 'exits'),
      '--socket-dir-path', join(dir, 'sock'),
      // conmon records an "oom" file here when the kernel OOM-kills the container
      '--persist-dir', join(dir, 'persist'),
      '--log-level', 'error',
      // stdin and a terminal are kept by conmon and reached through its attach socket, as CRI-O does
      ...(io.stdin ? ['--stdin', ...(io.stdinOnce ? [] : ['--leave-stdin-open'])] : []),
      ...(io.tty ? ['--terminal'] : []),
    ], { cwd: dir }); // conmon also drops an "oom" marker in its working directory: keep it in the container's
    // conmon returns once it has forked; the container exists when runc wrote its pid
    const deadline = Date.now() + 10_000;
    while (!existsSync(join(dir, 'pid'))) {
      if (existsSync(join(dir, 'exits', id))) throw new Error(`container ${id} failed to start: ${existsSync(this.logPath(id)) ? readFileSync(this.logPath(id), 'utf8').slice(-500) : 'see the agent log'}`);
      if (Date.now() > deadline) throw new Error(`container ${id} was not created within 10 s`);
      // runc create takes some tens of ms: look often at first, then less
      await new Promise((r) => setTimeout(r, Date.now() > deadline - 9_500 ? 10 : 2));
    }
    return Number(readFileSync(join(dir, 'pid'), 'utf8').trim()) || undefined;
  }

  /** Logs live apart from the container, so a restarted container's previous log stays readable. */
  logPath(id: string): string {
    return join(this.opts.stateDir, 'logs', `${id}.log`);
  }

  /** the overlay's upper directory: everything the container wrote outside its volumes */
  writableLayerPath(id: string): string {
    return join(this.dir(id), 'upper');
  }

  removeLog(id: string): void {
    rmSync(this.logPath(id), { force: true });
  }

  async startContainer(id: string): Promise<void> {
    const metaPath = join(this.dir(id), 'meta.json');
    const meta = JSON.parse(readFileSync(metaPath, 'utf8')) as ContainerMeta;
    await this.oci(id, ['start', id]);
    meta.startedAt = new Date().toISOString();
    writeFileSync(metaPath, JSON.stringify(meta));
  }

  exec(id: string, args: string[], timeoutMs: number): Promise<{ exitCode: number; output: string }> {
    const h = this.handlerOf(id);
    return new Promise((resolve) => {
      execFile(h.path, ['--root', h.root, 'exec', id, ...args], { timeout: timeoutMs, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
        resolve({ exitCode: code, output: `${stdout}${stderr}` });
      });
    });
  }

  execStream(id: string, args: string[]): ChildProcessWithoutNullStreams {
    const h = this.handlerOf(id);
    return spawn(h.path, ['--root', h.root, 'exec', id, ...args], { stdio: 'pipe' });
  }

  attachEndpoint(id: string): AttachEndpoint | undefined {
    const metaPath = join(this.dir(id), 'meta.json');
    if (!existsSync(metaPath)) return undefined;
    const meta = JSON.parse(readFileSync(metaPath, 'utf8')) as ContainerMeta;
    // conmon binds these in the bundle (reached through a short symlink in sock/ for the socket-path limit)
    const bundle = join(this.dir(id), 'bundle');
    const resize = async (cols: number, rows: number) => {
      const st = await this.containerStatus(id);
      if (st?.state === 'running' && st.pid) await setTerminalSize(st.pid, cols, rows);
    };
    return { socketPath: join(bundle, 'attach'), resize, logPath: this.logPath(id), tty: !!meta.tty, stdin: !!meta.stdin };
  }

  execTty(id: string, args: string[], size: { cols: number; rows: number }): TtyProcess {
    const h = this.handlerOf(id);
    // the container's process with our command and the client's terminal size, which the runtime
    // sets on the new terminal before the command starts (as containerd's consoleSize): the size
    // runc's foreground relay applies comes only after, and a command run at once saw 0 0
    const spec = JSON.parse(readFileSync(join(this.dir(id), 'bundle', 'config.json'), 'utf8')) as { process: Record<string, unknown> };
    const processFile = join(this.dir(id), `exec-${randomUUID()}.json`);
    writeFileSync(processFile, JSON.stringify({ ...spec.process, args, terminal: true, consoleSize: { height: size.rows, width: size.cols } }));
    const proc = spawnTtyExec(h.path, h.root, id, processFile, size);
    proc.onExit(() => rmSync(processFile, { force: true }));
    return proc;
  }

  async stopContainer(id: string, graceSeconds: number): Promise<void> {
    const st = await this.containerStatus(id);
    if (!st || st.state === 'exited' || st.state === 'unknown') return;
    if (graceSeconds > 0) {
      await this.oci(id, ['kill', id, 'TERM']).catch(() => {});
      const deadline = Date.now() + graceSeconds * 1000;
      while (Date.now() < deadline) {
        if ((await this.containerStatus(id))?.state !== 'running') return;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    await this.oci(id, ['kill', '--all', id, 'KILL']).catch(() => {});
    for (let i = 0; i < 50; i++) {
      if ((await this.containerStatus(id))?.state !== 'running') return;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async removeContainer(id: string): Promise<void> {
    this.cgroupPaths.delete(id);
    await this.oci(id, ['delete', '--force', id]).catch(() => {});
    const rootfs = join(this.dir(id), 'bundle', 'rootfs');
    if (isMounted(rootfs)) await this.program('umount', [rootfs]).catch(() => this.program('umount', ['-l', rootfs]));
    rmSync(this.dir(id), { recursive: true, force: true });
    this.handlerCache.delete(id);
    this.running.delete(id);
  }

  async containerStatus(id: string): Promise<ContainerStatus | undefined> {
    const known = this.running.get(id);
    if (known) {
      if (!existsSync(known.exitFile) && stillRunning(known.pid, known.written)) return runningStatus(id, known);
      this.running.delete(id);
    }
    const dir = this.dir(id);
    if (!existsSync(join(dir, 'meta.json'))) return undefined;
    const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as ContainerMeta;
    const logPath = this.logPath(id);
    const exitFile = join(dir, 'exits', id);
    if (existsSync(exitFile)) {
      const code = Number(readFileSync(exitFile, 'utf8').trim());
      return { id, state: 'exited', exitCode: Number.isFinite(code) ? code : 255, startedAt: meta.startedAt, finishedAt: statSync(exitFile).mtime.toISOString(), logPath, oomKilled: oomHappened(dir) };
    }
    // the common case needs no runtime process (live-state.ts)
    const live = runningProcess(dir, !!meta.startedAt);
    if (live) {
      const found = { exitFile, pid: live.pid, written: live.written, startedAt: meta.startedAt, logPath };
      this.running.set(id, found);
      return runningStatus(id, found);
    }
    try {
      const { stdout } = await this.oci(id, ['state', id]);
      const s = JSON.parse(stdout) as { status: string; pid?: number };
      const state = s.status === 'running' ? 'running' : s.status === 'created' ? 'created' : s.status === 'stopped' ? 'exited' : 'unknown';
      return { id, state, pid: s.pid || undefined, startedAt: meta.startedAt, logPath };
    } catch {
      return { id, state: 'unknown', startedAt: meta.startedAt, logPath };
    }
  }

  async containerStats(id: string): Promise<ContainerStats | undefined> {
    // config.json carries the seccomp profile (tens of KB): read it once per container, not every 10 s
    let cgroupsPath = this.cgroupPaths.get(id);
    if (cgroupsPath === undefined) {
      try {
        cgroupsPath = (JSON.parse(readFileSync(join(this.dir(id), 'bundle', 'config.json'), 'utf8')) as { linux?: { cgroupsPath?: string } }).linux?.cgroupsPath ?? '';
      } catch {
        return undefined;
      }
      this.cgroupPaths.set(id, cgroupsPath);
    }
    const usage = cgroupsPath ? cgroupUsage(cgroupsPath) : undefined;
    return usage && { ...usage, timestamp: Date.now() };
  }

  async listContainers(): Promise<string[]> {
    const d = join(this.opts.stateDir, 'containers');
    return existsSync(d) ? readdirSync(d) : [];
  }
}

/** linux.seccomp for a container: its own profile, the default for what it may do, or none. */
function seccompFor(cfg: ContainerConfig): object | undefined {
  // privileged containers run unconfined, as with containerd and CRI-O
  if (cfg.privileged || !cfg.seccomp || cfg.seccomp.type === 'Unconfined') return undefined;
  if (cfg.seccomp.type === 'Localhost') return cfg.seccomp.profile;
  return defaultSeccompProfile(capabilitySet(cfg.capabilities?.add, cfg.capabilities?.drop, false));
}

function findBinary(candidates: string[], what: string): string {
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`${what} is not installed; skiff needs it to run containers`);
  return found;
}


/** conmon leaves an "oom" file next to the exit file when the kernel OOM-killed the container. */
function oomHappened(dir: string): boolean {
  return existsSync(join(dir, 'persist', 'oom'));
}
