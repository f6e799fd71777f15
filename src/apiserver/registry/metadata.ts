// Metadata the server owns: uid, timestamps, generated names and generation.
import { randomUUID, randomInt } from 'node:crypto';
import type { ResourceInfo } from '../../api/resource.js';

export { metaTime as nowTimestamp } from '../../api/object.js';

export function newUid(): string {
  return randomUUID();
}

// upstream's utilrand alphabet: no vowels (no words), no confusable 0/1/3.
const ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

export function generateName(base: string): string {
  const maxBase = 63 - 5;
  const prefix = base.length > maxBase ? base.slice(0, maxBase) : base;
  let suffix = '';
  for (let i = 0; i < 5; i++) suffix += ALPHANUMS[randomInt(ALPHANUMS.length)];
  return prefix + suffix;
}

// Kinds whose strategies track metadata.generation upstream (spec-bearing workload and policy kinds).
const GENERATION_TRACKED = new Set([
  'apps/deployments', 'apps/replicasets', 'apps/statefulsets', 'apps/daemonsets',
  'batch/jobs', 'batch/cronjobs', '/replicationcontrollers', 'autoscaling/horizontalpodautoscalers',
  'policy/poddisruptionbudgets', 'networking.k8s.io/ingresses', 'networking.k8s.io/networkpolicies',
  'discovery.k8s.io/endpointslices',
]);

export function tracksGeneration(info: ResourceInfo): boolean {
  return GENERATION_TRACKED.has(`${info.group}/${info.plural}`);
}

/** Default spec-change test: anything outside metadata and status differs. */
export function specChangedDefault(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const strip = (o: Record<string, unknown>) => {
    const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = o;
    return rest;
  };
  return !deepEqual(strip(a), strip(b));
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ka = Object.keys(a as object).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b as object).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (ka.length !== kb.length) return false;
  for (const k of ka) if (!deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  return true;
}
