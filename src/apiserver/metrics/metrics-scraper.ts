// A small metrics-server in the control plane: every resolution period it asks
// each Ready node's endpoint for its Summary and keeps the latest usage of the
// node and of each pod's containers. CPU is the rate between this scrape and
// the previous one (cumulative core-seconds), as metrics-server computes it;
// the node's own usageNanoCores stands in until there are two scrapes.
import https from 'node:https';
import type { KubeObject } from '../../api/object.js';
import type { NodeClientCredentials } from '../handlers/pod-log.js';
import { nodeEndpoint } from '../handlers/pod-log.js';
import type { Summary } from '../../kubelet/stats-provider.js';

export interface Usage {
  /** nanocores */
  cpu: number;
  /** bytes */
  memory: number;
}

export interface PointInTime {
  timestamp: string;
  windowSeconds: number;
}

export interface NodeUsage extends PointInTime {
  usage: Usage;
}

export interface PodUsage extends PointInTime {
  namespace: string;
  name: string;
  node: string;
  containers: Array<{ name: string; usage: Usage }>;
}

interface Cumulative {
  cpuNanos: number;
  at: number;
}

export interface ScraperOptions {
  /** how often nodes are scraped (metrics-server's --metric-resolution, 15 s) */
  resolutionMs?: number;
  listNodes(): Promise<KubeObject[]>;
  credentials(): NodeClientCredentials | undefined;
  log(msg: string, extra?: Record<string, unknown>): void;
}

const isReady = (n: KubeObject) => ((n.status as { conditions?: Array<{ type: string; status: string }> } | undefined)?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

export class MetricsScraper {
  private readonly nodes = new Map<string, NodeUsage>();
  private readonly pods = new Map<string, PodUsage>();
  private readonly previous = new Map<string, Cumulative>();
  /** nodes whose last scrape failed: their failure is logged once, not every period */
  private readonly failing = new Set<string>();
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  readonly resolutionMs: number;

  constructor(private readonly opts: ScraperOptions) {
    this.resolutionMs = opts.resolutionMs ?? 15_000;
  }

  start(): void {
    const tick = () => {
      this.running ??= this.scrapeAll().finally(() => (this.running = undefined));
    };
    this.timer = setInterval(tick, this.resolutionMs);
    this.timer.unref();
    tick();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running?.catch(() => {});
  }

  node(name: string): NodeUsage | undefined {
    return this.nodes.get(name);
  }

  pod(namespace: string, name: string): PodUsage | undefined {
    return this.pods.get(`${namespace}/${name}`);
  }

  async scrapeAll(): Promise<void> {
    let nodes: KubeObject[];
    try {
      nodes = (await this.opts.listNodes()).filter(isReady);
    } catch (e) {
      this.opts.log('metrics scraper could not list nodes', { error: String(e) });
      return;
    }
    const seenNodes = new Set<string>();
    const seenPods = new Set<string>();
    await Promise.all(
      nodes.map(async (node) => {
        const name = node.metadata.name!;
        try {
          const s = await this.fetchSummary(node);
          this.store(s, seenNodes, seenPods);
          if (this.failing.delete(name)) this.opts.log('metrics scraper reaches node again', { node: name });
        } catch (e) {
          // once per failure streak: a cluster of unreachable nodes must not flood the log every period
          if (!this.failing.has(name)) this.opts.log('metrics scraper could not scrape node', { node: name, error: String(e) });
          this.failing.add(name);
          // keep what the node said last time until it answers again or goes away
          seenNodes.add(name);
          for (const [k, p] of this.pods) if (p.node === name) seenPods.add(k);
        }
      }),
    );
    const listed = new Set(nodes.map((n) => n.metadata.name!));
    for (const k of this.failing) if (!listed.has(k)) this.failing.delete(k);
    for (const k of this.nodes.keys()) if (!seenNodes.has(k)) this.nodes.delete(k);
    for (const k of this.pods.keys()) if (!seenPods.has(k)) this.pods.delete(k);
    // cumulative readings of what went away are of no further use
    const stale = Date.now() - 4 * this.resolutionMs - 60_000;
    for (const [k, v] of this.previous) if (v.at < stale) this.previous.delete(k);
  }

  /** A rate from two cumulative readings of one thing; the kubelet's own rate for the first. */
  private rate(key: string, cpuNanos: number, at: number, fallback: number | undefined): { cpu: number; windowSeconds: number } | undefined {
    const prev = this.previous.get(key);
    this.previous.set(key, { cpuNanos, at });
    if (prev && at > prev.at && cpuNanos >= prev.cpuNanos) {
      return { cpu: Math.round(((cpuNanos - prev.cpuNanos) * 1000) / (at - prev.at)), windowSeconds: Math.max(1, Math.round((at - prev.at) / 1000)) };
    }
    return fallback === undefined ? undefined : { cpu: fallback, windowSeconds: Math.round(this.resolutionMs / 1000) || 1 };
  }

  private store(s: Summary, seenNodes: Set<string>, seenPods: Set<string>): void {
    const n = s.node;
    const nodeAt = Date.parse(n.cpu.time);
    const nodeRate = this.rate(`node/${n.nodeName}`, n.cpu.usageCoreNanoSeconds, nodeAt, n.cpu.usageNanoCores);
    if (nodeRate) {
      this.nodes.set(n.nodeName, { timestamp: n.cpu.time, windowSeconds: nodeRate.windowSeconds, usage: { cpu: nodeRate.cpu, memory: n.memory.workingSetBytes } });
      seenNodes.add(n.nodeName);
    }
    for (const p of s.pods) {
      const key = `${p.podRef.namespace}/${p.podRef.name}`;
      const containers: PodUsage['containers'] = [];
      let windowSeconds = 0;
      for (const c of p.containers) {
        const r = this.rate(`pod/${p.podRef.uid}/${c.name}`, c.cpu.usageCoreNanoSeconds, Date.parse(c.cpu.time), c.cpu.usageNanoCores);
        if (!r) continue;
        windowSeconds = Math.max(windowSeconds, r.windowSeconds);
        containers.push({ name: c.name, usage: { cpu: r.cpu, memory: c.memory.workingSetBytes } });
      }
      // a pod is reported only when every container has a figure, as metrics-server does
      if (containers.length === 0 || containers.length !== p.containers.length) continue;
      const usage: PodUsage = { namespace: p.podRef.namespace, name: p.podRef.name, timestamp: p.cpu.time, windowSeconds, containers, node: n.nodeName };
      this.pods.set(key, usage);
      seenPods.add(key);
    }
  }

  private fetchSummary(node: KubeObject): Promise<Summary> {
    const creds = this.opts.credentials();
    if (!creds) return Promise.reject(new Error('no credentials for nodes'));
    const { host, port } = nodeEndpoint(node);
    return new Promise((resolve, reject) => {
      const req = https.request({ host, port, path: '/stats/summary', method: 'GET', cert: creds.certPem, key: creds.keyPem, rejectUnauthorized: false, timeout: 10_000 }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => {
          if (res.statusCode !== 200) return reject(new Error(`node answered ${res.statusCode}: ${text.slice(0, 200)}`));
          try {
            resolve(JSON.parse(text) as Summary);
          } catch (e) {
            reject(e as Error);
          }
        });
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error('timed out')));
      req.on('error', reject);
      req.end();
    });
  }
}
