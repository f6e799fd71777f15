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
  cgroupParent: string;
  /** share the node's network namespace (spec.hostNetwork) instead of getting a new one */
  hostNetwork?: boolean;
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
  /** where a container's log is (kept after the container is removed, until removeLog) */
  logPath(id: string): string;
  removeLog(id: string): void;
}
