// The REST verbs on resources and their generic subresources (status, scale,
// finalize, binding, eviction): parse the request, call the registry, negotiate
// and write the response.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errors } from '../../api/errors.js';
import { metaTime, type KubeList, type KubeObject } from '../../api/object.js';
import type { ResourceInfo } from '../../api/resource.js';
import { decodeObject, readBody, mediaType } from '../http/body.js';
import { negotiate, type Negotiated, type Transform } from '../http/negotiate.js';
import { send } from '../http/respond.js';
import type { ResourceRequest } from '../request-info.js';
import type { GenericRegistry } from '../registry/generic-registry.js';
import { evictPod } from '../registry/eviction.js';
import { deleteOptions, intParam, boolParam, listOptions, writeOptions } from './query.js';
import { buildPredicate } from './predicate.js';
import { includeObjectParam } from '../../api/printers/index.js';
import { streamWatch } from './watch-stream.js';
import type { TableRenderer } from './table-render.js';
import { ScaleHandler } from './scale.js';
import { findResource } from '../../api/kinds/resources.js';
import { proxySubresource } from './proxy.js';
import { podLog, type NodeClientCredentials } from './pod-log.js';
import { createServiceAccountToken } from './token-request.js';
import type { ServiceAccountTokens } from '../authn/service-account-token.js';

const PATCH_TYPES = new Set([
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
  'application/apply-patch+yaml',
]);

const READ_TRANSFORMS: Transform[] = [
  'Table',
  'PartialObjectMetadata',
  'PartialObjectMetadataList',
];

export class ResourceHandler {
  private readonly scale: ScaleHandler;

  constructor(
    private readonly registry: GenericRegistry,
    private readonly tables: TableRenderer,
    private readonly nodeCredentials?: () => NodeClientCredentials | undefined,
    private readonly serviceAccountTokens?: ServiceAccountTokens,
  ) {
    this.scale = new ScaleHandler(registry);
  }

  async handle(
    req: IncomingMessage,
    res: ServerResponse,
    r: ResourceRequest,
    info: ResourceInfo,
    q: URLSearchParams,
  ): Promise<void> {
    if (r.subresource) return this.handleSubresource(req, res, r, info, q);
    if (info.namespaced === false && r.namespace)
      throw errors.notFound(info.group, info.plural, r.name ?? '');
    const ns = info.namespaced ? r.namespace : undefined;
    if (!info.verbs.includes(r.verb === 'watch' ? 'watch' : r.verb)) {
      throw errors.methodNotAllowed(
        `the server does not allow this method on the requested resource`,
      );
    }
    switch (r.verb) {
      case 'get':
        return this.get(req, res, r, info, ns, q);
      case 'list':
        return this.list(req, res, r, info, ns, q);
      case 'watch':
        return this.watch(req, res, r, info, ns, q);
      case 'create':
        return this.create(req, res, r, info, ns, q);
      case 'update':
        return this.update(req, res, r, info, ns, q);
      case 'patch':
        return this.patch(req, res, r, info, ns, q);
      case 'delete':
        return this.delete(req, res, r, info, ns, q);
      case 'deletecollection':
        return this.deleteCollection(req, res, r, info, ns, q);
    }
    throw errors.methodNotAllowed(
      `the server does not allow this method on the requested resource`,
    );
  }

  private async get(
    req: IncomingMessage,
    res: ServerResponse,
    r: ResourceRequest,
    info: ResourceInfo,
    ns: string | undefined,
    q: URLSearchParams,
  ) {
    const n = negotiate(req.headers.accept, READ_TRANSFORMS);
    const obj = await this.registry.get(info, r.version, ns, r.name!);
    send(res, 200, this.render(n, info, r.version, [obj], undefined, false, q), n.format);
  }

  private async list(
    req: IncomingMessage,
    res: ServerResponse,
    r: ResourceRequest,
    info: ResourceInfo,
    ns: string | undefined,
    q: URLSearchParams,
  ) {
    const n = negotiate(req.headers.accept, READ_TRANSFORMS);
    const opts = { ...listOptions(q), predicate: buildPredicate(info, q) };
    const list = await this.registry.list(info, r.version, ns, opts);
    send(res, 200, this.render(n, info, r.version, list.items, list, true, q), n.format);
  }

  /** Table and metadata-only views for get and list, as the client asked. */
  private render(
    n: Negotiated,
    info: ResourceInfo,
    version: string,
    items: KubeObject[],
    list: KubeList | undefined,
    isList: boolean,
    q: URLSearchParams,
  ): unknown {
    if (n.transform === 'Table') {
      // a single object's Table carries its resourceVersion, a list's the list's
      const meta = list?.metadata ?? { resourceVersion: items[0]?.metadata.resourceVersion };
      return this.tables.table(info, version, items, meta, includeObjectParam(q), n.tableVersion);
    }
    if (n.transform === 'PartialObjectMetadata' || n.transform === 'PartialObjectMetadataList') {
      const partial = items.map((o) => ({
        apiVersion: 'meta.k8s.io/v1',
        kind: 'PartialObjectMetadata',
        metadata: o.metadata,
      }));
      if (!isList) return partial[0];
      return {
        apiVersion: 'meta.k8s.io/v1',
        kind: 'PartialObjectMetadataList',
        metadata: list?.metadata ?? {},
        items: partial.map(({ metadata }) => ({ metadata })),
      };
    }
    return isList ? list : items[0];
  }

  private async watch(
    req: IncomingMessage,
    res: ServerResponse,
    r: ResourceRequest,
    info: ResourceInfo,
    ns: string | undefined,
    q: URLSearchParams,
  ) {
    const n = negotiate(req.headers.accept, READ_TRANSFORMS);
    const lo = listOptions(q);
    const predicate = buildPredicate(info, q, r.name);
    const timeoutSeconds = intParam(q, 'timeoutSeconds') ?? 1800 + Math.floor(Math.random() * 1800);
    const sendInitialEvents = boolParam(q, 'sendInitialEvents');
    const allowBookmarks = boolParam(q, 'allowWatchBookmarks') ?? false;
    if (sendInitialEvents !== undefined && lo.resourceVersionMatch !== 'NotOlderThan') {
      throw errors.invalid('', 'ListOptions', '', [
        {
          reason: 'FieldValueForbidden',
          field: 'resourceVersionMatch',
          message:
            'Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan',
        },
      ]);
    }
    if (sendInitialEvents && !allowBookmarks) {
      throw errors.invalid('', 'ListOptions', '', [
        {
          reason: 'FieldValueForbidden',
          field: 'allowWatchBookmarks',
          message: 'Forbidden: sendInitialEvents requires setting allowWatchBookmarks to true',
        },
      ]);
    }
    let watch;
    try {
      watch = this.registry.watch(info, ns, {
        resourceVersion: lo.resourceVersion,
        predicate,
        allowBookmarks,
        sendInitialEvents,
      });
    } catch (e) {
      // upstream answers 200 and an ERROR event for a too-old resourceVersion
      if ((e as { code?: number }).code === 410) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            type: 'ERROR',
            object: {
              kind: 'Status',
              apiVersion: 'v1',
              metadata: {},
              status: 'Failure',
              message: `too old resource version: ${lo.resourceVersion}`,
              reason: 'Expired',
              code: 410,
            },
          }) + '\n',
        );
        return;
      }
      throw e;
    }
    const version = r.version;
    const tableWatch =
      n.transform === 'Table'
        ? this.tables.watch(info, version, includeObjectParam(q), n.tableVersion)
        : undefined;
    const render = tableWatch
      ? (obj: KubeObject, type: string) =>
          tableWatch.render(
            type === 'BOOKMARK' || obj.kind === 'Status'
              ? obj
              : this.registryView(info, version, obj),
          )
      : n.transform === 'PartialObjectMetadata' || n.transform === 'PartialObjectMetadataList'
        ? (obj: KubeObject) => ({
            apiVersion: 'meta.k8s.io/v1',
            kind: 'PartialObjectMetadata',
            metadata: obj.metadata,
          })
        : (obj: KubeObject) => this.registryView(info, version, obj);
    await streamWatch(req, res, watch, {
      render,
      encodingKey: () =>
        `${info.group}/${info.plural}/${version}/${n.transform}/${n.tableVersion ?? ''}/${q.get('includeObject') ?? ''}/${tableWatch?.headersNext ? 'headers' : ''}`,
      renderBookmarks: !!tableWatch,
      timeoutSeconds,
      info,
      version,
    });
  }

  private registryView(info: ResourceInfo, version: string, stored: KubeObject): KubeObject {
    return this.registry.external(info, version, stored);
  }

  private async create(
    req: IncomingMessage,
    res: ServerResponse,
    r: ResourceRequest,
    info: ResourceInfo,
    ns: string | undefined,
    q: URLSearchParams,
  ) {
    if (r.name)
      throw errors.methodNotAllowed('POST is not allowed on a named resource; use PUT or PATCH');
    const n = negotiate(req.headers.accept, []);
    const body = decodeObject(await readBody(req), req.headers['content-type']);
    const opts = writeOptions(q, req.headers['user-agent'], 'unknown');
    const obj = await this.registry.create(info, r.version, ns, body, opts);
    send(res, 201, obj, n.format, opts.warnings);
  }

  private async update(
    req: IncomingMessage,
    res: ServerResponse,
    r: ResourceRequest,
    info: ResourceInfo,
    ns: string | undefined,
    q: URLSearchParams,
    sub?: string,
  ) {
    const n = negotiate(req.headers.accept, []);
    const body = decodeObject(await readBody(req), req.headers['content-type']);
    const opts = writeOptions(q, req.headers['user-agent'], 'unknown');
    const obj = await this.registry.update(info, r.version, ns, r.name!, body, opts, sub);
    send(res, 200, obj, n.format, opts.warnings);
  }

  private async patch(
    req: IncomingMessage,
    res: ServerResponse,
    r: ResourceRequest,
    info: ResourceInfo,
    ns: string | undefined,
    q: URLSearchParams,
    sub?: string,
  ) {
    const n = negotiate(req.headers.accept, []);
    const type = mediaType(req.headers['content-type']);
    if (!PATCH_TYPES.has(type))
      throw errors.unsupportedMediaType(req.headers['content-type'] ?? '');
    const body = await readBody(req);
    if (body.length === 0) throw errors.badRequest('the body of the request was empty');
    const opts = writeOptions(q, req.headers['user-agent'], 'unknown');
    if (type !== 'application/apply-patch+yaml' && q.has('force')) {
      throw errors.badRequest('force: Forbidden: may not be specified for non-apply patch');
    }
    const { object, created } = await this.registry.patch(
      info,
      r.version,
      ns,
      r.name!,
      type,
      body,
      opts,
      sub,
    );
    send(res, created ? 201 : 200, object, n.format, opts.warnings);
  }

  private async delete(
    req: IncomingMessage,
    res: ServerResponse,
    r: ResourceRequest,
    info: ResourceInfo,
    ns: string | undefined,
    q: URLSearchParams,
  ) {
    const n = negotiate(req.headers.accept, []);
    const opts = await this.readDeleteOptions(req, q);
    const result = await this.registry.delete(info, r.version, ns, r.name!, opts);
    send(res, result.deleted ? 200 : 202, result.object, n.format);
  }

  private async deleteCollection(
    req: IncomingMessage,
    res: ServerResponse,
    r: ResourceRequest,
    info: ResourceInfo,
    ns: string | undefined,
    q: URLSearchParams,
  ) {
    const n = negotiate(req.headers.accept, []);
    const opts = await this.readDeleteOptions(req, q);
    const lo = { ...listOptions(q), predicate: buildPredicate(info, q) };
    const list = await this.registry.deleteCollection(info, r.version, ns, lo, opts);
    send(res, 200, list, n.format);
  }

  /** DeleteOptions come from the query and an optional body. */
  private async readDeleteOptions(req: IncomingMessage, q: URLSearchParams) {
    const raw = await readBody(req);
    const body = raw.length ? decodeObject(raw, req.headers['content-type'] ?? 'application/json') : undefined;
    return deleteOptions(q, body);
  }

  // ---- subresources ----

  private async handleSubresource(
    req: IncomingMessage,
    res: ServerResponse,
    r: ResourceRequest,
    info: ResourceInfo,
    q: URLSearchParams,
  ) {
    const ns = info.namespaced ? r.namespace : undefined;
    const sub = r.subresource!;
    const isNamespace = info.group === '' && info.plural === 'namespaces';
    if (sub === 'status' && info.subresources.status) {
      if (r.verb === 'get') return this.get(req, res, r, info, ns, q);
      if (r.verb === 'update') return this.update(req, res, r, info, ns, q, 'status');
      if (r.verb === 'patch') return this.patch(req, res, r, info, ns, q, 'status');
      throw errors.methodNotAllowed(
        'the server does not allow this method on the requested resource',
      );
    }
    // kubectl debug adds containers to a running pod here (a strategic merge patch; PUT from older clients)
    if (sub === 'ephemeralcontainers' && info.strategy.subresources?.ephemeralcontainers) {
      if (r.verb === 'get') return this.get(req, res, r, info, ns, q);
      if (r.verb === 'update') return this.update(req, res, r, info, ns, q, sub);
      if (r.verb === 'patch') return this.patch(req, res, r, info, ns, q, sub);
      throw errors.methodNotAllowed('the server does not allow this method on the requested resource');
    }
    if (sub === 'finalize' && isNamespace && r.verb === 'update')
      return this.update(req, res, r, info, ns, q, 'finalize');
    if (sub === 'scale' && info.subresources.scale)
      return this.scale.handle(req, res, r, info, ns, q);
    if (sub === 'proxy' && info.group === '' && (info.plural === 'pods' || info.plural === 'services' || info.plural === 'nodes')) {
      return proxySubresource(req, res, this.registry, this.nodeCredentials?.(), info.plural, ns, r.name!, r.subpath ?? '', q.toString());
    }
    if (info.group === '' && info.plural === 'serviceaccounts' && sub === 'token' && r.verb === 'create' && this.serviceAccountTokens) {
      return createServiceAccountToken(req, res, this.registry, this.serviceAccountTokens, ns!, r.name!);
    }
    if (info.group === '' && info.plural === 'pods' && sub === 'log' && r.verb === 'get') {
      return podLog(req, res, this.registry, this.nodeCredentials?.(), ns!, r.name!, q);
    }
    if (
      info.group === '' &&
      info.plural === 'pods' &&
      r.verb === 'create' &&
      (sub === 'binding' || sub === 'eviction')
    ) {
      const body = decodeObject(await readBody(req), req.headers['content-type']);
      const opts = writeOptions(q, req.headers['user-agent'], 'unknown');
      if (sub === 'binding') await this.bind(ns!, r.name!, body, opts);
      else await this.evict(ns!, r.name!, body, opts.dryRun);
      send(res, 201, {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Success',
        code: 201,
      });
      return;
    }
    throw errors.notFound(info.group, `${info.plural}/${sub}`, r.name ?? '');
  }

  /** bindings (POST namespaces/ns/bindings) are pods/binding by another path. */
  async createBinding(
    req: IncomingMessage,
    res: ServerResponse,
    ns: string,
    q: URLSearchParams,
  ): Promise<void> {
    const body = decodeObject(await readBody(req), req.headers['content-type']);
    const name = (body.metadata as { name?: string } | undefined)?.name;
    if (!name)
      throw errors.invalid('', 'Binding', '', [
        {
          reason: 'FieldValueRequired',
          field: 'metadata.name',
          message: 'Required value: name or generateName is required',
        },
      ]);
    const opts = writeOptions(q, req.headers['user-agent'], 'unknown');
    await this.bind(ns, name, body, opts);
    send(res, 201, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Success',
      code: 201,
    });
  }

  /** Sets spec.nodeName once, as upstream's BindingREST: a bound pod cannot be re-bound. */
  private async bind(
    ns: string,
    name: string,
    body: Record<string, unknown>,
    opts: ReturnType<typeof writeOptions>,
  ): Promise<void> {
    const pods = findResource('', 'pods')!;
    const target = body.target as { kind?: string; name?: string } | undefined;
    if (!target?.name) {
      throw errors.invalid('', 'Binding', name, [
        { reason: 'FieldValueRequired', field: 'target.name', message: 'Required value' },
      ]);
    }
    if (target.kind && target.kind !== 'Node') {
      throw errors.invalid('', 'Binding', name, [
        {
          reason: 'FieldValueNotSupported',
          field: 'target.kind',
          message: `Unsupported value: ${JSON.stringify(target.kind)}: supported values: "Node"`,
        },
      ]);
    }
    const annotations = (body.metadata as { annotations?: Record<string, string> } | undefined)
      ?.annotations;
    // a guaranteed update, as upstream: status writers racing with the binding are retried around
    for (let attempt = 0; ; attempt++) {
      // first from the watch cache (a stale copy fails the write as a conflict);
      // refusals and retries are decided on a storage read
      let current = attempt ? undefined : await this.registry.getCachedOrRead(pods, 'v1', ns, name);
      if (!current || current.metadata.deletionTimestamp || (current.spec as { nodeName?: string } | undefined)?.nodeName)
        current = await this.registry.get(pods, 'v1', ns, name);
      const spec = (current.spec ?? {}) as { nodeName?: string };
      if (current.metadata.deletionTimestamp) {
        throw errors.conflict(
          '',
          'pods',
          name,
          'pod is being deleted, cannot be assigned to a host',
        );
      }
      if (spec.nodeName) {
        throw errors.conflict(
          '',
          'pods',
          name,
          `pod ${name} is already assigned to node "${spec.nodeName}"`,
        );
      }
      // copies of only the parts that change (current may be the cache's object):
      // replaceInternal deep-clones what it stores, once
      const status = { ...(current.status ?? {}) } as { conditions?: Array<Record<string, unknown>> };
      const next: KubeObject = { ...current, spec: { ...spec, nodeName: target.name }, status };
      if (annotations)
        next.metadata = { ...current.metadata, annotations: { ...(current.metadata.annotations ?? {}), ...annotations } };
      const conditions = (status.conditions ?? []).filter((c) => c.type !== 'PodScheduled');
      conditions.push({
        type: 'PodScheduled',
        status: 'True',
        lastProbeTime: null,
        lastTransitionTime: metaTime(),
      });
      status.conditions = conditions;
      try {
        await this.registry.replaceInternal(pods, next, opts);
        return;
      } catch (e) {
        if (
          (e as { reason?: string }).reason !== 'Conflict' ||
          attempt >= 5 ||
          /already assigned|being deleted/.test((e as Error).message)
        )
          throw e;
      }
    }
  }

  /** Eviction honours the pod's disruption budget (registry/eviction.ts). */
  private async evict(
    ns: string,
    name: string,
    body: Record<string, unknown>,
    dryRun: boolean,
  ): Promise<void> {
    await evictPod(this.registry, ns, name, body, dryRun);
  }
}
