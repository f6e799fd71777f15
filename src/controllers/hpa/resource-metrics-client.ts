// Pod usage for the HPA from metrics.k8s.io through the API (upstream's
// resource metrics client): per pod, the sum over its containers, in milli-units.
import type { RestClient } from '../../client/rest-client.js';
import { parseQuantity } from '../../kubelet/quantity.js';
import type { PodMetrics } from './replica-calculator.js';

export interface PodMetricsSource {
  podMetrics(namespace: string, resource: string, selector: string): Promise<PodMetrics>;
}

interface PodMetricsItem {
  metadata: { name: string };
  timestamp: string;
  window: string;
  containers: Array<{ name: string; usage: Record<string, string> }>;
}

/** "15s", "1m30s", "500ms" as milliseconds. */
function durationMs(s: string): number {
  let ms = 0;
  for (const [, n, unit] of s.matchAll(/([0-9.]+)(ms|s|m|h)/g)) ms += Number(n) * ({ ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[unit as 'ms' | 's' | 'm' | 'h']);
  return ms;
}

export class ResourceMetricsClient implements PodMetricsSource {
  constructor(private readonly client: RestClient) {}

  async podMetrics(namespace: string, resource: string, selector: string): Promise<PodMetrics> {
    const path = `/apis/metrics.k8s.io/v1beta1/namespaces/${encodeURIComponent(namespace)}/pods?labelSelector=${encodeURIComponent(selector)}`;
    const list = await this.client.request<{ items?: PodMetricsItem[] }>('GET', path);
    const out: PodMetrics = new Map();
    for (const item of list.items ?? []) {
      let value = 0;
      let complete = true;
      for (const c of item.containers) {
        const q = c.usage[resource];
        if (q === undefined) complete = false;
        else value += Math.round(parseQuantity(q) * 1000);
      }
      // a pod missing a container's figure has no usable figure at all
      if (!complete || item.containers.length === 0) continue;
      out.set(item.metadata.name, { value, timestamp: Date.parse(item.timestamp), windowMs: durationMs(item.window) });
    }
    return out;
  }
}
