// Defaulting and validation of pod specs (pods and every pod template), as
// upstream's core/v1 SetDefaults_* and ValidatePodSpec do for the common fields.
import { field, type StatusCause } from '../errors.js';
import { dns1123Label } from '../validation/names.js';

type Obj = Record<string, any>;

const PROTOCOLS = ['TCP', 'UDP', 'SCTP'];

function defaultContainer(c: Obj): void {
  c.terminationMessagePath ??= '/dev/termination-log';
  c.terminationMessagePolicy ??= 'File';
  if (c.imagePullPolicy === undefined && typeof c.image === 'string') {
    const ref = c.image.split('@')[0];
    const tag = ref.lastIndexOf(':') > ref.lastIndexOf('/') ? ref.slice(ref.lastIndexOf(':') + 1) : '';
    c.imagePullPolicy = c.image.includes('@') ? 'IfNotPresent' : !tag || tag === 'latest' ? 'Always' : 'IfNotPresent';
  }
  c.resources ??= {};
  for (const p of c.ports ?? []) p.protocol ??= 'TCP';
  for (const probe of [c.livenessProbe, c.readinessProbe, c.startupProbe]) {
    if (!probe) continue;
    probe.timeoutSeconds ??= 1;
    probe.periodSeconds ??= 10;
    probe.successThreshold ??= 1;
    probe.failureThreshold ??= 3;
    if (probe.httpGet) {
      probe.httpGet.path ??= '/';
      probe.httpGet.scheme ??= 'HTTP';
    }
  }
  for (const e of c.env ?? []) {
    if (e.valueFrom?.fieldRef) e.valueFrom.fieldRef.apiVersion ??= 'v1';
  }
}

/**
 * Upstream's DefaultTolerationSeconds admission: a new pod tolerates its node
 * being not-ready or unreachable for 300 s before the node lifecycle
 * controller evicts it, unless it says otherwise.
 */
export function addDefaultTolerations(spec: Obj | undefined, seconds = 300): void {
  if (!spec || typeof spec !== 'object') return;
  const tolerations: Obj[] = Array.isArray(spec.tolerations) ? spec.tolerations : [];
  for (const key of ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable']) {
    const covered = tolerations.some((t) => t && (t.operator === 'Exists' && !t.key ? true : t.key === key) && (!t.effect || t.effect === 'NoExecute'));
    if (!covered) tolerations.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: seconds });
  }
  spec.tolerations = tolerations;
}

export function defaultPodSpec(spec: Obj | undefined): void {
  if (!spec || typeof spec !== 'object') return;
  spec.restartPolicy ??= 'Always';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.securityContext ??= {};
  spec.schedulerName ??= 'default-scheduler';
  spec.enableServiceLinks ??= true;
  if (spec.serviceAccountName && !spec.serviceAccount) spec.serviceAccount = spec.serviceAccountName;
  for (const c of spec.containers ?? []) if (c && typeof c === 'object') defaultContainer(c);
  for (const c of spec.initContainers ?? []) if (c && typeof c === 'object') defaultContainer(c);
  for (const c of spec.ephemeralContainers ?? []) if (c && typeof c === 'object') defaultContainer(c);
  for (const v of spec.volumes ?? []) {
    if (!v || typeof v !== 'object') continue;
    if (v.configMap) v.configMap.defaultMode ??= 420;
    if (v.secret) v.secret.defaultMode ??= 420;
    if (v.emptyDir === undefined && Object.keys(v).length === 1 && v.name) v.emptyDir = {};
  }
}

function validateContainers(list: unknown, path: string, volumes: Set<string>, required: boolean): StatusCause[] {
  const causes: StatusCause[] = [];
  if (list === undefined || (Array.isArray(list) && list.length === 0)) {
    if (required) causes.push(field.required(path));
    return causes;
  }
  if (!Array.isArray(list)) return [field.invalid(path, list, 'must be a list')];
  const names = new Set<string>();
  list.forEach((c: Obj, i) => {
    const p = `${path}[${i}]`;
    if (!c || typeof c !== 'object') return causes.push(field.invalid(p, c, 'must be an object'));
    if (!c.name) causes.push(field.required(`${p}.name`));
    else {
      for (const e of dns1123Label(String(c.name))) causes.push(field.invalid(`${p}.name`, c.name, e));
      if (names.has(c.name)) causes.push(field.duplicate(`${p}.name`, c.name));
      names.add(c.name);
    }
    if (!c.image || (typeof c.image === 'string' && c.image.trim() === '')) causes.push(field.required(`${p}.image`));
    (c.ports ?? []).forEach((port: Obj, j: number) => {
      const pp = `${p}.ports[${j}]`;
      const n = port?.containerPort;
      if (n === undefined) causes.push(field.required(`${pp}.containerPort`));
      else if (!Number.isInteger(n) || n < 1 || n > 65535) causes.push(field.invalid(`${pp}.containerPort`, n, 'must be between 1 and 65535, inclusive'));
      if (port?.protocol && !PROTOCOLS.includes(port.protocol)) causes.push(field.notSupported(`${pp}.protocol`, port.protocol, PROTOCOLS));
    });
    (c.volumeMounts ?? []).forEach((m: Obj, j: number) => {
      if (m?.name && !volumes.has(m.name)) causes.push({ reason: 'FieldValueNotFound', field: `${p}.volumeMounts[${j}].name`, message: `Not found: ${JSON.stringify(m.name)}` });
      if (!m?.mountPath) causes.push(field.required(`${p}.volumeMounts[${j}].mountPath`));
    });
    (c.env ?? []).forEach((e: Obj, j: number) => {
      if (!e?.name) causes.push(field.required(`${p}.env[${j}].name`));
    });
  });
  return causes;
}

export function validatePodSpec(spec: Obj | undefined, path: string, allowedRestart?: string[]): StatusCause[] {
  if (!spec || typeof spec !== 'object') return [field.required(path)];
  const causes: StatusCause[] = [];
  const volumes = new Set<string>();
  (spec.volumes ?? []).forEach((v: Obj, i: number) => {
    const p = `${path}.volumes[${i}]`;
    if (!v?.name) return causes.push(field.required(`${p}.name`));
    for (const e of dns1123Label(String(v.name))) causes.push(field.invalid(`${p}.name`, v.name, e));
    if (volumes.has(v.name)) causes.push(field.duplicate(`${p}.name`, v.name));
    volumes.add(v.name);
  });
  causes.push(...validateContainers(spec.containers, `${path}.containers`, volumes, true));
  causes.push(...validateContainers(spec.initContainers, `${path}.initContainers`, volumes, false));
  const policies = allowedRestart ?? ['Always', 'OnFailure', 'Never'];
  if (spec.restartPolicy && !policies.includes(spec.restartPolicy)) causes.push(field.notSupported(`${path}.restartPolicy`, spec.restartPolicy, policies));
  if (spec.dnsPolicy && !['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'].includes(spec.dnsPolicy)) {
    causes.push(field.notSupported(`${path}.dnsPolicy`, spec.dnsPolicy, ['ClusterFirst', 'ClusterFirstWithHostNet', 'Default', 'None']));
  }
  if (spec.terminationGracePeriodSeconds !== undefined && (!Number.isInteger(spec.terminationGracePeriodSeconds) || spec.terminationGracePeriodSeconds < 0)) {
    causes.push(field.invalid(`${path}.terminationGracePeriodSeconds`, spec.terminationGracePeriodSeconds, 'must be greater than or equal to 0'));
  }
  return causes;
}
