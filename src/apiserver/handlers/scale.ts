// The scale subresource (autoscaling/v1 Scale) over any resource whose table
// entry names its replicas paths, as upstream's ScaleREST.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errors } from '../../api/errors.js';
import type { KubeObject } from '../../api/object.js';
import type { ResourceInfo } from '../../api/resource.js';
import { labelSelectorString } from './predicate.js';
import { decodeObject, mediaType, readBody } from '../http/body.js';
import { negotiate } from '../http/negotiate.js';
import { send } from '../http/respond.js';
import type { ResourceRequest } from '../request-info.js';
import type { GenericRegistry } from '../registry/generic-registry.js';
import { writeOptions } from './query.js';

const SCALE_INFO: ResourceInfo = {
  group: 'autoscaling',
  versions: ['v1'],
  kind: 'Scale',
  listKind: 'ScaleList',
  plural: 'scale',
  singular: 'scale',
  namespaced: true,
  shortNames: [],
  categories: [],
  verbs: [],
  subresources: {},
  strategy: {},
};

export class ScaleHandler {
  constructor(private readonly registry: GenericRegistry) {}

  async handle(req: IncomingMessage, res: ServerResponse, r: ResourceRequest, info: ResourceInfo, ns: string | undefined, q: URLSearchParams): Promise<void> {
    const n = negotiate(req.headers.accept, []);
    const version = info.versions[0];
    if (r.verb === 'get') {
      const obj = await this.registry.get(info, version, ns, r.name!);
      send(res, 200, toScale(obj), n.format);
      return;
    }
    if (r.verb !== 'update' && r.verb !== 'patch') throw errors.methodNotAllowed('the server does not allow this method on the requested resource');
    const opts = writeOptions(q, req.headers['user-agent'], 'unknown');
    const body = await readBody(req);
    for (let attempt = 0; attempt < 8; attempt++) {
      const parent = await this.registry.get(info, version, ns, r.name!);
      const current = toScale(parent);
      let desired: KubeObject;
      if (r.verb === 'update') {
        desired = decodeObject(body, req.headers['content-type']) as KubeObject;
        if (desired.kind !== undefined && desired.kind !== 'Scale') throw errors.badRequest(`expected kind Scale, got ${String(desired.kind)}`);
      } else {
        desired = this.registry.patchObject(mediaType(req.headers['content-type']), current, body, SCALE_INFO, 'v1', opts);
      }
      const replicas = (desired.spec as { replicas?: unknown } | undefined)?.replicas;
      if (replicas !== undefined && (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0)) {
        throw errors.invalid('autoscaling', 'Scale', r.name!, [
          { reason: 'FieldValueInvalid', field: 'spec.replicas', message: `Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0` },
        ]);
      }
      // only a resourceVersion the client sent is a precondition; a patch carries the current one along
      const sentRv = desired.metadata?.resourceVersion;
      const rv = r.verb === 'update' || sentRv !== current.metadata.resourceVersion ? sentRv : undefined;
      if (rv && rv !== parent.metadata.resourceVersion) {
        throw errors.conflict(info.group, info.plural, r.name!, 'the object has been modified; please apply your changes to the latest version and try again');
      }
      const next = structuredClone(parent);
      (next.spec as Record<string, unknown>).replicas = replicas ?? 0;
      try {
        const updated = await this.registry.update(info, version, ns, r.name!, next, { ...opts, warnings: [] });
        send(res, 200, toScale(updated), n.format);
        return;
      } catch (e) {
        if ((e as { reason?: string }).reason === 'Conflict' && !rv) continue;
        throw e;
      }
    }
    throw errors.conflict(info.group, info.plural, r.name!, 'too many concurrent writes');
  }
}

function toScale(obj: KubeObject): KubeObject {
  const spec = (obj.spec ?? {}) as { replicas?: number; selector?: unknown };
  const status = (obj.status ?? {}) as { replicas?: number };
  const m = obj.metadata;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion, creationTimestamp: m.creationTimestamp },
    spec: { replicas: spec.replicas ?? 0 },
    status: { replicas: status.replicas ?? 0, selector: labelSelectorString(spec.selector) },
  };
}
