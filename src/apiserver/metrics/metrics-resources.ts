// metrics.k8s.io/v1beta1 as metrics-server registers it: read-only NodeMetrics
// and PodMetrics, listed in discovery beside the stored resources so
// `kubectl top` finds the group. Nothing of it is stored.
import type { ResourceInfo } from '../../api/resource.js';

export const METRICS_GROUP = 'metrics.k8s.io';

const metricsResource = (kind: string, plural: string, namespaced: boolean): ResourceInfo => ({
  group: METRICS_GROUP,
  versions: ['v1beta1'],
  kind,
  listKind: `${kind}List`,
  plural,
  singular: '',
  namespaced,
  shortNames: [],
  categories: [],
  verbs: ['get', 'list'],
  subresources: {},
  strategy: {},
});

export const METRICS_RESOURCES: ResourceInfo[] = [metricsResource('NodeMetrics', 'nodes', false), metricsResource('PodMetrics', 'pods', true)];
