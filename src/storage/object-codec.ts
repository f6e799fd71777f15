// Objects are stored as JSON without metadata.resourceVersion (the revision of the
// write is the resourceVersion, as upstream's etcd3 store does) and are stamped with
// it again whenever they are read back.
import type { KubeObject } from '../api/object.js';
import type { RawKV } from './backend.js';
import { StorageError } from './store.js';

/** etcd's default request limit, which upstream's object size limit follows. */
export const MAX_VALUE_BYTES = 1.5 * 1024 * 1024;

export function encodeObject(key: string, obj: KubeObject): string {
  const { resourceVersion: _rv, ...metadata } = obj.metadata ?? {};
  const value = JSON.stringify({ ...obj, metadata });
  // a JSON string is at most 3 bytes per UTF-16 unit; measure exactly only near the limit
  if (value.length * 3 > MAX_VALUE_BYTES && Buffer.byteLength(value) > MAX_VALUE_BYTES) {
    throw new StorageError('TooLarge', key, `object is ${Buffer.byteLength(value)} bytes; the limit is ${MAX_VALUE_BYTES}`);
  }
  return value;
}

export function decodeObject(value: string, revision: number): KubeObject {
  const obj = JSON.parse(value) as KubeObject;
  obj.metadata = { ...obj.metadata, resourceVersion: String(revision) };
  return obj;
}

export function decodeKV(kv: RawKV): KubeObject {
  return decodeObject(kv.value, kv.modRevision);
}
