// What the generic registry needs from the object model, injected so the
// registry stays a pure REST state machine over storage.
import type { KubeObject } from '../../api/object.js';
import type { ResourceInfo } from '../../api/resource.js';
import type { StatusCause } from '../../api/errors.js';

export interface PatchContext {
  info: ResourceInfo;
  version: string;
  fieldManager: string;
  force: boolean;
  /** true when the live object does not exist yet (apply creates) */
  creating: boolean;
}

/** What a write reserved besides the object itself (a Service's IP and node ports). */
export interface WriteReservation {
  /** the write was stored: give back what the old object held and the new one does not */
  commit(): void;
  /** the write failed (or was a dry run): give back what was reserved */
  revert(): void;
}

export interface RegistryHooks {
  /** Reserves what obj needs (old: the stored object on update); runs after validation, may fill fields, throws API errors. */
  beginWrite?(info: ResourceInfo, obj: KubeObject, old: KubeObject | undefined): WriteReservation | undefined;
  /** Admission of a new object (a pod's priority, limits, quota), after defaulting; throws API errors. A dry run records nothing. */
  admit?(info: ResourceInfo, obj: KubeObject, dryRun: boolean): Promise<void>;
  /** Admission of an update (quota for what grew, a claim's limits), after validation; throws API errors. */
  admitUpdate?(info: ResourceInfo, obj: KubeObject, old: KubeObject, dryRun: boolean): Promise<void>;
  /** obj has left storage for good. */
  afterDelete?(info: ResourceInfo, obj: KubeObject): void;
  validateMetadata(obj: KubeObject, info: ResourceInfo): StatusCause[];
  validateMetadataUpdate(obj: KubeObject, old: KubeObject, info: ResourceInfo): StatusCause[];
  /** Values of the wrong shape (a string where an object or list goes): 400s, whatever fieldValidation says. */
  shapeErrors(obj: KubeObject, info: ResourceInfo, version: string): string[];
  /** Unknown fields of obj (in the request version), removed from it; paths like "spec.foo". */
  unknownFields(obj: KubeObject, info: ResourceInfo, version: string): string[];
  /** Apply a PATCH body of the given content type to live (in the request version). */
  applyPatch(contentType: string, live: KubeObject, body: Buffer, ctx: PatchContext): KubeObject;
  /** Record field ownership for a write that is not an apply. */
  updateManagedFields(
    old: KubeObject | undefined,
    obj: KubeObject,
    manager: string,
    apiVersion: string,
    subresource?: string,
  ): KubeObject;
}
