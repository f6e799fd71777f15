// Ephemeral containers (kubectl debug), as upstream's pods/ephemeralcontainers
// subresource: its strategy keeps everything of the stored pod but
// spec.ephemeralContainers, and its validation lets containers be added,
// never removed or changed. The container rules are upstream's
// validateEphemeralContainers: a name unique across all the pod's containers,
// an image, a target among the pod's (non-ephemeral) containers, and none of
// the fields a workload container relies on (ports, probes, lifecycle, resources).
import { field, type StatusCause } from '../errors.js';
import type { KubeObject } from '../object.js';
import { dns1123Label } from '../validation/names.js';

type Obj = Record<string, any>;

export const EPHEMERAL_CONTAINERS_PATH = 'spec.ephemeralContainers';

/** The fields an ephemeral container may set (upstream's allow-list); any other one set is Forbidden. */
const ALLOWED_FIELDS = new Set([
  'name', 'image', 'command', 'args', 'workingDir', 'envFrom', 'env', 'volumeMounts', 'volumeDevices',
  'terminationMessagePath', 'terminationMessagePolicy', 'imagePullPolicy', 'securityContext',
  'stdin', 'stdinOnce', 'tty', 'targetContainerName',
]);

const FORBIDDEN = 'cannot be set for an Ephemeral Container';

/** Whether a value differs from Go's zero value: an empty object, list or string, false and 0 are "not set". */
function isSet(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.values(v as Obj).some(isSet);
  return true;
}

export function ephemeralContainersOf(spec: Obj | undefined): Obj[] {
  const list = spec?.ephemeralContainers;
  return Array.isArray(list) ? list : [];
}

/** upstream's validateEphemeralContainers, for a pod's spec (path is the spec's). */
export function validateEphemeralContainers(spec: Obj | undefined, path = 'spec'): StatusCause[] {
  const list = spec?.ephemeralContainers;
  if (list === undefined || list === null) return [];
  const base = `${path}.ephemeralContainers`;
  if (!Array.isArray(list)) return [field.invalid(base, list, 'must be a list')];
  const causes: StatusCause[] = [];
  const others = new Set<string>();
  for (const c of [...((spec?.containers ?? []) as Obj[]), ...((spec?.initContainers ?? []) as Obj[])]) if (c?.name) others.add(c.name);
  const all = new Set(others);
  const volumes = new Set<string>(((spec?.volumes ?? []) as Obj[]).map((v) => v?.name).filter(Boolean));
  list.forEach((c: Obj, i: number) => {
    const p = `${base}[${i}]`;
    if (!c || typeof c !== 'object' || Array.isArray(c)) return causes.push(field.invalid(p, c, 'must be an object'));
    if (!c.name) causes.push(field.required(`${p}.name`));
    else {
      for (const e of dns1123Label(String(c.name))) causes.push(field.invalid(`${p}.name`, c.name, e));
      if (all.has(c.name)) causes.push(field.duplicate(`${p}.name`, c.name));
      else all.add(c.name);
    }
    if (!c.image || (typeof c.image === 'string' && c.image.trim() === '')) causes.push(field.required(`${p}.image`));
    if (c.targetContainerName && !others.has(c.targetContainerName)) {
      causes.push({ reason: 'FieldValueNotFound', field: `${p}.targetContainerName`, message: `Not found: ${JSON.stringify(c.targetContainerName)}` });
    }
    for (const [k, v] of Object.entries(c)) if (!ALLOWED_FIELDS.has(k) && isSet(v)) causes.push(field.forbidden(`${p}.${k}`, FORBIDDEN));
    ((c.volumeMounts ?? []) as Obj[]).forEach((m, j) => {
      const mp = `${p}.volumeMounts[${j}]`;
      if (m?.name && !volumes.has(m.name)) causes.push({ reason: 'FieldValueNotFound', field: `${mp}.name`, message: `Not found: ${JSON.stringify(m.name)}` });
      if (!m?.mountPath) causes.push(field.required(`${mp}.mountPath`));
      // subPaths are bind mounts left until the pod goes, and mean the container is part of the workload
      if (m?.subPath) causes.push(field.forbidden(`${mp}.subPath`, FORBIDDEN));
      if (m?.subPathExpr) causes.push(field.forbidden(`${mp}.subPathExpr`, FORBIDDEN));
    });
    ((c.env ?? []) as Obj[]).forEach((e, j) => {
      if (!e?.name) causes.push(field.required(`${p}.env[${j}].name`));
    });
  });
  return causes;
}

/** A new pod comes without ephemeral containers: they are added to a running pod through the subresource. */
export function validateNoEphemeralContainersOnCreate(spec: Obj | undefined): StatusCause[] {
  return ephemeralContainersOf(spec).length ? [field.forbidden(EPHEMERAL_CONTAINERS_PATH, 'cannot have ephemeral containers on create')] : [];
}

/** A template's pods are new pods: no ephemeral containers in it (path is the template's spec). */
export function validateNoEphemeralContainersInTemplate(spec: Obj | undefined, path: string): StatusCause[] {
  return ephemeralContainersOf(spec).length ? [field.forbidden(`${path}.ephemeralContainers`, 'ephemeral containers not allowed in pod template')] : [];
}

/** upstream's ValidatePodEphemeralContainersUpdate, the part comparing old and new: additions only. */
export function validateEphemeralContainersUpdate(obj: KubeObject, old: KubeObject): StatusCause[] {
  if (old.metadata.annotations?.['kubernetes.io/config.mirror'] !== undefined) {
    return [field.forbidden('', 'static pods do not support ephemeral containers')];
  }
  const next = new Map(ephemeralContainersOf(obj.spec as Obj).map((c) => [c?.name, c]));
  const causes: StatusCause[] = [];
  for (const c of ephemeralContainersOf(old.spec as Obj)) {
    const now = next.get(c.name);
    if (!now) causes.push(field.forbidden(EPHEMERAL_CONTAINERS_PATH, `existing ephemeral containers ${JSON.stringify(c.name)} may not be removed\n`));
    else if (JSON.stringify(sorted(now)) !== JSON.stringify(sorted(c))) {
      causes.push(field.forbidden(EPHEMERAL_CONTAINERS_PATH, `existing ephemeral containers ${JSON.stringify(c.name)} may not be changed\n`));
    }
  }
  return causes;
}

/**
 * The subresource's update changes spec.ephemeralContainers only: the rest of
 * the object (spec, status, metadata) stays as stored, as upstream's
 * dropNonEphemeralContainerUpdates. The managed fields the write computed stay.
 */
export function keepAllButEphemeralContainers(obj: KubeObject, old: KubeObject): void {
  const list = (obj.spec as Obj | undefined)?.ephemeralContainers;
  const managedFields = obj.metadata?.managedFields;
  for (const k of Object.keys(obj)) delete obj[k];
  Object.assign(obj, structuredClone(old));
  if (managedFields !== undefined) obj.metadata.managedFields = managedFields;
  const spec = (obj.spec ??= {}) as Obj;
  if (list === undefined || list === null) delete spec.ephemeralContainers;
  else spec.ephemeralContainers = list;
}

/** Key order does not make a container different. */
function sorted(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sorted);
  if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v as Obj).sort().map((k) => [k, sorted((v as Obj)[k])]));
  return v;
}
