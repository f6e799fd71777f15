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
];

const MASKED = ['/proc/acpi', '/proc/asound', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list', '/proc/timer_stats', '/proc/sched_debug', '/sys/firmware', '/proc/scsi'];
const READONLY = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

function ociMount(m: Mount): object {
  if (m.type === 'tmpfs') return { destination: m.destination, type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', ...(m.options ?? [])] };
  return { destination: m.destination, type: 'bind', source: m.source, options: ['rbind', m.readOnly ? 'ro' : 'rw', ...(m.options ?? [])] };
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
  joinNamespaces?: Partial<Record<'network' | 'ipc' | 'uts', string>>;
  noNewPrivileges?: boolean;
}

export function ociSpec(input: SpecInput): object {
  const caps = DEFAULT_CAPABILITIES;
  const namespaces = ['pid', 'mount', 'network', 'ipc', 'uts'].map((type) => {
    const path = input.joinNamespaces?.[type as 'network' | 'ipc' | 'uts'];
    return path ? { type, path } : { type };
  });
  const r = input.resources ?? {};
  const resources: Record<string, unknown> = { devices: [{ allow: false, access: 'rwm' }] };
  if (r.memoryLimitBytes) resources.memory = { limit: r.memoryLimitBytes };
  if (r.cpuQuotaMicros || r.cpuShares) resources.cpu = { ...(r.cpuShares ? { shares: r.cpuShares } : {}), ...(r.cpuQuotaMicros ? { quota: r.cpuQuotaMicros, period: r.cpuPeriodMicros ?? 100_000 } : {}) };
  if (r.pidsLimit) resources.pids = { limit: r.pidsLimit };
  return {
    ociVersion: '1.0.2',
    process: {
      terminal: false,
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
    mounts: [...BASE_MOUNTS, ...input.mounts.map(ociMount)],
    linux: {
      cgroupsPath: input.cgroupsPath,
      resources,
      namespaces,
      maskedPaths: MASKED,
      readonlyPaths: READONLY,
    },
  };
}
