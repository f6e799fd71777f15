// GET/LIST of metrics.k8s.io/v1beta1 NodeMetrics and PodMetrics from the
// scraper's latest figures, as metrics-server serves them: the objects of the
// matching Nodes/Pods (label and field selectors, namespaces) that have usage.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errors } from '../../api/errors.js';
import type { KubeObject } from '../../api/object.js';
import { findResource } from '../../api/kinds/resources.js';
import type { ResourceRequest } from '../request-info.js';
import type { GenericRegistry } from '../registry/generic-registry.js';
import { buildPredicate } from '../handlers/predicate.js';
import { send } from '../http/respond.js';
import type { MetricsScraper, Usage } from './metrics-scraper.js';
import { METRICS_GROUP } from './metrics-resources.js';

const API_VERSION = `${METRICS_GROUP}/v1beta1`;

/** CPU in nanocores and memory in KiB, the units metrics-server answers in. */
function quantities(u: Usage): { cpu: string; memory: string } {
  return { cpu: `${Math.max(0, Math.round(u.cpu))}n`, memory: `${Math.round(u.memory / 1024)}Ki` };
}

export class MetricsApi {
  constructor(
    private readonly registry: GenericRegistry,
    private readonly scraper: MetricsScraper,
  ) {}

  async handle(_req: IncomingMessage, res: ServerResponse, r: ResourceRequest, q: URLSearchParams): Promise<void> {
    if (r.version !== 'v1beta1' || (r.resource !== 'nodes' && r.resource !== 'pods')) throw errors.notFound(METRICS_GROUP, r.resource, r.name ?? '');
    if (r.subresource) throw errors.notFound(METRICS_GROUP, `${r.resource}/${r.subresource}`, r.name ?? '');
    if (r.verb !== 'get' && r.verb !== 'list') throw errors.methodNotAllowed('the server does not allow this method on the requested resource');
    const nodes = r.resource === 'nodes';
    if (nodes && r.namespace) throw errors.notFound(METRICS_GROUP, 'nodes', r.name ?? '');
    const info = findResource('', r.resource)!;
    const ns = nodes ? undefined : r.namespace;
    if (r.verb === 'get') {
      const obj = await this.registry.get(info, 'v1', ns, r.name!);
      const m = nodes ? this.nodeMetrics(obj) : this.podMetrics(obj);
      if (!m) throw errors.notFound(METRICS_GROUP, r.resource, r.name!);
      return send(res, 200, m);
    }
    const list = await this.registry.list(info, 'v1', ns, { predicate: buildPredicate(info, q) });
    const items = list.items.map((o) => (nodes ? this.nodeMetrics(o) : this.podMetrics(o))).filter((m): m is KubeObject => !!m);
    send(res, 200, { kind: nodes ? 'NodeMetricsList' : 'PodMetricsList', apiVersion: API_VERSION, metadata: {}, items: items.map(({ kind: _k, apiVersion: _a, ...rest }) => rest) });
  }

  private meta(o: KubeObject): KubeObject['metadata'] {
    return { name: o.metadata.name, ...(o.metadata.namespace ? { namespace: o.metadata.namespace } : {}), creationTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), labels: o.metadata.labels ?? {} };
  }

  private nodeMetrics(node: KubeObject): KubeObject | undefined {
    const u = this.scraper.node(node.metadata.name!);
    if (!u) return undefined;
    return { kind: 'NodeMetrics', apiVersion: API_VERSION, metadata: this.meta(node), timestamp: u.timestamp, window: `${u.windowSeconds}s`, usage: quantities(u.usage) } as KubeObject;
  }

  private podMetrics(pod: KubeObject): KubeObject | undefined {
    const u = this.scraper.pod(pod.metadata.namespace!, pod.metadata.name!);
    if (!u) return undefined;
    return { kind: 'PodMetrics', apiVersion: API_VERSION, metadata: this.meta(pod), timestamp: u.timestamp, window: `${u.windowSeconds}s`, containers: u.containers.map((c) => ({ name: c.name, usage: quantities(c.usage) })) } as KubeObject;
  }
}
