// Moving objects between the storage version and the version a request uses.
import type { KubeObject } from '../../api/object.js';
import type { ResourceInfo } from '../../api/resource.js';
import { findResource } from '../../api/kinds/resources.js';

export function apiVersionOf(group: string, version: string): string {
  return group ? `${group}/${version}` : version;
}

/** The resource whose strategy governs stored objects (events.k8s.io events -> core events). */
export function storageResource(info: ResourceInfo): ResourceInfo {
  if (!info.storageOf) return info;
  return findResource(info.storageOf.group, info.storageOf.plural) ?? info;
}

export function storageApiVersion(info: ResourceInfo): string {
  const s = storageResource(info);
  return apiVersionOf(s.group, s.versions[0]);
}

/** Stored object -> the request's version. Never mutates the input (it may be shared). */
export function toExternal(info: ResourceInfo, version: string, stored: KubeObject): KubeObject {
  const needsConversion = info.storageOf !== undefined || version !== info.versions[0];
  let out: KubeObject;
  if (needsConversion && info.strategy.toVersion) {
    out = info.strategy.toVersion(structuredClone(stored), version);
  } else {
    out = { ...stored };
  }
  return withTypeMeta(out, apiVersionOf(info.group, version), info.kind);
}

/** Request-version object -> storage version. May mutate the input. */
export function toInternal(info: ResourceInfo, version: string, obj: KubeObject): KubeObject {
  const needsConversion = info.storageOf !== undefined || version !== info.versions[0];
  const s = storageResource(info);
  const out = needsConversion && info.strategy.fromVersion ? info.strategy.fromVersion(obj, version) : obj;
  return withTypeMeta(out, apiVersionOf(s.group, s.versions[0]), s.kind);
}

/** apiVersion and kind first, as upstream serializes them. */
function withTypeMeta(obj: KubeObject, apiVersion: string, kind: string): KubeObject {
  const { apiVersion: _a, kind: _k, ...rest } = obj;
  return { apiVersion, kind, ...rest } as KubeObject;
}
