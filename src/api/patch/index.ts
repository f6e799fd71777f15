// Dispatch on the PATCH content type.
import { errors } from '../errors.js';
import type { KubeObject } from '../object.js';
import type { SchemaRegistry } from '../schema/schema-types.js';
import { parseJson, parseYamlDoc, checkDepth } from '../../apiserver/http/body.js';
import { applyJsonPatch } from './json-patch.js';
import { applyMergePatch } from './merge-patch.js';
import { applyStrategicMergePatch } from './strategic-merge.js';
import { serverSideApply } from './apply.js';

export interface PatchOptions {
  registry: SchemaRegistry;
  /** model name of the object, e.g. V1Deployment (undefined: no schema) */
  model: string | undefined;
  apiVersion: string;
  fieldManager: string;
  force: boolean;
  subresource?: string;
}

function asObject(v: unknown, what: string): KubeObject {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw errors.badRequest(`${what} must produce a JSON object`);
  return v as KubeObject;
}

export function applyPatch(contentType: string, live: KubeObject, body: Buffer, opts: PatchOptions): KubeObject {
  switch (contentType) {
    case 'application/json-patch+json': {
      const patch = parseJson(body);
      checkDepth(patch);
      return asObject(applyJsonPatch(live, patch), 'the json patch');
    }
    case 'application/merge-patch+json': {
      const patch = parseJson(body);
      checkDepth(patch);
      if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) throw errors.badRequest('a merge patch must be a JSON object');
      return asObject(applyMergePatch(live, patch), 'the merge patch');
    }
    case 'application/strategic-merge-patch+json': {
      const patch = parseJson(body);
      checkDepth(patch);
      return asObject(applyStrategicMergePatch(live, patch, opts.registry, opts.model), 'the strategic merge patch');
    }
    case 'application/apply-patch+yaml': {
      const applied = asObject(parseYamlDoc(body.toString('utf8')), 'the apply configuration');
      checkDepth(applied);
      if (!applied.apiVersion || !applied.kind) throw errors.badRequest('apiVersion and kind must be set in an apply configuration');
      if (applied.metadata !== undefined && (applied.metadata === null || typeof applied.metadata !== 'object')) throw errors.badRequest('metadata must be an object');
      applied.metadata ??= {};
      return serverSideApply(live, applied, { registry: opts.registry, model: opts.model, apiVersion: opts.apiVersion, manager: opts.fieldManager, force: opts.force, subresource: opts.subresource });
    }
  }
  throw errors.unsupportedMediaType(contentType);
}
