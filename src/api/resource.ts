// What the API knows about each resource: names, scope, versions, verbs and the
// per-kind strategy. The apiserver routes and serves discovery from this alone.
import type { KubeObject } from './object.js';
import type { StatusCause } from './errors.js';

export interface ScaleSubresource {
  /** JSON path of the desired replicas in the object, e.g. ".spec.replicas" */
  specReplicasPath: string;
  statusReplicasPath: string;
  /** path of the label selector string / object in status or spec */
  labelSelectorPath?: string;
}

export interface ResourceInfo {
  group: string; // '' for core
  /** served versions, preferred (= storage) version first, e.g. ['v2', 'v1'] for HPA */
  versions: string[];
  kind: string;
  listKind: string;
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  /** verbs for discovery, e.g. create delete deletecollection get list patch update watch */
  verbs: string[];
  subresources: {
    status?: boolean;
    scale?: ScaleSubresource;
    /** other named subresources (binding, eviction, log, exec, attach, portforward, proxy, ephemeral containers ...) */
    other?: string[];
  };
  strategy: Strategy;
  /** Resources that share another's storage (events.k8s.io/events -> core events). */
  storageOf?: { group: string; plural: string };
}

export interface StrategyContext {
  /** apiVersion the request used (group/version or version for core) */
  apiVersion: string;
  /** true on create, false on update */
  create: boolean;
}

/**
 * Per-kind behaviour, as upstream's rest.RESTCreateStrategy/RESTUpdateStrategy.
 * Every method is optional; the generic registry supplies the metadata rules
 * (uid, creationTimestamp, generation, names, labels, finalizers...).
 * Objects handed in are owned by the caller and may be mutated in place.
 */
export interface Strategy {
  /** Fill defaults as upstream's SetDefaults_* do (runs on create, update and patch results). */
  defaults?(obj: KubeObject): void;
  /** On create: e.g. clear status for kinds with a status subresource, set initial status. */
  prepareForCreate?(obj: KubeObject): void;
  /** On main-resource update: e.g. keep status from old when a status subresource exists. */
  prepareForUpdate?(obj: KubeObject, old: KubeObject): void;
  /** On /status update: keep everything but status (and some metadata) from old. */
  prepareForStatusUpdate?(obj: KubeObject, old: KubeObject): void;
  /**
   * Validation of the kind's own fields (metadata is validated generically).
   * old is the stored object on update, for rules upstream applies only to
   * changed fields (e.g. a CronJob's timeZone).
   */
  validate?(obj: KubeObject, old?: KubeObject): StatusCause[];
  /** Extra checks on update, e.g. immutable fields. */
  validateUpdate?(obj: KubeObject, old: KubeObject): StatusCause[];
  validateStatusUpdate?(obj: KubeObject, old: KubeObject): StatusCause[];
  /** Field values for field selectors, beyond metadata.name and metadata.namespace. */
  selectableFields?(obj: KubeObject): Record<string, string>;
  /** Whether generation moves: default is "anything outside metadata and status changed". */
  specChanged?(obj: KubeObject, old: KubeObject): boolean;
  /** Convert a stored object (storage version) to another served version and back. */
  toVersion?(obj: KubeObject, version: string): KubeObject;
  fromVersion?(obj: KubeObject, version: string): KubeObject;
  /** Subresources that write part of the object (pods/ephemeralcontainers), by name. */
  subresources?: Record<string, SubresourceStrategy>;
}

/** What an update through a subresource may change, and the checks on it. */
export interface SubresourceStrategy {
  /** keep from old everything the subresource does not own */
  prepareForUpdate(obj: KubeObject, old: KubeObject): void;
  validateUpdate(obj: KubeObject, old: KubeObject): StatusCause[];
}
