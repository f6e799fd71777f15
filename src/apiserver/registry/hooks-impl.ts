// The registry's hooks, bound to the object model: metadata validation, schema
// field checks, patches and field ownership.
import type { KubeObject } from '../../api/object.js';
import type { ResourceInfo } from '../../api/resource.js';
import { validateObjectMeta, validateObjectMetaUpdate } from '../../api/validation/object-meta.js';
import { nameRule } from '../../api/validation/names.js';
import { schemaRegistry } from '../../api/schema/registry.js';
import { shapeErrors, unknownFields } from '../../api/schema/field-validation.js';
import { applyPatch } from '../../api/patch/index.js';
import { updateManagedFields } from '../../api/patch/managed-fields.js';
import type { RegistryHooks } from './hooks.js';
import { apiVersionOf } from './conversion.js';

function modelOf(info: ResourceInfo, version: string): string | undefined {
  return schemaRegistry().definitionFor(info.group, version, info.kind)?.name;
}

function versionOf(apiVersion: string): string {
  return apiVersion.includes('/') ? apiVersion.split('/')[1] : apiVersion;
}

export function registryHooks(): RegistryHooks {
  return {
    validateMetadata: (obj: KubeObject, info: ResourceInfo) => validateObjectMeta(obj, info.namespaced, nameRule(info.group, info.plural)),
    validateMetadataUpdate: (obj, old) => validateObjectMetaUpdate(obj, old),
    unknownFields: (obj, info, version) => unknownFields(obj, schemaRegistry(), info.group, version, info.kind),
    shapeErrors: (obj, info, version) => shapeErrors(obj, schemaRegistry(), info.group, version, info.kind),
    applyPatch: (contentType, live, body, ctx) =>
      applyPatch(contentType, live, body, {
        registry: schemaRegistry(),
        model: ctx.info.kind === 'Scale' ? 'V1Scale' : modelOf(ctx.info, ctx.version),
        apiVersion: apiVersionOf(ctx.info.group, ctx.version),
        fieldManager: ctx.fieldManager,
        force: ctx.force,
      }),
    updateManagedFields: (old, obj, manager, apiVersion, subresource) => {
      const info = { group: apiVersion.includes('/') ? apiVersion.split('/')[0] : '', kind: obj.kind ?? '' };
      return updateManagedFields(old, obj, manager, {
        registry: schemaRegistry(),
        model: schemaRegistry().definitionFor(info.group, versionOf(apiVersion), info.kind)?.name,
        apiVersion,
        subresource,
      });
    },
  };
}
