// Plain JSON shapes of API objects as they travel over the wire and sit in the store.
// Timestamps are RFC 3339 strings (not Date), which is why we do not use the
// client-node model classes at runtime.

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ManagedFieldsEntry {
  manager?: string;
  operation?: 'Apply' | 'Update';
  apiVersion?: string;
  time?: string;
  fieldsType?: 'FieldsV1';
  fieldsV1?: Record<string, unknown>;
  subresource?: string;
}

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
  managedFields?: ManagedFieldsEntry[];
  [extra: string]: unknown;
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

export interface ListMeta {
  resourceVersion?: string;
  continue?: string;
  remainingItemCount?: number;
}

export interface KubeList<T extends KubeObject = KubeObject> {
  apiVersion: string;
  kind: string;
  metadata: ListMeta;
  items: T[];
}

/**
 * Deep copy for JSON data; objects from caches must never be mutated in place.
 * A plain recursive copy: structuredClone's serializer round trip costs several
 * times more on an API object, and write paths clone on every request. Anything
 * that is not a plain object or array (a Date, a Buffer) goes to structuredClone.
 */
export function cloneJson<T>(v: T): T {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) {
    const out = new Array<unknown>(v.length);
    for (let i = 0; i < v.length; i++) out[i] = cloneJson(v[i]);
    return out as T;
  }
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return structuredClone(v);
  const out: Record<string, unknown> = {};
  // own keys only: a plain object's prototype has no enumerable ones
  for (const k in v) {
    const c = cloneJson((v as Record<string, unknown>)[k]);
    // JSON.parse makes "__proto__" an own key; assigning it would set the prototype instead
    if (k === '__proto__') Object.defineProperty(out, k, { value: c, enumerable: true, writable: true, configurable: true });
    else out[k] = c;
  }
  return out as T;
}

/** metav1.Time as it serializes: RFC 3339 with seconds precision. */
export function metaTime(date = new Date()): string {
  // a slice, not a regex: this runs several times per write
  const iso = date.toISOString();
  // YYYY-MM-DDTHH:mm:ss.sssZ for years 0-9999; other years keep the old replace
  return iso.length === 24 ? `${iso.slice(0, 19)}Z` : iso.replace(/\.\d{3}Z$/, 'Z');
}
