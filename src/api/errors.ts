// Typed errors raised inside skiff; the API edge turns them into metav1.Status
// exactly as upstream's k8s.io/apimachinery/pkg/api/errors does.

export type StatusReason =
  | 'BadRequest'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Gone'
  | 'Invalid'
  | 'MethodNotAllowed'
  | 'NotAcceptable'
  | 'RequestEntityTooLarge'
  | 'UnsupportedMediaType'
  | 'TooManyRequests'
  | 'Expired'
  | 'Timeout'
  | 'InternalError'
  | 'ServiceUnavailable';

/** One field problem, as in upstream's field.Error; becomes a StatusCause. */
export interface StatusCause {
  /** e.g. FieldValueInvalid, FieldValueRequired, FieldValueDuplicate, FieldValueNotSupported, FieldValueForbidden, FieldValueTooLong */
  reason: string;
  message: string;
  /** dotted/indexed path, e.g. spec.containers[0].name */
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: StatusReason,
    message: string,
    readonly details?: StatusDetails,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  toStatus(): Record<string, unknown> {
    const s: Record<string, unknown> = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      code: this.code,
    };
    if (this.details) s.details = this.details;
    return s;
  }
}

/** group-qualified resource, e.g. "deployments.apps" or "pods". */
export function qualifiedResource(group: string, resource: string): string {
  return group ? `${resource}.${group}` : resource;
}

export const errors = {
  notFound(group: string, resource: string, name: string): ApiError {
    return new ApiError(404, 'NotFound', `${qualifiedResource(group, resource)} "${name}" not found`, {
      name,
      group: group || undefined,
      kind: resource,
    });
  },
  alreadyExists(group: string, resource: string, name: string): ApiError {
    return new ApiError(
      409,
      'AlreadyExists',
      `${qualifiedResource(group, resource)} "${name}" already exists`,
      { name, group: group || undefined, kind: resource },
    );
  },
  conflict(group: string, resource: string, name: string, why: string): ApiError {
    return new ApiError(
      409,
      'Conflict',
      `Operation cannot be fulfilled on ${qualifiedResource(group, resource)} "${name}": ${why}`,
      { name, group: group || undefined, kind: resource },
    );
  },
  /** 422 with field causes; kind is the Kind (e.g. "Deployment"), group its API group. */
  invalid(group: string, kind: string, name: string, causes: StatusCause[]): ApiError {
    const list = causes.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message));
    const summary = list.length === 1 ? list[0] : `[${list.join(', ')}]`;
    return new ApiError(
      422,
      'Invalid',
      `${kind}${group ? '.' + group : ''} "${name}" is invalid: ${summary}`,
      { name, group: group || undefined, kind, causes },
    );
  },
  badRequest(message: string, causes?: StatusCause[]): ApiError {
    return new ApiError(400, 'BadRequest', message, causes ? { causes } : undefined);
  },
  gone(message: string): ApiError {
    return new ApiError(410, 'Expired', message);
  },
  forbidden(message: string): ApiError {
    return new ApiError(403, 'Forbidden', message);
  },
  unauthorized(message = 'Unauthorized'): ApiError {
    return new ApiError(401, 'Unauthorized', message);
  },
  methodNotAllowed(message: string): ApiError {
    return new ApiError(405, 'MethodNotAllowed', message);
  },
  notAcceptable(message: string): ApiError {
    return new ApiError(406, 'NotAcceptable', message);
  },
  unsupportedMediaType(contentType: string): ApiError {
    return new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf (got ${JSON.stringify(contentType)})`);
  },
  tooLarge(message = 'the server has received too large of a request body'): ApiError {
    return new ApiError(413, 'RequestEntityTooLarge', message);
  },
  tooManyRequests(message: string, retryAfterSeconds = 1): ApiError {
    return new ApiError(429, 'TooManyRequests', message, { retryAfterSeconds });
  },
  internal(message: string): ApiError {
    return new ApiError(500, 'InternalError', `Internal error occurred: ${message}`);
  },
  timeout(message: string): ApiError {
    return new ApiError(504, 'Timeout', message);
  },
};

/** Field error helpers with upstream's cause reasons and messages. */
export const field = {
  required(path: string, detail = ''): StatusCause {
    return { reason: 'FieldValueRequired', field: path, message: `Required value${detail ? ': ' + detail : ''}` };
  },
  invalid(path: string, value: unknown, detail: string): StatusCause {
    return { reason: 'FieldValueInvalid', field: path, message: `Invalid value: ${fmtValue(value)}: ${detail}` };
  },
  notSupported(path: string, value: unknown, valid: string[]): StatusCause {
    return {
      reason: 'FieldValueNotSupported',
      field: path,
      message: `Unsupported value: ${fmtValue(value)}: supported values: ${valid.map((v) => JSON.stringify(v)).join(', ')}`,
    };
  },
  duplicate(path: string, value: unknown): StatusCause {
    return { reason: 'FieldValueDuplicate', field: path, message: `Duplicate value: ${fmtValue(value)}` };
  },
  forbidden(path: string, detail: string): StatusCause {
    return { reason: 'FieldValueForbidden', field: path, message: `Forbidden: ${detail}` };
  },
  tooLong(path: string, max: number): StatusCause {
    return { reason: 'FieldValueTooLong', field: path, message: `Too long: may not be more than ${max} bytes` };
  },
  immutable(path: string): StatusCause {
    return { reason: 'FieldValueInvalid', field: path, message: 'Invalid value: field is immutable' };
  },
};

function fmtValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === undefined || v === null) return 'null';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}
