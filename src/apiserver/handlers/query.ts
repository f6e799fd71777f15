// Query parameters of the REST verbs, validated as upstream does (400 on bad values).
import { errors } from '../../api/errors.js';
import type { DeleteOptions, FieldValidation, ListOptions, WriteOptions } from '../registry/generic-registry.js';

export function writeOptions(q: URLSearchParams, userAgent: string | undefined, defaultManagerFor: string): WriteOptions {
  const dryRun = q.getAll('dryRun');
  for (const d of dryRun) {
    if (d !== 'All') throw errors.badRequest(`Invalid dry run value: unsupported dry run value ${JSON.stringify(d)}, only "All" is supported`);
  }
  const fv = q.get('fieldValidation') ?? 'Warn';
  if (fv !== 'Ignore' && fv !== 'Warn' && fv !== 'Strict') {
    throw errors.badRequest(`fieldValidation parameter unsupported: ${fv}, must be one of Ignore, Warn, Strict`);
  }
  const fieldManager = q.get('fieldManager') ?? undefined;
  if (fieldManager !== undefined && (fieldManager.length > 128 || /[^\x20-\x7e]/.test(fieldManager))) {
    throw errors.badRequest('fieldManager: Invalid value: must be between 0 and 128 printable characters');
  }
  const forceParam = q.get('force');
  if (forceParam !== null && forceParam !== 'true' && forceParam !== 'false') {
    throw errors.badRequest(`force: invalid boolean ${JSON.stringify(forceParam)}`);
  }
  return {
    dryRun: dryRun.length > 0,
    fieldManager: fieldManager ?? defaultManager(userAgent, defaultManagerFor),
    fieldValidation: fv as FieldValidation,
    warnings: [],
    force: forceParam === 'true',
  };
}

/** Upstream defaults the manager to the user agent's program name. */
function defaultManager(userAgent: string | undefined, fallback: string): string {
  const ua = (userAgent ?? '').split('/')[0].trim();
  return ua ? ua.slice(0, 128) : fallback;
}

export function intParam(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  if (!/^-?\d+$/.test(v)) throw errors.badRequest(`${name}: invalid value ${JSON.stringify(v)}: must be an integer`);
  return Number(v);
}

export function boolParam(q: URLSearchParams, name: string): boolean | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw errors.badRequest(`${name}: invalid value ${JSON.stringify(v)}: must be a boolean`);
}

export function listOptions(q: URLSearchParams): Omit<ListOptions, 'predicate'> {
  const resourceVersion = q.get('resourceVersion') ?? undefined;
  const match = q.get('resourceVersionMatch') ?? undefined;
  if (match !== undefined && match !== '' && match !== 'NotOlderThan' && match !== 'Exact') {
    throw errors.badRequest(`resourceVersionMatch: Unsupported value: ${JSON.stringify(match)}: supported values: "Exact", "NotOlderThan"`);
  }
  if (resourceVersion !== undefined && resourceVersion !== '' && !/^\d+$/.test(resourceVersion)) {
    throw errors.badRequest(`resourceVersion: Invalid value: ${JSON.stringify(resourceVersion)}: must be a non-negative integer`);
  }
  if (match && !resourceVersion) {
    throw errors.badRequest('resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided');
  }
  if (match === 'Exact' && resourceVersion === '0') {
    throw errors.badRequest('resourceVersionMatch: Forbidden: resourceVersionMatch "exact" is forbidden for resourceVersion "0"');
  }
  const limit = intParam(q, 'limit');
  if (limit !== undefined && limit < 0) throw errors.badRequest('limit: Invalid value: must be non-negative');
  const cont = q.get('continue') || undefined;
  if (cont && resourceVersion && resourceVersion !== '0') {
    throw errors.badRequest('specifying resource version is not allowed when using continue');
  }
  return {
    resourceVersion,
    resourceVersionMatch: (match || undefined) as ListOptions['resourceVersionMatch'],
    limit: limit || undefined,
    continue: cont,
  };
}

export function deleteOptions(q: URLSearchParams, body: Record<string, unknown> | undefined): DeleteOptions {
  const b = body ?? {};
  if (b.kind !== undefined && b.kind !== 'DeleteOptions') {
    throw errors.badRequest(`the body of a delete request must be DeleteOptions, got kind ${JSON.stringify(b.kind)}`);
  }
  const grace = intParam(q, 'gracePeriodSeconds') ?? numberOrUndefined(b.gracePeriodSeconds, 'gracePeriodSeconds');
  let policy = q.get('propagationPolicy') ?? (b.propagationPolicy as string | undefined);
  const orphan = boolParam(q, 'orphanDependents') ?? (b.orphanDependents as boolean | undefined);
  if (orphan !== undefined) {
    if (policy) throw errors.badRequest('orphanDependents and propagationPolicy cannot be both set');
    policy = orphan ? 'Orphan' : 'Background';
  }
  if (policy !== undefined && policy !== 'Orphan' && policy !== 'Background' && policy !== 'Foreground') {
    throw errors.invalid('', 'DeleteOptions', '', [
      { reason: 'FieldValueNotSupported', field: 'propagationPolicy', message: `Unsupported value: ${JSON.stringify(policy)}: supported values: "Foreground", "Background", "Orphan", "nil"` },
    ]);
  }
  if (grace !== undefined && grace < 0) {
    throw errors.invalid('', 'DeleteOptions', '', [{ reason: 'FieldValueInvalid', field: 'gracePeriodSeconds', message: `Invalid value: ${grace}: must be >= 0` }]);
  }
  const dryRun = [...q.getAll('dryRun'), ...((b.dryRun as string[] | undefined) ?? [])];
  for (const d of dryRun) {
    if (d !== 'All') throw errors.badRequest(`Invalid dry run value: unsupported dry run value ${JSON.stringify(d)}, only "All" is supported`);
  }
  const pre = b.preconditions as { uid?: string; resourceVersion?: string } | undefined;
  return {
    gracePeriodSeconds: grace,
    propagationPolicy: policy as DeleteOptions['propagationPolicy'],
    preconditions: pre && typeof pre === 'object' ? { uid: pre.uid, resourceVersion: pre.resourceVersion } : undefined,
    dryRun: dryRun.length > 0,
  };
}

function numberOrUndefined(v: unknown, name: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw errors.badRequest(`${name} must be an integer`);
  return v;
}
