// The table of every served resource, with upstream's names, scopes, short names
// and categories (as `kubectl api-resources` shows them against a real cluster).
import type { ResourceInfo, ScaleSubresource, Strategy } from '../resource.js';
import { strategies } from './strategies.js';

const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

interface Spec {
  group: string;
  versions: string[];
  kind: string;
  plural: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  verbs?: string[];
  status?: boolean;
  scale?: ScaleSubresource;
  other?: string[];
  storageOf?: { group: string; plural: string };
}

const replicasScale = (selectorPath: string): ScaleSubresource => ({
  specReplicasPath: '.spec.replicas',
  statusReplicasPath: '.status.replicas',
  labelSelectorPath: selectorPath,
});

const specs: Spec[] = [
  // core/v1
  { group: '', versions: ['v1'], kind: 'Binding', plural: 'bindings', namespaced: true, verbs: ['create'] },
  { group: '', versions: ['v1'], kind: 'ConfigMap', plural: 'configmaps', namespaced: true, shortNames: ['cm'] },
  { group: '', versions: ['v1'], kind: 'Endpoints', plural: 'endpoints', namespaced: true, shortNames: ['ep'] },
  { group: '', versions: ['v1'], kind: 'Event', plural: 'events', namespaced: true, shortNames: ['ev'] },
  { group: '', versions: ['v1'], kind: 'LimitRange', plural: 'limitranges', namespaced: true, shortNames: ['limits'] },
  {
    group: '', versions: ['v1'], kind: 'Namespace', plural: 'namespaces', namespaced: false, shortNames: ['ns'],
    verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'], status: true, other: ['finalize'],
  },
  { group: '', versions: ['v1'], kind: 'Node', plural: 'nodes', namespaced: false, shortNames: ['no'], status: true, other: ['proxy'] },
  { group: '', versions: ['v1'], kind: 'PersistentVolumeClaim', plural: 'persistentvolumeclaims', namespaced: true, shortNames: ['pvc'], status: true },
  { group: '', versions: ['v1'], kind: 'PersistentVolume', plural: 'persistentvolumes', namespaced: false, shortNames: ['pv'], status: true },
  {
    group: '', versions: ['v1'], kind: 'Pod', plural: 'pods', namespaced: true, shortNames: ['po'], categories: ['all'], status: true,
    other: ['attach', 'binding', 'ephemeralcontainers', 'eviction', 'exec', 'log', 'portforward', 'proxy', 'resize'],
  },
  { group: '', versions: ['v1'], kind: 'PodTemplate', plural: 'podtemplates', namespaced: true },
  {
    group: '', versions: ['v1'], kind: 'ReplicationController', plural: 'replicationcontrollers', namespaced: true,
    shortNames: ['rc'], categories: ['all'], status: true, scale: replicasScale('.status.selector'),
  },
  { group: '', versions: ['v1'], kind: 'ResourceQuota', plural: 'resourcequotas', namespaced: true, shortNames: ['quota'], status: true },
  { group: '', versions: ['v1'], kind: 'Secret', plural: 'secrets', namespaced: true },
  { group: '', versions: ['v1'], kind: 'ServiceAccount', plural: 'serviceaccounts', namespaced: true, shortNames: ['sa'], other: ['token'] },
  { group: '', versions: ['v1'], kind: 'Service', plural: 'services', namespaced: true, shortNames: ['svc'], categories: ['all'], status: true, other: ['proxy'] },
  // apps/v1
  { group: 'apps', versions: ['v1'], kind: 'ControllerRevision', plural: 'controllerrevisions', namespaced: true },
  { group: 'apps', versions: ['v1'], kind: 'DaemonSet', plural: 'daemonsets', namespaced: true, shortNames: ['ds'], categories: ['all'], status: true },
  {
    group: 'apps', versions: ['v1'], kind: 'Deployment', plural: 'deployments', namespaced: true, shortNames: ['deploy'],
    categories: ['all'], status: true, scale: replicasScale('.status.selector'),
  },
  {
    group: 'apps', versions: ['v1'], kind: 'ReplicaSet', plural: 'replicasets', namespaced: true, shortNames: ['rs'],
    categories: ['all'], status: true, scale: replicasScale('.status.selector'),
  },
  {
    group: 'apps', versions: ['v1'], kind: 'StatefulSet', plural: 'statefulsets', namespaced: true, shortNames: ['sts'],
    categories: ['all'], status: true, scale: replicasScale('.status.selector'),
  },
  // autoscaling
  {
    group: 'autoscaling', versions: ['v2', 'v1'], kind: 'HorizontalPodAutoscaler', plural: 'horizontalpodautoscalers',
    namespaced: true, shortNames: ['hpa'], categories: ['all'], status: true,
  },
  // batch/v1
  { group: 'batch', versions: ['v1'], kind: 'CronJob', plural: 'cronjobs', namespaced: true, shortNames: ['cj'], categories: ['all'], status: true },
  { group: 'batch', versions: ['v1'], kind: 'Job', plural: 'jobs', namespaced: true, categories: ['all'], status: true },
  // coordination.k8s.io/v1
  { group: 'coordination.k8s.io', versions: ['v1'], kind: 'Lease', plural: 'leases', namespaced: true },
  // discovery.k8s.io/v1
  { group: 'discovery.k8s.io', versions: ['v1'], kind: 'EndpointSlice', plural: 'endpointslices', namespaced: true },
  // events.k8s.io/v1 (same objects as core/v1 events, another shape)
  {
    group: 'events.k8s.io', versions: ['v1'], kind: 'Event', plural: 'events', namespaced: true, shortNames: ['ev'],
    storageOf: { group: '', plural: 'events' },
  },
  // networking.k8s.io/v1
  { group: 'networking.k8s.io', versions: ['v1'], kind: 'IngressClass', plural: 'ingressclasses', namespaced: false },
  { group: 'networking.k8s.io', versions: ['v1'], kind: 'Ingress', plural: 'ingresses', namespaced: true, shortNames: ['ing'], status: true },
  { group: 'networking.k8s.io', versions: ['v1'], kind: 'NetworkPolicy', plural: 'networkpolicies', namespaced: true, shortNames: ['netpol'] },
  // node.k8s.io/v1: a RuntimeClass's handler picks the OCI runtime of the pods naming it
  { group: 'node.k8s.io', versions: ['v1'], kind: 'RuntimeClass', plural: 'runtimeclasses', namespaced: false },
  // policy/v1
  { group: 'policy', versions: ['v1'], kind: 'PodDisruptionBudget', plural: 'poddisruptionbudgets', namespaced: true, shortNames: ['pdb'], status: true },
  // rbac.authorization.k8s.io/v1
  { group: 'rbac.authorization.k8s.io', versions: ['v1'], kind: 'ClusterRoleBinding', plural: 'clusterrolebindings', namespaced: false },
  { group: 'rbac.authorization.k8s.io', versions: ['v1'], kind: 'ClusterRole', plural: 'clusterroles', namespaced: false },
  { group: 'rbac.authorization.k8s.io', versions: ['v1'], kind: 'RoleBinding', plural: 'rolebindings', namespaced: true },
  { group: 'rbac.authorization.k8s.io', versions: ['v1'], kind: 'Role', plural: 'roles', namespaced: true },
  // scheduling.k8s.io/v1
  { group: 'scheduling.k8s.io', versions: ['v1'], kind: 'PriorityClass', plural: 'priorityclasses', namespaced: false, shortNames: ['pc'] },
  // review APIs: answered from the request, never stored
  { group: 'authentication.k8s.io', versions: ['v1'], kind: 'SelfSubjectReview', plural: 'selfsubjectreviews', namespaced: false, verbs: ['create'] },
  { group: 'authentication.k8s.io', versions: ['v1'], kind: 'TokenReview', plural: 'tokenreviews', namespaced: false, verbs: ['create'] },
  { group: 'authorization.k8s.io', versions: ['v1'], kind: 'SelfSubjectAccessReview', plural: 'selfsubjectaccessreviews', namespaced: false, verbs: ['create'] },
  { group: 'authorization.k8s.io', versions: ['v1'], kind: 'SelfSubjectRulesReview', plural: 'selfsubjectrulesreviews', namespaced: false, verbs: ['create'] },
  { group: 'authorization.k8s.io', versions: ['v1'], kind: 'SubjectAccessReview', plural: 'subjectaccessreviews', namespaced: false, verbs: ['create'] },
  { group: 'authorization.k8s.io', versions: ['v1'], kind: 'LocalSubjectAccessReview', plural: 'localsubjectaccessreviews', namespaced: true, verbs: ['create'] },
  // storage.k8s.io/v1
  { group: 'storage.k8s.io', versions: ['v1'], kind: 'StorageClass', plural: 'storageclasses', namespaced: false, shortNames: ['sc'] },
];

function build(s: Spec): ResourceInfo {
  const strategy: Strategy = strategies[`${s.plural}.${s.group}`] ?? {};
  return {
    group: s.group,
    versions: s.versions,
    kind: s.kind,
    listKind: `${s.kind}List`,
    plural: s.plural,
    singular: s.kind.toLowerCase(),
    namespaced: s.namespaced,
    shortNames: s.shortNames ?? [],
    categories: s.categories ?? [],
    verbs: s.verbs ?? ALL_VERBS,
    subresources: { status: s.status, scale: s.scale, other: s.other },
    strategy,
    storageOf: s.storageOf,
  };
}

export const resources: readonly ResourceInfo[] = specs.map(build);

const byGroupPlural = new Map(resources.map((r) => [`${r.plural}.${r.group}`, r]));

export function findResource(group: string, plural: string): ResourceInfo | undefined {
  return byGroupPlural.get(`${plural}.${group}`);
}
