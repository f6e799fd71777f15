// A structural description of every kind's fields, built from the upstream model
// shapes plus our own table of list semantics. Used by strategic merge patch,
// server-side apply, fieldValidation, OpenAPI and `kubectl explain`.

export type SchemaType =
  | { type: 'object'; ref: string } // a named definition, e.g. "io.k8s.api.core.v1.Container"
  | { type: 'array'; items: SchemaType }
  | { type: 'map'; values: SchemaType } // map[string]T (labels, data, resources.limits)
  | { type: 'string' | 'integer' | 'number' | 'boolean' }
  | { type: 'int-or-string' }
  | { type: 'quantity' } // resource.Quantity: string or number on the wire
  | { type: 'time' } // RFC 3339 string
  | { type: 'any' }; // RawExtension / JSON (e.g. managedFields.fieldsV1)

export interface FieldSchema {
  name: string; // JSON name
  schema: SchemaType;
  description?: string;
  required?: boolean;
  // list semantics (only for arrays), as upstream's +patchStrategy / +listType tags
  patchStrategy?: 'merge' | 'retainKeys' | 'merge,retainKeys' | 'replace';
  patchMergeKey?: string;
  listType?: 'atomic' | 'set' | 'map';
  listMapKeys?: string[];
  /** map/struct granularity for SSA: 'atomic' means owned as a whole */
  mapType?: 'atomic' | 'granular';
}

export interface Definition {
  /** e.g. "io.k8s.api.apps.v1.Deployment" */
  name: string;
  description?: string;
  fields: Map<string, FieldSchema>;
  /** group/version/kind for top-level kinds */
  gvk?: { group: string; version: string; kind: string };
}

export interface SchemaRegistry {
  definition(name: string): Definition | undefined;
  /** Definition name of a top-level kind, e.g. ('apps','v1','Deployment') -> io.k8s.api.apps.v1.Deployment */
  definitionFor(group: string, version: string, kind: string): Definition | undefined;
  all(): Iterable<Definition>;
}
