// Generic ObjectMeta validation, as upstream's apimachinery ValidateObjectMeta.
import { field, type StatusCause } from '../errors.js';
import type { KubeObject } from '../object.js';
import { dns1123Label, labelValue, qualifiedName, validateName, type NameRule } from './names.js';

const TOTAL_ANNOTATION_SIZE = 256 * 1024;

export function validateObjectMeta(obj: KubeObject, namespaced: boolean, rule: NameRule): StatusCause[] {
  const m = obj.metadata ?? {};
  const causes: StatusCause[] = [];
  if (!m.name) {
    causes.push(field.required('metadata.name', 'name or generateName is required'));
  } else if (typeof m.name !== 'string') {
    causes.push(field.invalid('metadata.name', m.name, 'must be a string'));
  } else {
    for (const e of validateName(rule, m.name)) causes.push(field.invalid('metadata.name', m.name, e));
  }
  if (m.generateName !== undefined && typeof m.generateName === 'string' && m.generateName) {
    // generateName is checked the way the name it produces would be, minus the suffix
    const base = m.generateName.replace(/-$/, '') || 'a';
    for (const e of validateName(rule, base)) causes.push(field.invalid('metadata.generateName', m.generateName, e));
  }
  if (namespaced) {
    if (!m.namespace) causes.push(field.required('metadata.namespace'));
    else for (const e of dns1123Label(m.namespace)) causes.push(field.invalid('metadata.namespace', m.namespace, e));
  } else if (m.namespace) {
    causes.push(field.forbidden('metadata.namespace', 'not allowed on this type'));
  }
  causes.push(...validateLabels(m.labels, 'metadata.labels'));
  causes.push(...validateAnnotations(m.annotations, 'metadata.annotations'));
  if (m.finalizers !== undefined) {
    if (!Array.isArray(m.finalizers)) causes.push(field.invalid('metadata.finalizers', m.finalizers, 'must be a list of strings'));
    else
      m.finalizers.forEach((f, i) => {
        if (typeof f !== 'string') causes.push(field.invalid(`metadata.finalizers[${i}]`, f, 'must be a string'));
        else for (const e of qualifiedName(f)) causes.push(field.invalid(`metadata.finalizers[${i}]`, f, e));
      });
  }
  if (m.ownerReferences !== undefined) {
    if (!Array.isArray(m.ownerReferences)) causes.push(field.invalid('metadata.ownerReferences', m.ownerReferences, 'must be a list'));
    else {
      let controllers = 0;
      m.ownerReferences.forEach((r, i) => {
        const p = `metadata.ownerReferences[${i}]`;
        if (!r || typeof r !== 'object') return causes.push(field.invalid(p, r, 'must be an object'));
        if (!r.apiVersion) causes.push(field.invalid(`${p}.apiVersion`, r.apiVersion, 'version must not be empty'));
        if (!r.kind) causes.push(field.invalid(`${p}.kind`, r.kind, 'kind must not be empty'));
        if (!r.name) causes.push(field.invalid(`${p}.name`, r.name, 'name must not be empty'));
        if (!r.uid) causes.push(field.invalid(`${p}.uid`, r.uid, 'uid must not be empty'));
        if (r.controller) controllers++;
      });
      if (controllers > 1) causes.push(field.invalid('metadata.ownerReferences', m.ownerReferences, 'Only one reference can have Controller set to true'));
    }
  }
  return causes;
}

export function validateLabels(labels: unknown, path: string): StatusCause[] {
  if (labels === undefined || labels === null) return [];
  if (typeof labels !== 'object' || Array.isArray(labels)) return [field.invalid(path, labels, 'must be a map of string keys to string values')];
  const causes: StatusCause[] = [];
  for (const [k, v] of Object.entries(labels)) {
    for (const e of qualifiedName(k)) causes.push(field.invalid(path, k, e));
    if (typeof v !== 'string') causes.push(field.invalid(`${path}.${k}`, v, 'must be a string'));
    else for (const e of labelValue(v)) causes.push(field.invalid(path, v, e));
  }
  return causes;
}

export function validateAnnotations(ann: unknown, path: string): StatusCause[] {
  if (ann === undefined || ann === null) return [];
  if (typeof ann !== 'object' || Array.isArray(ann)) return [field.invalid(path, ann, 'must be a map of string keys to string values')];
  const causes: StatusCause[] = [];
  let size = 0;
  for (const [k, v] of Object.entries(ann)) {
    for (const e of qualifiedName(k.toLowerCase())) causes.push(field.invalid(path, k, e));
    if (typeof v !== 'string') causes.push(field.invalid(`${path}.${k}`, v, 'must be a string'));
    size += k.length + (typeof v === 'string' ? v.length : 0);
  }
  if (size > TOTAL_ANNOTATION_SIZE) causes.push(field.tooLong(path, TOTAL_ANNOTATION_SIZE));
  return causes;
}

/** Fields that never change after create. */
export function validateObjectMetaUpdate(obj: KubeObject, old: KubeObject): StatusCause[] {
  const causes: StatusCause[] = [];
  const m = obj.metadata;
  const o = old.metadata;
  if (m.name !== o.name) causes.push(field.immutable('metadata.name'));
  if ((m.namespace ?? '') !== (o.namespace ?? '')) causes.push(field.immutable('metadata.namespace'));
  if (m.uid !== o.uid) causes.push(field.immutable('metadata.uid'));
  if (m.creationTimestamp !== o.creationTimestamp) causes.push(field.immutable('metadata.creationTimestamp'));
  return causes;
}
