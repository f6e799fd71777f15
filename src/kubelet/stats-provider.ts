// The node's resource usage in the kubelet's Summary API shape (stats/v1alpha1):
// the node and each pod's containers, with CPU as cumulative core-nanoseconds and
// as a rate (usageNanoCores) taken between two samples, memory as working set.
// A background sampler keeps a recent sample so a scrape gets a rate at once.
import type { ContainerStats, Runtime } from '../runtime/runtime.js';
import { nodeUsage } from '../runtime/oci/cgroup-stats.js';

/** A pod on this node and the ids of its app containers. */
export interface PodContainers {
  namespace: string;
  name: string;
  uid: string;
  startTime?: string;
  containers: Array<{ name: string; id: string }>;
}

export interface CpuStats {
  time: string;
  usageNanoCores?: number;
  usageCoreNanoSeconds: number;
}

export interface MemoryStats {
  time: string;
  workingSetBytes: number;
  availableBytes?: number;
  usageBytes?: number;
}

export interface ContainerSummary {
  name: string;
  startTime?: string;
  cpu: CpuStats;
  memory: MemoryStats;
}

export interface PodSummary {
  podRef: { name: string; namespace: string; uid: string };
  startTime?: string;
  containers: ContainerSummary[];
  cpu: CpuStats;
  memory: MemoryStats;
}

export interface Summary {
  node: { nodeName: string; startTime?: string; cpu: CpuStats; memory: MemoryStats; systemContainers: never[] };
  pods: PodSummary[];
}

type Sample = Pick<ContainerStats, 'cpuUsageNanos' | 'timestamp'>;

/** A rate needs two samples at least this far apart to mean anything. */
const MIN_SPAN_MS = 1000;
const KEEP = 4;

export class StatsProvider {
  private readonly history = new Map<string, Sample[]>();
  private timer?: NodeJS.Timeout;
  private readonly bootTime = new Date(Date.now() - Math.round(process.uptime() * 1000)).toISOString();

  constructor(
    private readonly runtime: Runtime,
    private readonly pods: () => PodContainers[],
    private readonly nodeName: string,
    private readonly sampleEveryMs = 10_000,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.sampleAll().catch(() => {}), this.sampleEveryMs);
    this.timer.unref();
    void this.sampleAll().catch(() => {});
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Records a sample of everything now, so the next read has something to compare with. */
  private async sampleAll(): Promise<void> {
    this.record('node', { cpuUsageNanos: nodeUsage().cpuUsageNanos, timestamp: Date.now() });
    const live = new Set<string>(['node']);
    for (const p of this.pods()) {
      for (const c of p.containers) {
        live.add(c.id);
        const s = await this.runtime.containerStats?.(c.id);
        if (s) this.record(c.id, s);
      }
    }
    for (const k of this.history.keys()) if (!live.has(k)) this.history.delete(k);
  }

  private record(key: string, s: Sample): void {
    const h = this.history.get(key) ?? [];
    h.push(s);
    if (h.length > KEEP) h.shift();
    this.history.set(key, h);
  }

  /** The rate against the newest earlier sample far enough back; undefined without one. */
  private rate(key: string, now: Sample): number | undefined {
    const earlier = (this.history.get(key) ?? []).filter((s) => s.timestamp <= now.timestamp - MIN_SPAN_MS);
    const base = earlier[earlier.length - 1];
    if (!base || now.cpuUsageNanos < base.cpuUsageNanos) return undefined;
    return Math.round(((now.cpuUsageNanos - base.cpuUsageNanos) * 1000) / (now.timestamp - base.timestamp));
  }

  async summary(): Promise<Summary> {
    // nothing sampled yet (a fresh node): take a first sample and wait for the span a rate needs
    if (!this.history.has('node')) {
      await this.sampleAll();
      await new Promise((r) => setTimeout(r, MIN_SPAN_MS));
    }
    const pods: PodSummary[] = [];
    for (const p of this.pods()) {
      const containers: ContainerSummary[] = [];
      for (const c of p.containers) {
        const s = await this.runtime.containerStats?.(c.id);
        if (!s) continue;
        const time = new Date(s.timestamp).toISOString();
        containers.push({ name: c.name, cpu: { time, usageNanoCores: this.rate(c.id, s), usageCoreNanoSeconds: s.cpuUsageNanos }, memory: { time, workingSetBytes: s.memoryWorkingSetBytes } });
        this.record(c.id, s);
      }
      if (containers.length === 0) continue;
      const time = containers[0]!.cpu.time;
      const rates = containers.map((c) => c.cpu.usageNanoCores);
      pods.push({
        podRef: { name: p.name, namespace: p.namespace, uid: p.uid },
        startTime: p.startTime,
        containers,
        cpu: { time, usageNanoCores: rates.every((r) => r !== undefined) ? rates.reduce((a, b) => a! + b!, 0) : undefined, usageCoreNanoSeconds: containers.reduce((n, c) => n + c.cpu.usageCoreNanoSeconds, 0) },
        memory: { time, workingSetBytes: containers.reduce((n, c) => n + c.memory.workingSetBytes, 0) },
      });
    }
    const n = nodeUsage();
    const now = { cpuUsageNanos: n.cpuUsageNanos, timestamp: Date.now() };
    const time = new Date(now.timestamp).toISOString();
    const node = {
      nodeName: this.nodeName,
      startTime: this.bootTime,
      cpu: { time, usageNanoCores: this.rate('node', now), usageCoreNanoSeconds: n.cpuUsageNanos },
      memory: { time, workingSetBytes: n.memoryWorkingSetBytes, availableBytes: n.memoryAvailableBytes, usageBytes: n.memoryWorkingSetBytes },
      systemContainers: [] as never[],
    };
    this.record('node', now);
    return { node, pods };
  }
}
