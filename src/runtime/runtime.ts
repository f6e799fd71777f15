// The contract between the kubelet and whatever runs containers: pod sandboxes
// (the namespaces a pod's containers share) and containers. runtime/oci drives
// runc through OCI bundles; a simulated runtime can stand in for scale tests.

export interface Mount {
  destination: string;
  source: string;
  type: 'bind' | 'tmpfs';
  readOnly?: boolean;
  options?: string[];
}

export interface Resources {
  memoryLimitBytes?: number;
  cpuQuotaMicros?: number;
  cpuPeriodMicros?: number;
  cpuShares?: number;
  pidsLimit?: number;
}

export interface SandboxConfig {
  id: string;
  hostname: string;
  /** share the node's network namespace (spec.hostNetwork) instead of getting a new one */
  hostNetwork?: boolean;
  /** which OCI runtime runs this pod (a RuntimeClass's handler: runc, crun); the node's default when absent */
  runtimeHandler?: string;
}

export interface SandboxStatus {
  id: string;
  pid?: number;
  running: boolean;
  /** namespace paths containers join */
  netns?: string;
}

export interface ContainerConfig {
  id: string;
  sandboxId: string;
  /** the image's layers, read-only overlayfs lowers, topmost first */
  lowerDirs: string[];
  args: string[];
  env: string[];
  cwd: string;
  uid: number;
  gid: number;
  mounts: Mount[];
  resources: Resources;
  cgroupParent: string;
  readOnlyRootfs?: boolean;
  /** capability names as Kubernetes writes them (NET_ADMIN, ALL) */
  capabilities?: { add?: string[]; drop?: string[] };
  privileged?: boolean;
  noNewPrivileges?: boolean;
  /** keep the main process's stdin open for `kubectl attach` (spec.containers[].stdin) */
  stdin?: boolean;
  /** close that stdin when the first attached client leaves (stdinOnce) */
  stdinOnce?: boolean;
  /** give the main process a terminal (spec.containers[].tty) */
  tty?: boolean;
  /** another container of the pod whose PID namespace this one joins (an ephemeral container's targetContainerName) */
  pidNamespaceOf?: string;
  /** seccomp filter: the runtime's default profile, none (the default), or a given OCI linux.seccomp profile */
  seccomp?: { type: 'RuntimeDefault' } | { type: 'Unconfined' } | { type: 'Localhost'; profile: object };
}

/** Where a running container's main process can be attached to (conmon's attach socket, its log, its terminal). */
export interface AttachEndpoint {
  /** SOCK_SEQPACKET socket: bytes written go to the process's stdin */
  socketPath: string;
  /** sets the size of the process's terminal (a tty container); resolves once applied */
  resize(cols: number, rows: number): Promise<void>;
  /** the container's log, where its output goes */
  logPath: string;
  tty: boolean;
  stdin: boolean;
}

export type ContainerState = 'created' | 'running' | 'exited' | 'unknown';

export interface ContainerStatus {
  id: string;
  state: ContainerState;
  pid?: number;
  exitCode?: number;
  startedAt?: string;
  finishedAt?: string;
  oomKilled?: boolean;
  logPath: string;
}

/** A process on a terminal: one output stream, a size that can change. */
export interface TtyProcess {
  write(data: Buffer): void;
  resize(cols: number, rows: number): void;
  onData(handler: (data: Buffer) => void): void;
  onExit(handler: (code: number, signal?: number) => void): void;
  kill(): void;
}

/** A container's resource usage, read from its cgroup (cumulative CPU time, current working set). */
export interface ContainerStats {
  cpuUsageNanos: number;
  memoryWorkingSetBytes: number;
  /** when it was read */
  timestamp: number;
}

/** The runtime cannot run a pod with the handler it asked for (unknown, or its binary is missing). */
export class RuntimeHandlerError extends Error {}

/** The container whose PID namespace a new one should join is not running (upstream answers CreateContainerError). */
export class TargetNotRunningError extends Error {}

export interface Runtime {
  runSandbox(cfg: SandboxConfig): Promise<SandboxStatus>;
  sandboxStatus(id: string): Promise<SandboxStatus | undefined>;
  removeSandbox(id: string): Promise<void>;
  createContainer(cfg: ContainerConfig): Promise<ContainerStatus>;
  startContainer(id: string): Promise<void>;
  /** SIGTERM, then SIGKILL after the grace period; resolves when the process is gone */
  stopContainer(id: string, graceSeconds: number): Promise<void>;
  removeContainer(id: string): Promise<void>;
  containerStatus(id: string): Promise<ContainerStatus | undefined>;
  listContainers(): Promise<string[]>;
  /** runs a command in a running container; resolves with its exit code and output */
  exec(id: string, args: string[], timeoutMs: number): Promise<{ exitCode: number; output: string }>;
  /** starts a command in a running container with its stdio as pipes (kubectl exec) */
  execStream(id: string, args: string[]): import('node:child_process').ChildProcessWithoutNullStreams;
  /** starts a command in a running container on a terminal of the given size (kubectl exec -it) */
  execTty(id: string, args: string[], size: { cols: number; rows: number }): TtyProcess;
  /** how to attach to a container's main process; undefined when it has no monitor to attach through */
  attachEndpoint(id: string): AttachEndpoint | undefined;
  /** where a container's log is (kept after the container is removed, until removeLog) */
  logPath(id: string): string;
  removeLog(id: string): void;
  /** CPU and memory usage of a container, or undefined when it has no cgroup (not running) */
  containerStats?(id: string): Promise<ContainerStats | undefined>;
  /** the directory holding what the container wrote to its root filesystem (its ephemeral storage use) */
  writableLayerPath?(id: string): string;
}
