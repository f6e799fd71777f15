// Per-kind strategies keyed by "<plural>.<group>" (core group is empty: "pods.").
import type { Strategy } from '../resource.js';
import type { KubeObject } from '../object.js';
import { field, type StatusCause } from '../errors.js';
import { addDefaultTolerations, defaultPodSpec, validatePodSpec } from './pod-defaults.js';
import { keepAllButEphemeralContainers, validateEphemeralContainers, validateEphemeralContainersUpdate, validateNoEphemeralContainersOnCreate } from './ephemeral-containers-rules.js';
import { hpaFromVersion, hpaToVersion } from '../conversion/hpa.js';
import { defaultHpa, validateHpa } from './hpa-rules.js';
import { validateLimitRange, validateResourceQuota } from './quota-rules.js';
import { coreEventToEventsV1, eventsV1ToCoreEvent } from '../conversion/events.js';
import { defaultTemplate, immutableSelector, validateSelectorAndTemplate } from './workload-rules.js';
import { dropTypeDependentFields } from './service-type-fields.js';
import { runtimeClassStrategy } from './runtime-class-rules.js';
import { networkPolicyStrategy } from './network-policy-rules.js';
import { pdbStrategy } from './pdb-rules.js';
import { cronJobStrategy } from './cronjob-rules.js';
import { defaultStatefulSetUpdateStrategy, validateStatefulSetUpdateStrategy } from './statefulset-rules.js';

type Obj = Record<string, any>;
const spec = (o: KubeObject): Obj => ((o.spec ??= {}) as Obj);
const clearStatus = (o: KubeObject) => {
  o.status = {};
};

function podQos(p: Obj): string {
  const cs: Obj[] = [...(p.spec?.containers ?? []), ...(p.spec?.initContainers ?? [])];
  let any = false;
  let guaranteed = cs.length > 0;
  for (const c of cs) {
    const req = c.resources?.requests ?? {};
    const lim = c.resources?.limits ?? {};
    if (Object.keys(req).length || Object.keys(lim).length) any = true;
    for (const r of ['cpu', 'memory']) {
      if (lim[r] === undefined || (req[r] !== undefined && String(req[r]) !== String(lim[r]))) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

const podStrategy: Strategy = {
  defaults(o) {
    defaultPodSpec(spec(o));
  },
  prepareForCreate(o) {
    o.status = { phase: 'Pending', qosClass: podQos(o) };
    addDefaultTolerations(spec(o));
  },
  validate: (o, old) => [
    ...validatePodSpec(o.spec as Obj, 'spec'),
    ...validateEphemeralContainers(o.spec as Obj, 'spec'),
    ...(old ? [] : validateNoEphemeralContainersOnCreate(o.spec as Obj)),
  ],
  // kubectl debug: containers added to a running pod, through their own subresource only
  subresources: { ephemeralcontainers: { prepareForUpdate: keepAllButEphemeralContainers, validateUpdate: validateEphemeralContainersUpdate } },
  validateUpdate(o, old) {
    // upstream: only images, activeDeadlineSeconds, tolerations (additions) and
    // terminationGracePeriodSeconds may change in a pod's spec
    const strip = (p: KubeObject) => {
      const s = structuredClone(p.spec ?? {}) as Obj;
      for (const c of [...(s.containers ?? []), ...(s.initContainers ?? [])]) delete c.image;
      delete s.activeDeadlineSeconds;
      delete s.tolerations;
      delete s.terminationGracePeriodSeconds;
      return JSON.stringify(s);
    };
    if (strip(o) !== strip(old)) {
      return [field.forbidden('spec', 'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)')];
    }
    return [];
  },
  selectableFields(o) {
    const s = (o.spec ?? {}) as Obj;
    const st = (o.status ?? {}) as Obj;
    return {
      'spec.nodeName': s.nodeName ?? '',
      'spec.restartPolicy': s.restartPolicy ?? '',
      'spec.schedulerName': s.schedulerName ?? '',
      'spec.serviceAccountName': s.serviceAccountName ?? '',
      'spec.hostNetwork': String(s.hostNetwork ?? false),
      'status.phase': st.phase ?? '',
      'status.podIP': st.podIP ?? '',
      'status.nominatedNodeName': st.nominatedNodeName ?? '',
    };
  },
};

function workload(opts: { defaults?: (o: KubeObject) => void; validate?: (o: KubeObject) => StatusCause[]; restartPolicies?: string[]; immutable?: boolean; plainSelector?: boolean; templatePath?: string; replicasField?: string }): Strategy {
  return {
    defaults(o) {
      opts.defaults?.(o);
      defaultTemplate(o, opts.templatePath);
    },
    prepareForCreate: clearStatus,
    validate: (o) => [...validateSelectorAndTemplate(o, { restartPolicies: opts.restartPolicies, plainSelector: opts.plainSelector, templatePath: opts.templatePath }), ...(opts.validate?.(o) ?? [])],
    validateUpdate: (o, old) => (opts.immutable ? immutableSelector(o, old) : []),
    selectableFields: (o) => ({ 'status.replicas': String(((o.status ?? {}) as Obj).replicas ?? 0) }),
  };
}

const ALWAYS = ['Always'];

const deploymentStrategy = workload({
  restartPolicies: ALWAYS,
  immutable: true,
  defaults(o) {
    const s = spec(o);
    s.replicas ??= 1;
    s.strategy ??= { type: 'RollingUpdate' };
    if ((s.strategy.type ?? 'RollingUpdate') === 'RollingUpdate') {
      s.strategy.type = 'RollingUpdate';
      s.strategy.rollingUpdate ??= {};
      s.strategy.rollingUpdate.maxUnavailable ??= '25%';
      s.strategy.rollingUpdate.maxSurge ??= '25%';
    }
    s.revisionHistoryLimit ??= 10;
    s.progressDeadlineSeconds ??= 600;
  },
});

const replicaSetStrategy = workload({ restartPolicies: ALWAYS, immutable: true, defaults: (o) => void (spec(o).replicas ??= 1) });

const replicationControllerStrategy = workload({
  restartPolicies: ALWAYS,
  plainSelector: true,
  defaults(o) {
    const s = spec(o);
    s.replicas ??= 1;
    const labels = s.template?.metadata?.labels;
    if ((!s.selector || Object.keys(s.selector).length === 0) && labels) s.selector = { ...labels };
    o.metadata.labels ??= labels ? { ...labels } : undefined;
    if (o.metadata.labels === undefined) delete o.metadata.labels;
  },
});

const statefulSetStrategy = workload({
  restartPolicies: ALWAYS,
  immutable: true,
  defaults(o) {
    const s = spec(o);
    s.replicas ??= 1;
    s.podManagementPolicy ??= 'OrderedReady';
    defaultStatefulSetUpdateStrategy(s);
    s.revisionHistoryLimit ??= 10;
    s.persistentVolumeClaimRetentionPolicy ??= { whenDeleted: 'Retain', whenScaled: 'Retain' };
  },
  validate: (o) => validateStatefulSetUpdateStrategy(spec(o)),
});

const daemonSetStrategy = workload({
  restartPolicies: ALWAYS,
  immutable: true,
  defaults(o) {
    const s = spec(o);
    s.updateStrategy ??= { type: 'RollingUpdate' };
    if (s.updateStrategy.type === 'RollingUpdate') s.updateStrategy.rollingUpdate ??= { maxUnavailable: 1, maxSurge: 0 };
    s.revisionHistoryLimit ??= 10;
  },
});

const jobStrategy: Strategy = {
  defaults(o) {
    const s = spec(o);
    // upstream: neither set -> both 1; parallelism alone -> a work queue (no completions)
    if (s.completions === undefined && s.parallelism === undefined) s.completions = 1;
    s.parallelism ??= 1;
    s.backoffLimit ??= 6;
    s.completionMode ??= 'NonIndexed';
    s.suspend ??= false;
    s.podReplacementPolicy ??= 'TerminatingOrFailed';
    s.manualSelector ??= undefined;
    if (s.manualSelector === undefined) delete s.manualSelector;
    defaultPodSpec(s.template?.spec);
  },
  prepareForCreate(o) {
    clearStatus(o);
    const s = spec(o);
    if (!s.manualSelector) {
      // the generated selector ties the job to its own pods by uid
      const uid = o.metadata.uid!;
      s.selector = { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } };
      const t = (s.template ??= {});
      t.metadata ??= {};
      t.metadata.labels = { ...(t.metadata.labels ?? {}), 'batch.kubernetes.io/controller-uid': uid, 'batch.kubernetes.io/job-name': o.metadata.name!, 'controller-uid': uid, 'job-name': o.metadata.name! };
    }
  },
  validate: (o) => validateSelectorAndTemplate(o, { restartPolicies: ['OnFailure', 'Never'] }),
  validateUpdate: (o, old) => immutableSelector(o, old),
  selectableFields: (o) => ({ 'status.successful': String(((o.status ?? {}) as Obj).succeeded ?? 0) }),
};

const SERVICE_TYPES = ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'];
const serviceStrategy: Strategy = {
  defaults(o) {
    const s = spec(o);
    s.type ??= 'ClusterIP';
    s.sessionAffinity ??= 'None';
    if (s.type !== 'ExternalName') {
      s.internalTrafficPolicy ??= 'Cluster';
      s.ipFamilyPolicy ??= 'SingleStack';
      s.ipFamilies ??= ['IPv4'];
    }
    if ((s.type === 'NodePort' || s.type === 'LoadBalancer') && !s.externalTrafficPolicy) s.externalTrafficPolicy = 'Cluster';
    for (const p of s.ports ?? []) {
      if (!p || typeof p !== 'object') continue;
      p.protocol ??= 'TCP';
      p.targetPort ??= p.port;
    }
  },
  prepareForCreate(o) {
    o.status = { loadBalancer: {} };
  },
  validate(o) {
    const s = spec(o);
    const causes: StatusCause[] = [];
    if (!SERVICE_TYPES.includes(s.type)) causes.push(field.notSupported('spec.type', s.type, SERVICE_TYPES));
    if (s.type === 'ExternalName') {
      if (!s.externalName) causes.push(field.required('spec.externalName'));
      return causes;
    }
    const ports: Obj[] = s.ports ?? [];
    if (ports.length === 0 && s.clusterIP !== 'None') causes.push(field.required('spec.ports'));
    const names = new Set<string>();
    ports.forEach((p, i) => {
      const path = `spec.ports[${i}]`;
      if (ports.length > 1 && !p.name) causes.push(field.required(`${path}.name`));
      if (p.name) {
        if (names.has(p.name)) causes.push(field.duplicate(`${path}.name`, p.name));
        names.add(p.name);
      }
      if (!Number.isInteger(p.port) || p.port < 1 || p.port > 65535) causes.push(field.invalid(`${path}.port`, p.port, 'must be between 1 and 65535, inclusive'));
      if (p.nodePort && s.type === 'ClusterIP') causes.push(field.forbidden(`${path}.nodePort`, 'may not be used when `type` is \'ClusterIP\''));
    });
    return causes;
  },
  validateUpdate(o, old) {
    const a = (o.spec as Obj | undefined)?.clusterIP;
    const b = (old.spec as Obj | undefined)?.clusterIP;
    if (b && a !== undefined && a !== b && (old.spec as Obj).type !== 'ExternalName' && (o.spec as Obj).type !== 'ExternalName') {
      return [field.invalid('spec.clusterIP', a, 'field is immutable')];
    }
    return [];
  },
  prepareForUpdate(o, old) {
    o.status = old.status;
    const s = o.spec as Obj | undefined;
    const os = old.spec as Obj | undefined;
    // an update that leaves the IP out (or empty) keeps it, as upstream's patchAllocatedValues
    if (s && os && !s.clusterIP && os.clusterIP) {
      s.clusterIP = os.clusterIP;
      if (os.clusterIPs && !(s.clusterIPs?.length)) s.clusterIPs = os.clusterIPs;
    }
    if (s && os) dropTypeDependentFields(s, os);
  },
};

const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;
function validateDataKeys(o: KubeObject, fields: string[]): StatusCause[] {
  const causes: StatusCause[] = [];
  let size = 0;
  for (const f of fields) {
    const data = o[f] as Record<string, unknown> | undefined;
    if (data === undefined || data === null) continue;
    if (typeof data !== 'object' || Array.isArray(data)) {
      causes.push(field.invalid(f, data, 'must be a map of string keys to string values'));
      continue;
    }
    for (const [k, v] of Object.entries(data)) {
      if (!CONFIG_KEY.test(k) || k.length > 253) causes.push(field.invalid(`${f}[${k}]`, k, "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"));
      if (typeof v !== 'string') causes.push(field.invalid(`${f}[${k}]`, v, 'must be a string'));
      else size += v.length;
    }
  }
  if (size > 1024 * 1024) causes.push(field.tooLong(fields[0], 1024 * 1024));
  return causes;
}

function immutableData(fields: string[]) {
  return (o: KubeObject, old: KubeObject): StatusCause[] => {
    if (old.immutable !== true) return [];
    const causes: StatusCause[] = [];
    if (o.immutable !== true) causes.push(field.forbidden('immutable', 'field is immutable when `immutable` is set'));
    for (const f of fields) if (JSON.stringify(o[f] ?? {}) !== JSON.stringify(old[f] ?? {})) causes.push(field.forbidden(f, 'field is immutable when `immutable` is set'));
    return causes;
  };
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const secretStrategy: Strategy = {
  defaults(o) {
    o.type ??= 'Opaque';
    // stringData is write-only: folded into data, as upstream does
    const sd = o.stringData as Record<string, string> | undefined;
    if (sd && typeof sd === 'object') {
      const data = ((o.data ??= {}) as Record<string, string>);
      for (const [k, v] of Object.entries(sd)) data[k] = Buffer.from(String(v)).toString('base64');
      delete o.stringData;
    }
  },
  validate(o) {
    const causes = validateDataKeys(o, ['data']);
    for (const [k, v] of Object.entries((o.data ?? {}) as Record<string, unknown>)) {
      if (typeof v === 'string' && (v.length % 4 !== 0 || !BASE64.test(v))) causes.push(field.invalid(`data[${k}]`, '<secret contents redacted>', 'must be base64 encoded'));
    }
    return causes;
  },
  validateUpdate(o, old) {
    const causes = immutableData(['data'])(o, old);
    if (o.type !== old.type) causes.push(field.immutable('type'));
    return causes;
  },
  selectableFields: (o) => ({ type: String(o.type ?? '') }),
};

const configMapStrategy: Strategy = {
  validate: (o) => validateDataKeys(o, ['data', 'binaryData']),
  validateUpdate: immutableData(['data', 'binaryData']),
};

const namespaceStrategy: Strategy = {
  prepareForUpdate(o, old) {
    o.status = old.status;
    // spec.finalizers change only through /finalize
    o.spec = old.spec;
  },
  selectableFields: (o) => ({ 'status.phase': String(((o.status ?? {}) as Obj).phase ?? '') }),
};

const nodeStrategy: Strategy = {
  prepareForCreate(o) {
    o.status ??= {};
  },
  selectableFields: (o) => ({ 'spec.unschedulable': String(((o.spec ?? {}) as Obj).unschedulable ?? false) }),
  // a node's pod CIDR is set once (by node IPAM or the agent); changing it would strand its pods
  validateUpdate(o, old) {
    const was = ((old.spec ?? {}) as Obj).podCIDR;
    const now = ((o.spec ?? {}) as Obj).podCIDR;
    if (was && now !== was) return [field.forbidden('spec.podCIDR', 'node updates may not change podCIDR except from "" to valid')];
    return [];
  },
};

const eventStrategy: Strategy = {
  selectableFields(o) {
    const io = (o.involvedObject ?? {}) as Obj;
    const src = (o.source ?? {}) as Obj;
    return {
      'involvedObject.kind': io.kind ?? '',
      'involvedObject.namespace': io.namespace ?? '',
      'involvedObject.name': io.name ?? '',
      'involvedObject.uid': io.uid ?? '',
      'involvedObject.apiVersion': io.apiVersion ?? '',
      'involvedObject.resourceVersion': io.resourceVersion ?? '',
      'involvedObject.fieldPath': io.fieldPath ?? '',
      reason: String(o.reason ?? ''),
      reportingComponent: String(o.reportingComponent ?? ''),
      source: String(src.component ?? ''),
      type: String(o.type ?? ''),
    };
  },
};

const roleBindingStrategy: Strategy = {
  validate(o) {
    const ref = o.roleRef as Obj | undefined;
    if (!ref?.name) return [field.required('roleRef.name')];
    if (!['Role', 'ClusterRole'].includes(ref.kind)) return [field.notSupported('roleRef.kind', ref.kind, ['ClusterRole', 'Role'])];
    return [];
  },
  validateUpdate: (o, old) => (JSON.stringify(o.roleRef) !== JSON.stringify(old.roleRef) ? [field.invalid('roleRef', o.roleRef, 'cannot change roleRef')] : []),
};

const priorityClassStrategy: Strategy = {
  defaults(o) {
    o.preemptionPolicy ??= 'PreemptLowerPriority';
  },
  validate: (o) => (typeof o.value !== 'number' ? [field.required('value')] : []),
  validateUpdate: (o, old) => (o.value !== old.value ? [field.forbidden('value', 'may not be changed in an update.')] : []),
};

const storageClassStrategy: Strategy = {
  defaults(o) {
    o.reclaimPolicy ??= 'Delete';
    o.volumeBindingMode ??= 'Immediate';
  },
  validate: (o) => (!o.provisioner ? [field.required('provisioner')] : []),
  validateUpdate: (o, old) => (o.provisioner !== old.provisioner ? [field.forbidden('provisioner', 'updates to provisioner are forbidden.')] : []),
};

const statusOnly: Strategy = { prepareForCreate: clearStatus };

export const strategies: Record<string, Strategy> = {
  'pods.': podStrategy,
  'deployments.apps': deploymentStrategy,
  'replicasets.apps': replicaSetStrategy,
  'statefulsets.apps': statefulSetStrategy,
  'daemonsets.apps': daemonSetStrategy,
  'replicationcontrollers.': replicationControllerStrategy,
  'jobs.batch': jobStrategy,
  'cronjobs.batch': cronJobStrategy,
  'services.': serviceStrategy,
  'secrets.': secretStrategy,
  'configmaps.': configMapStrategy,
  'namespaces.': namespaceStrategy,
  'nodes.': nodeStrategy,
  'events.': eventStrategy,
  'rolebindings.rbac.authorization.k8s.io': roleBindingStrategy,
  'clusterrolebindings.rbac.authorization.k8s.io': roleBindingStrategy,
  'priorityclasses.scheduling.k8s.io': priorityClassStrategy,
  'runtimeclasses.node.k8s.io': runtimeClassStrategy,
  'storageclasses.storage.k8s.io': storageClassStrategy,
  'horizontalpodautoscalers.autoscaling': {
    ...statusOnly,
    defaults: defaultHpa,
    validate: validateHpa,
    toVersion: hpaToVersion,
    fromVersion: hpaFromVersion,
  },
  'events.events.k8s.io': { toVersion: (o) => coreEventToEventsV1(o), fromVersion: (o) => eventsV1ToCoreEvent(o) },
  'poddisruptionbudgets.policy': pdbStrategy,
  'ingresses.networking.k8s.io': statusOnly,
  'networkpolicies.networking.k8s.io': networkPolicyStrategy,
  'persistentvolumeclaims.': { prepareForCreate: (o) => void (o.status = { phase: 'Pending' }) },
  'persistentvolumes.': { prepareForCreate: (o) => void (o.status = { phase: 'Pending' }) },
  'resourcequotas.': { ...statusOnly, validate: validateResourceQuota },
  'limitranges.': { validate: validateLimitRange },
};
