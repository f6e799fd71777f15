// Plain Node and Pod objects for the scheduler's unit tests (no API server).
import type { KubeObject } from '../../../src/api/object.js';
import type { NodeInfo } from '../../../src/scheduler/fit.js';
import type { ClusterView } from '../../../src/scheduler/framework.js';

type Obj = Record<string, any>;

export function node(name: string, opts: { cpu?: string; memory?: string; labels?: Record<string, string>; taints?: Obj[]; unschedulable?: boolean; ready?: boolean; pods?: string } = {}): KubeObject {
  return {
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...opts.labels } },
    spec: { taints: opts.taints, unschedulable: opts.unschedulable },
    status: {
      allocatable: { cpu: opts.cpu ?? '4', memory: opts.memory ?? '8Gi', pods: opts.pods ?? '110', 'ephemeral-storage': '10Gi' },
      conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True' }],
    },
  };
}

export function pod(name: string, opts: { cpu?: string; memory?: string; storage?: string; labels?: Record<string, string>; spec?: Obj; priority?: number; namespace?: string; node?: string } = {}): KubeObject {
  const requests: Record<string, string> = {};
  if (opts.cpu) requests.cpu = opts.cpu;
  if (opts.memory) requests.memory = opts.memory;
  if (opts.storage) requests['ephemeral-storage'] = opts.storage;
  return {
    metadata: { name, namespace: opts.namespace ?? 'default', uid: `uid-${name}`, labels: opts.labels ?? {}, creationTimestamp: '2024-01-01T00:00:00Z' },
    spec: { containers: [{ name: 'c', image: 'x', resources: { requests } }], priority: opts.priority, nodeName: opts.node, ...opts.spec },
    status: {},
  };
}

export function info(n: KubeObject, ...pods: KubeObject[]): NodeInfo {
  return { node: n, pods };
}

export function view(nodes: NodeInfo[], nsLabels: Record<string, Record<string, string>> = {}): ClusterView {
  const placed = nodes.flatMap((i) => i.pods.map((p) => ({ pod: p, node: i.node })));
  return { nodes, antiPods: placed, affinityPods: placed, nsLabels: (ns) => nsLabels[ns] };
}
