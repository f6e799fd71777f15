// The generic REST state machine every resource shares, as upstream's
// registry/generic/registry.Store: metadata rules, strategies, optimistic
// concurrency, dry-run, graceful deletion and finalizers, over the Storage contract.
import { errors, field, type StatusCause } from '../../api/errors.js';
import { cloneJson, type KubeList, type KubeObject, type ObjectMeta } from '../../api/object.js';
import type { ResourceInfo } from '../../api/resource.js';
import { findResource } from '../../api/kinds/resources.js';
import type { ListOptions, ResourceStore, Storage, Watch, WatchOptions } from '../../storage/store.js';
import { StorageError } from '../../storage/store.js';
import { apiVersionOf, storageResource, toExternal, toInternal } from './conversion.js';
import type { RegistryHooks, WriteReservation } from './hooks.js';
import { collectionPrefix, objectKey, resourcePrefix } from './keys.js';
import { deepEqual, generateName, newUid, nowTimestamp, specChangedDefault, tracksGeneration } from './metadata.js';
import { mapStorageError } from './storage-errors.js';
import { isTerminalPod } from '../../api/kinds/pod-phase.js';

export type FieldValidation = 'Ignore' | 'Warn' | 'Strict';

export interface WriteOptions {
  dryRun: boolean;
  fieldManager?: string;
  fieldValidation: FieldValidation;
  /** collected Warning headers for the response */
  warnings: string[];
  force?: boolean;
}

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun: boolean;
}

export type { ListOptions } from '../../storage/store.js';

export interface DeleteResult {
  object: KubeObject;
  /** false when the object was only marked for deletion (graceful or finalizers) */
  deleted: boolean;
}

const APPLY_PATCH = 'application/apply-patch+yaml';
const MAX_RETRIES = 8;

export class GenericRegistry {
  constructor(
    private readonly storage: Storage,
    private readonly hooks: RegistryHooks,
  ) {}

  store(info: ResourceInfo): ResourceStore {
    return this.storage.resource(resourcePrefix(info));
  }

  // ---- reads ----

  async get(info: ResourceInfo, version: string, namespace: string | undefined, name: string): Promise<KubeObject> {
    const stored = await this.read(info, namespace, name);
    return toExternal(info, version, stored);
  }

  /**
   * The watch cache's copy when it has one, else as get(). It may trail the
   * latest write: only for a caller that writes back with its resourceVersion
   * (a stale copy then fails as a conflict) and clones before changing it.
   */
  async getCachedOrRead(info: ResourceInfo, version: string, namespace: string | undefined, name: string): Promise<KubeObject> {
    const cached = this.store(info).getCached(objectKey(info, namespace, name));
    return cached ? toExternal(info, version, cached) : this.get(info, version, namespace, name);
  }

  async list(info: ResourceInfo, version: string, namespace: string | undefined, opts: ListOptions): Promise<KubeList> {
    const res = await this.store(info)
      .list(collectionPrefix(info, namespace), opts)
      .catch((e) => {
        throw mapStorageError(e, info, '');
      });
    const list: KubeList = {
      apiVersion: apiVersionOf(info.group, version),
      kind: info.listKind,
      metadata: { resourceVersion: res.resourceVersion },
      items: res.items.map((o) => {
        const ext = toExternal(info, version, o);
        // items in a list carry no type meta, as upstream serializes typed lists
        const { apiVersion: _a, kind: _k, ...rest } = ext;
        return rest as KubeObject;
      }),
    };
    if (res.continue) list.metadata.continue = res.continue;
    if (res.remainingItemCount !== undefined && res.continue) list.metadata.remainingItemCount = res.remainingItemCount;
    return list;
  }

  watch(info: ResourceInfo, namespace: string | undefined, opts: WatchOptions): Watch {
    try {
      return this.store(info).watch(collectionPrefix(info, namespace), opts);
    } catch (e) {
      throw mapStorageError(e, info, '');
    }
  }

  // ---- create ----

  async create(
    info: ResourceInfo,
    version: string,
    namespace: string | undefined,
    body: Record<string, unknown>,
    opts: WriteOptions,
  ): Promise<KubeObject> {
    this.checkTypeMeta(info, version, body);
    const external = body as KubeObject;
    const meta = this.metaOf(external);
    this.checkFields(info, version, external, opts);
    if (info.namespaced) {
      if (meta.namespace && namespace && meta.namespace !== namespace) {
        throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      meta.namespace = namespace ?? meta.namespace;
      if (!meta.namespace) throw errors.badRequest('the namespace of the object must be set');
    } else {
      delete meta.namespace;
    }
    if (meta.resourceVersion) {
      throw errors.badRequest('resourceVersion should not be set on objects to be created');
    }
    const manager = this.managerName(opts, 'create');
    const withFields = this.hooks.updateManagedFields(undefined, external, manager, apiVersionOf(info.group, version));
    return this.createInternal(info, version, withFields, opts);
  }

  private async createInternal(info: ResourceInfo, version: string, external: KubeObject, opts: WriteOptions): Promise<KubeObject> {
    const obj = toInternal(info, version, external);
    const meta = this.metaOf(obj);
    const sInfo = storageResource(info);
    const strategy = sInfo.strategy;
    const wantsGeneratedName = !meta.name && !!meta.generateName;
    if (wantsGeneratedName) meta.name = generateName(meta.generateName!);
    meta.uid = newUid();
    meta.creationTimestamp = nowTimestamp();
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    if (tracksGeneration(sInfo)) meta.generation = 1;
    else delete meta.generation;
    strategy.defaults?.(obj);
    strategy.prepareForCreate?.(obj);
    if (sInfo.group === '' && sInfo.plural === 'namespaces') prepareNamespace(obj);
    this.validate(info, obj, [...this.hooks.validateMetadata(obj, sInfo), ...(strategy.validate?.(obj) ?? [])]);
    if (info.namespaced) await this.admitNamespace(meta.namespace!);
    await this.hooks.admit?.(sInfo, obj, !!opts.dryRun);
    const reservation = this.hooks.beginWrite?.(sInfo, obj, undefined);
    return settle(reservation, opts.dryRun, async () => {
      if (opts.dryRun) return toExternal(info, version, obj);
      for (let attempt = 0; ; attempt++) {
        try {
          const stored = await this.store(info).create(objectKey(info, meta.namespace, meta.name!), obj);
          return toExternal(info, version, stored);
        } catch (e) {
          // upstream retries generated-name collisions rather than failing the client
          if (e instanceof StorageError && e.code === 'KeyExists' && wantsGeneratedName && attempt < MAX_RETRIES) {
            meta.name = generateName(meta.generateName!);
            continue;
          }
          throw mapStorageError(e, info, meta.name!);
        }
      }
    });
  }

  // ---- update and patch ----

  async update(
    info: ResourceInfo,
    version: string,
    namespace: string | undefined,
    name: string,
    body: Record<string, unknown>,
    opts: WriteOptions,
    subresource?: string,
  ): Promise<KubeObject> {
    this.checkTypeMeta(info, version, body);
    const incoming = body as KubeObject;
    const meta = this.metaOf(incoming);
    this.checkFields(info, version, incoming, opts);
    if (meta.name !== undefined && meta.name !== name) {
      throw errors.badRequest(`the name of the object (${meta.name}) does not match the name on the URL (${name})`);
    }
    if (info.namespaced && meta.namespace && namespace && meta.namespace !== namespace) {
      throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    const manager = this.managerName(opts, 'update');
    for (let attempt = 0; ; attempt++) {
      const current = await this.read(info, namespace, name);
      if (meta.resourceVersion && meta.resourceVersion !== current.metadata.resourceVersion) {
        throw this.conflict(info, name);
      }
      const currentExt = toExternal(info, version, current);
      const next = structuredClone(incoming);
      next.metadata.name = name;
      if (info.namespaced) next.metadata.namespace = namespace;
      const withFields = this.hooks.updateManagedFields(currentExt, next, manager, apiVersionOf(info.group, version), subresource);
      try {
        return await this.writeUpdate(info, version, current, withFields, opts, subresource);
      } catch (e) {
        if (!meta.resourceVersion && isConflict(e) && attempt < MAX_RETRIES) continue;
        throw e;
      }
    }
  }

  async patch(
    info: ResourceInfo,
    version: string,
    namespace: string | undefined,
    name: string,
    contentType: string,
    body: Buffer,
    opts: WriteOptions,
    subresource?: string,
  ): Promise<{ object: KubeObject; created: boolean }> {
    const isApply = contentType === APPLY_PATCH;
    if (isApply && !opts.fieldManager) {
      throw errors.badRequest('PATCH requests with apply content type require fieldManager');
    }
    const manager = this.managerName(opts, 'patch');
    for (let attempt = 0; ; attempt++) {
      let current: KubeObject | undefined;
      try {
        current = await this.read(info, namespace, name);
      } catch (e) {
        if (!(isApply && !subresource && isNotFound(e))) throw e;
      }
      const live: KubeObject = current
        ? toExternal(info, version, current)
        : { apiVersion: apiVersionOf(info.group, version), kind: info.kind, metadata: { name, ...(info.namespaced ? { namespace } : {}) } };
      const patched = this.hooks.applyPatch(contentType, live, body, {
        info,
        version,
        fieldManager: manager,
        force: opts.force ?? false,
        creating: !current,
      });
      this.checkTypeMeta(info, version, patched);
      this.checkFields(info, version, patched, opts);
      const pmeta = this.metaOf(patched);
      if (pmeta.name !== name) throw errors.badRequest(`the name of the object (${pmeta.name}) does not match the name on the URL (${name})`);
      if (!current) {
        if (info.namespaced) pmeta.namespace = namespace;
        delete pmeta.resourceVersion;
        try {
          return { object: await this.createInternal(info, version, patched, opts), created: true };
        } catch (e) {
          if (isAlreadyExists(e) && attempt < MAX_RETRIES) continue;
          throw e;
        }
      }
      const rvFromPatch = pmeta.resourceVersion !== current.metadata.resourceVersion ? pmeta.resourceVersion : undefined;
      if (rvFromPatch) throw this.conflict(info, name);
      if (info.namespaced) pmeta.namespace = namespace;
      const next = isApply ? patched : this.hooks.updateManagedFields(live, patched, manager, apiVersionOf(info.group, version), subresource);
      try {
        return { object: await this.writeUpdate(info, version, current, next, opts, subresource), created: false };
      } catch (e) {
        if (isConflict(e) && attempt < MAX_RETRIES) continue;
        throw e;
      }
    }
  }

  /** The shared tail of update and patch: strategies, generation, validation, CAS write. */
  private async writeUpdate(
    info: ResourceInfo,
    version: string,
    current: KubeObject,
    nextExternal: KubeObject,
    opts: WriteOptions,
    subresource?: string,
  ): Promise<KubeObject> {
    const sInfo = storageResource(info);
    const strategy = sInfo.strategy;
    const obj = toInternal(info, version, nextExternal);
    const meta = this.metaOf(obj);
    const cur = current.metadata;
    // fields the server owns are carried over from the stored object
    meta.uid = cur.uid;
    meta.creationTimestamp = cur.creationTimestamp;
    meta.resourceVersion = cur.resourceVersion;
    if (cur.deletionTimestamp) meta.deletionTimestamp = cur.deletionTimestamp;
    else delete meta.deletionTimestamp;
    if (cur.deletionGracePeriodSeconds !== undefined) meta.deletionGracePeriodSeconds = cur.deletionGracePeriodSeconds;
    else delete meta.deletionGracePeriodSeconds;
    if (cur.generation !== undefined) meta.generation = cur.generation;
    else delete meta.generation;

    const causes: StatusCause[] = [];
    if (subresource === 'status') {
      if (strategy.prepareForStatusUpdate) strategy.prepareForStatusUpdate(obj, current);
      else keepAllButStatus(obj, current);
      strategy.defaults?.(obj);
      causes.push(...(strategy.validateStatusUpdate?.(obj, current) ?? []));
    } else if (subresource && strategy.subresources?.[subresource]) {
      // a subresource owning part of the object: the rest stays as stored, the whole is validated
      const sub = strategy.subresources[subresource];
      sub.prepareForUpdate(obj, current);
      strategy.defaults?.(obj);
      causes.push(...(strategy.validate?.(obj, current) ?? []), ...sub.validateUpdate(obj, current));
    } else if (subresource === 'finalize') {
      // namespaces/finalize changes spec.finalizers only
      const finalizers = (obj.spec as Record<string, unknown> | undefined)?.finalizers;
      const copy = structuredClone(current);
      copy.spec = { ...((copy.spec as object) ?? {}), finalizers };
      if (finalizers === undefined) delete (copy.spec as Record<string, unknown>).finalizers;
      copy.metadata.managedFields = meta.managedFields;
      return this.finishUpdate(info, version, current, copy, opts);
    } else {
      if (strategy.prepareForUpdate) strategy.prepareForUpdate(obj, current);
      else if (sInfo.subresources.status) obj.status = current.status;
      if (obj.status === undefined) delete obj.status;
      strategy.defaults?.(obj);
      if (meta.generation !== undefined) {
        const changed = strategy.specChanged ? strategy.specChanged(obj, current) : specChangedDefault(obj, current);
        if (changed) meta.generation = (cur.generation ?? 0) + 1;
      }
      causes.push(...(strategy.validate?.(obj, current) ?? []), ...(strategy.validateUpdate?.(obj, current) ?? []));
    }
    causes.unshift(...this.hooks.validateMetadata(obj, sInfo), ...this.hooks.validateMetadataUpdate(obj, current, sInfo));
    if (cur.deletionTimestamp) {
      const added = (meta.finalizers ?? []).filter((f) => !(cur.finalizers ?? []).includes(f));
      if (added.length) causes.push(field.forbidden('metadata.finalizers', 'no new finalizers can be added if the object is being deleted, found new finalizers ' + JSON.stringify(added)));
    }
    this.validate(info, obj, causes);
    if (!subresource) await this.hooks.admitUpdate?.(sInfo, obj, current, !!opts.dryRun);
    const reservation = subresource === 'status' ? undefined : this.hooks.beginWrite?.(sInfo, obj, current);
    return settle(reservation, opts.dryRun, () => this.finishUpdate(info, version, current, obj, opts));
  }

  private async finishUpdate(info: ResourceInfo, version: string, current: KubeObject, obj: KubeObject, opts: WriteOptions): Promise<KubeObject> {
    const key = objectKey(info, current.metadata.namespace, current.metadata.name!);
    // A deleting object whose last finalizer went away is removed now.
    if (current.metadata.deletionTimestamp && readyToDelete(obj)) {
      if (opts.dryRun) return toExternal(info, version, obj);
      const deleted = await this.store(info)
        .delete(key, { resourceVersion: current.metadata.resourceVersion })
        .catch((e) => {
          throw mapStorageError(e, info, current.metadata.name!);
        });
      this.hooks.afterDelete?.(storageResource(info), deleted);
      return toExternal(info, version, deleted);
    }
    if (sameIgnoringFieldTimes(obj, current)) return toExternal(info, version, current);
    if (opts.dryRun) return toExternal(info, version, obj);
    const stored = await this.store(info)
      .update(key, obj, { resourceVersion: current.metadata.resourceVersion })
      .catch((e) => {
        throw mapStorageError(e, info, current.metadata.name!);
      });
    return toExternal(info, version, stored);
  }

  // ---- delete ----

  async delete(info: ResourceInfo, version: string, namespace: string | undefined, name: string, opts: DeleteOptions): Promise<DeleteResult> {
    const key = objectKey(info, namespace, name);
    for (let attempt = 0; ; attempt++) {
      const current = await this.read(info, namespace, name);
      const pre = opts.preconditions;
      if (pre?.uid && pre.uid !== current.metadata.uid) {
        throw errors.conflict(info.group, info.plural, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${current.metadata.uid}`);
      }
      if (pre?.resourceVersion && pre.resourceVersion !== current.metadata.resourceVersion) {
        throw errors.conflict(info.group, info.plural, name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${current.metadata.resourceVersion}`);
      }
      const next = structuredClone(current);
      const meta = next.metadata;
      const grace = gracePeriod(info, current, opts.gracePeriodSeconds);
      const finalizers = new Set(meta.finalizers ?? []);
      if (opts.propagationPolicy === 'Orphan') {
        finalizers.add('orphan');
        finalizers.delete('foregroundDeletion');
      } else if (opts.propagationPolicy === 'Foreground') {
        finalizers.add('foregroundDeletion');
        finalizers.delete('orphan');
      } else if (opts.propagationPolicy === 'Background') {
        finalizers.delete('orphan');
        finalizers.delete('foregroundDeletion');
      }
      if (finalizers.size) meta.finalizers = [...finalizers];
      else delete meta.finalizers;
      const isNamespace = info.group === '' && info.plural === 'namespaces';
      const pendingNamespace = isNamespace && ((next.spec as { finalizers?: string[] } | undefined)?.finalizers?.length ?? 0) > 0;

      if (!meta.finalizers && !pendingNamespace && grace === 0) {
        if (opts.dryRun) return { object: toExternal(info, version, current), deleted: true };
        try {
          const deleted = await this.store(info).delete(key, { resourceVersion: current.metadata.resourceVersion });
          this.hooks.afterDelete?.(storageResource(info), deleted);
          return { object: toExternal(info, version, deleted), deleted: true };
        } catch (e) {
          if (e instanceof StorageError && e.code === 'Conflict' && attempt < MAX_RETRIES) continue;
          throw mapStorageError(e, info, name);
        }
      }
      // graceful deletion or finalizers pending: mark, and let the owners finish
      const now = Date.now();
      const existing = meta.deletionTimestamp ? Date.parse(meta.deletionTimestamp) : undefined;
      const proposed = now + grace * 1000;
      if (existing === undefined || proposed < existing) {
        meta.deletionTimestamp = nowTimestamp(new Date(proposed));
        meta.deletionGracePeriodSeconds = grace;
      }
      if (isNamespace) next.status = { ...((next.status as object) ?? {}), phase: 'Terminating' };
      if (deepEqual(next, current)) return { object: toExternal(info, version, current), deleted: false };
      if (opts.dryRun) return { object: toExternal(info, version, next), deleted: false };
      try {
        const stored = await this.store(info).update(key, next, { resourceVersion: current.metadata.resourceVersion });
        return { object: toExternal(info, version, stored), deleted: false };
      } catch (e) {
        if (e instanceof StorageError && e.code === 'Conflict' && attempt < MAX_RETRIES) continue;
        throw mapStorageError(e, info, name);
      }
    }
  }

  async deleteCollection(
    info: ResourceInfo,
    version: string,
    namespace: string | undefined,
    listOpts: ListOptions,
    opts: DeleteOptions,
  ): Promise<KubeList> {
    const list = await this.list(info, version, namespace, { ...listOpts, limit: undefined, continue: undefined });
    const items: KubeObject[] = [];
    for (const item of list.items) {
      try {
        const r = await this.delete(info, version, item.metadata.namespace, item.metadata.name!, opts);
        items.push(r.object);
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    }
    return { ...list, items };
  }

  /** Stored object in a request version (for watch rendering). */
  external(info: ResourceInfo, version: string, stored: KubeObject): KubeObject {
    return toExternal(info, version, stored);
  }

  /** Applies a patch body to an arbitrary object (subresource views such as Scale). */
  patchObject(contentType: string, live: KubeObject, body: Buffer, info: ResourceInfo, version: string, opts: WriteOptions): KubeObject {
    return this.hooks.applyPatch(contentType, live, body, {
      info,
      version,
      fieldManager: this.managerName(opts, 'patch'),
      force: opts.force ?? false,
      creating: false,
    });
  }

  /**
   * Writes a whole object (spec and status) computed by a subresource such as
   * pods/binding, with the object's resourceVersion as precondition.
   */
  async replaceInternal(info: ResourceInfo, next: KubeObject, opts: WriteOptions): Promise<KubeObject> {
    const version = info.versions[0];
    // the object at a resourceVersion never changes: when the watch cache holds the
    // version the caller wrote against, it is the current one (or storage has moved
    // on, and the write's precondition fails as the same conflict)
    const cached = this.store(info).getCached(objectKey(info, next.metadata.namespace, next.metadata.name!));
    const current = cached && cached.metadata.resourceVersion === next.metadata.resourceVersion ? cached : await this.read(info, next.metadata.namespace, next.metadata.name!);
    if (current.metadata.resourceVersion !== next.metadata.resourceVersion) throw this.conflict(info, next.metadata.name!);
    const obj = toInternal(info, version, cloneJson(next));
    storageResource(info).strategy.defaults?.(obj);
    const causes = [...this.hooks.validateMetadata(obj, info), ...(storageResource(info).strategy.validate?.(obj, current) ?? [])];
    this.validate(info, obj, causes);
    return this.finishUpdate(info, version, current, obj, opts);
  }

  // ---- helpers ----

  private async read(info: ResourceInfo, namespace: string | undefined, name: string): Promise<KubeObject> {
    try {
      return await this.store(info).get(objectKey(info, namespace, name));
    } catch (e) {
      throw mapStorageError(e, info, name);
    }
  }

  private async admitNamespace(namespace: string): Promise<void> {
    const nsInfo = findResource('', 'namespaces')!;
    const store = this.storage.resource(resourcePrefix(nsInfo));
    const key = objectKey(nsInfo, undefined, namespace);
    // as upstream's NamespaceLifecycle: the watch cache first (a storage read per
    // create was a large part of a create's cost), a live read for a namespace it
    // does not have yet (created a moment ago)
    const ns = store.getCached(key) ?? (await store.get(key).catch((e: unknown) => {
      if (e instanceof StorageError && e.code === 'KeyNotFound') throw errors.notFound('', 'namespaces', namespace);
      throw e;
    }));
    if (ns.metadata.deletionTimestamp || (ns.status as { phase?: string } | undefined)?.phase === 'Terminating') {
      throw errors.forbidden(`unable to create new content in namespace ${namespace} because it is being terminated`);
    }
  }

  private checkTypeMeta(info: ResourceInfo, version: string, body: Record<string, unknown>): void {
    const want = apiVersionOf(info.group, version);
    if (body.apiVersion !== undefined && body.apiVersion !== want) {
      throw errors.badRequest(`the API version in the data (${String(body.apiVersion)}) does not match the expected API version (${want})`);
    }
    if (body.kind !== undefined && body.kind !== info.kind) {
      throw errors.badRequest(`${String(body.kind)} in version "${version}" cannot be handled as a ${info.kind}: the kind in the data (${String(body.kind)}) does not match the expected kind (${info.kind})`);
    }
    if (body.metadata !== undefined && (body.metadata === null || typeof body.metadata !== 'object' || Array.isArray(body.metadata))) {
      throw errors.badRequest(`${info.kind} in version "${version}" cannot be handled as a ${info.kind}: json: cannot unmarshal ${Array.isArray(body.metadata) ? 'array' : typeof body.metadata} into Go struct field ${info.kind}.metadata of type v1.ObjectMeta`);
    }
  }

  private checkFields(info: ResourceInfo, version: string, obj: KubeObject, opts: WriteOptions): void {
    const shape = this.hooks.shapeErrors(obj, info, version);
    if (shape.length) throw errors.badRequest(`${info.kind} in version "${version}" cannot be handled as a ${info.kind}: ${shape[0]}`);
    // also drops the unknown fields from obj: they are never stored
    const unknown = this.hooks.unknownFields(obj, info, version);
    if (!unknown.length || opts.fieldValidation === 'Ignore') return;
    if (opts.fieldValidation === 'Strict') {
      const list = unknown.map((p) => `unknown field "${p}"`);
      throw errors.badRequest(`strict decoding error: ${list.join(', ')}`);
    }
    for (const p of unknown) opts.warnings.push(`unknown field "${p}"`);
  }

  private metaOf(obj: KubeObject): ObjectMeta {
    if (obj.metadata === undefined) obj.metadata = {};
    return obj.metadata;
  }

  private managerName(opts: WriteOptions, _verb: string): string {
    return opts.fieldManager ?? 'unknown';
  }

  private validate(info: ResourceInfo, obj: KubeObject, causes: StatusCause[]): void {
    if (causes.length) throw errors.invalid(info.group, info.kind, obj.metadata.name ?? '', causes);
  }

  private conflict(info: ResourceInfo, name: string) {
    return errors.conflict(info.group, info.plural, name, 'the object has been modified; please apply your changes to the latest version and try again');
  }
}

/** Runs a write holding a reservation: kept when stored, given back on failure or dry run. */
async function settle<T>(reservation: WriteReservation | undefined, dryRun: boolean, write: () => Promise<T>): Promise<T> {
  if (!reservation) return write();
  let result: T;
  try {
    result = await write();
  } catch (e) {
    reservation.revert();
    throw e;
  }
  if (dryRun) reservation.revert();
  else reservation.commit();
  return result;
}

function isConflict(e: unknown): boolean {
  return (e as { reason?: string })?.reason === 'Conflict';
}
function isNotFound(e: unknown): boolean {
  return (e as { reason?: string })?.reason === 'NotFound';
}
function isAlreadyExists(e: unknown): boolean {
  return (e as { reason?: string })?.reason === 'AlreadyExists';
}

function keepAllButStatus(obj: KubeObject, current: KubeObject): void {
  const status = obj.status;
  for (const k of Object.keys(obj)) delete obj[k];
  Object.assign(obj, structuredClone(current));
  if (status === undefined) delete obj.status;
  else obj.status = status;
}

function readyToDelete(obj: KubeObject): boolean {
  if (obj.metadata.finalizers?.length) return false;
  if ((obj.metadata.deletionGracePeriodSeconds ?? 0) > 0) return false;
  const specFinalizers = (obj.spec as { finalizers?: string[] } | undefined)?.finalizers;
  if (obj.kind === 'Namespace' && specFinalizers?.length) return false;
  return true;
}

/** No-op writes keep the stored object (and its resourceVersion), as upstream does. */
function sameIgnoringFieldTimes(a: KubeObject, b: KubeObject): boolean {
  const strip = (o: KubeObject) => ({
    ...o,
    metadata: {
      ...o.metadata,
      resourceVersion: undefined,
      managedFields: o.metadata.managedFields?.map((m) => ({ ...m, time: undefined })),
    },
  });
  return deepEqual(strip(a), strip(b));
}

function prepareNamespace(obj: KubeObject): void {
  const spec = (obj.spec ??= {}) as { finalizers?: string[] };
  spec.finalizers ??= ['kubernetes'];
  obj.status = { phase: 'Active' };
}

/** Grace period for a delete: only pods have one, and only once they are on a node. */
function gracePeriod(info: ResourceInfo, obj: KubeObject, requested: number | undefined): number {
  if (!(info.group === '' && info.plural === 'pods')) return 0;
  const spec = obj.spec as { nodeName?: string; terminationGracePeriodSeconds?: number } | undefined;
  if (!spec?.nodeName || isTerminalPod(obj)) return 0;
  const g = requested ?? spec.terminationGracePeriodSeconds ?? 30;
  // upstream: a requested grace of 0 means "immediately" only with force; otherwise 1
  return Math.max(0, g);
}
