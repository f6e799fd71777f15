// OCI runtime configs (config.json) for sandboxes and containers, with the
// defaults upstream runtimes use (capabilities, masked paths, /dev, /proc).
import type { ContainerConfig, Mount } from '../runtime.js';

// The capability set containerd and CRI-O grant by default (NET_RAW included, as upstream).
export const DEFAULT_CAPABILITIES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];

const BASE_MOUNTS = [
  { destination: '/proc', type: 'proc', source: 'proc' },
  { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
  { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
  { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
  { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
  { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
  // the container's own cgroup, read-only, as containerd and CRI-O mount it
  { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] },
];

const MASKED = ['/proc/acpi', '/proc/asound', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list', '/proc/timer_stats', '/proc/sched_debug', '/sys/firmware', '/proc/scsi'];
const READONLY = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

function ociMount(m: Mount): object {
  if (m.type === 'tmpfs') return { destination: m.destination, type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', ...(m.options ?? [])] };
  return { destination: m.destination, type: 'bind', source: m.source, options: ['rbind', m.readOnly ? 'ro' : 'rw', ...(m.options ?? [])] };
}

// Every capability, for privileged containers.
const ALL_CAPABILITIES = [
  'CAP_AUDIT_CONTROL', 'CAP_AUDIT_READ', 'CAP_AUDIT_WRITE', 'CAP_BLOCK_SUSPEND', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE', 'CAP_CHOWN', 'CAP_DAC_OVERRIDE',
  'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_KILL', 'CAP_LEASE', 'CAP_LINUX_IMMUTABLE', 'CAP_MAC_ADMIN',
  'CAP_MAC_OVERRIDE', 'CAP_MKNOD', 'CAP_NET_ADMIN', 'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_RAW', 'CAP_PERFMON', 'CAP_SETFCAP', 'CAP_SETGID',
  'CAP_SETPCAP', 'CAP_SETUID', 'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_CHROOT', 'CAP_SYS_MODULE', 'CAP_SYS_NICE', 'CAP_SYS_PACCT', 'CAP_SYS_PTRACE',
  'CAP_SYS_RAWIO', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME', 'CAP_SYS_TTY_CONFIG', 'CAP_SYSLOG', 'CAP_WAKE_ALARM',
];

/** Kubernetes capability lists (add/drop, names without CAP_, "ALL") applied to the default set. */
export function capabilitySet(add: string[] = [], drop: string[] = [], privileged = false): string[] {
  if (privileged) return ALL_CAPABILITIES;
  const norm = (c: string) => (c.toUpperCase() === 'ALL' ? 'ALL' : `CAP_${c.toUpperCase().replace(/^CAP_/, '')}`);
  const d = drop.map(norm);
  let set = d.includes('ALL') ? [] : DEFAULT_CAPABILITIES.filter((c) => !d.includes(c));
  const a = add.map(norm);
  set = a.includes('ALL') ? ALL_CAPABILITIES : [...new Set([...set, ...a.filter((c) => ALL_CAPABILITIES.includes(c))])];
  return set;
}

export interface SpecInput {
  args: string[];
  env: string[];
  cwd: string;
  uid: number;
  gid: number;
  hostname?: string;
  readOnlyRootfs?: boolean;
  mounts: Mount[];
  cgroupsPath: string;
  resources?: ContainerConfig['resources'];
  /** namespace paths to join; absent types get new namespaces */
  joinNamespaces?: Partial<Record<'pid' | 'network' | 'ipc' | 'uts', string>>;
  noNewPrivileges?: boolean;
  capabilities?: { add?: string[]; drop?: string[] };
  privileged?: boolean;
  /** the process gets a terminal (its master goes to conmon through --console-socket) */
  terminal?: boolean;
  /** linux.seccomp; no filter when absent */
  seccomp?: object;
}

export function ociSpec(input: SpecInput): object {
  const caps = capabilitySet(input.capabilities?.add, input.capabilities?.drop, input.privileged);
  const namespaces = ['pid', 'mount', 'network', 'ipc', 'uts'].map((type) => {
    const path = input.joinNamespaces?.[type as 'pid' | 'network' | 'ipc' | 'uts'];
    return path ? { type, path } : { type };
  });
  const r = input.resources ?? {};
  const resources: Record<string, unknown> = { devices: [{ allow: !!input.privileged, access: 'rwm' }] };
  if (r.memoryLimitBytes) resources.memory = { limit: r.memoryLimitBytes };
  if (r.cpuQuotaMicros || r.cpuShares) resources.cpu = { ...(r.cpuShares ? { shares: r.cpuShares } : {}), ...(r.cpuQuotaMicros ? { quota: r.cpuQuotaMicros, period: r.cpuPeriodMicros ?? 100_000 } : {}) };
  if (r.pidsLimit) resources.pids = { limit: r.pidsLimit };
  return {
    ociVersion: '1.0.2',
    process: {
      terminal: input.terminal ?? false,
      user: { uid: input.uid, gid: input.gid },
      args: input.args,
      env: input.env,
      cwd: input.cwd || '/',
      capabilities: { bounding: caps, effective: caps, permitted: caps },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: input.noNewPrivileges ?? false,
    },
    root: { path: 'rootfs', readonly: input.readOnlyRootfs ?? false },
    hostname: input.hostname,
    // privileged containers see the host's /sys read-write, as with other runtimes
    mounts: [...BASE_MOUNTS.map((m) => (input.privileged && m.destination === '/sys' ? { ...m, options: ['nosuid', 'noexec', 'nodev', 'rw'] } : m)), ...input.mounts.map(ociMount)],
    linux: {
      cgroupsPath: input.cgroupsPath,
      resources,
      namespaces,
      maskedPaths: input.privileged ? [] : MASKED,
      readonlyPaths: input.privileged ? [] : READONLY,
      ...(input.seccomp ? { seccomp: input.seccomp } : {}),
    },
  };
}
